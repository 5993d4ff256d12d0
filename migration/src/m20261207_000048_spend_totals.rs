//! Issue 22 (R51): `spendByProduct` reads totals kept as invoices are issued
//! instead of adding up every invoice line of the period on each request
//! (120,000 lines on dataset L).
//! - `spend_totals`: per organization, billed month (the invoice's
//!   `period_start`), product and currency, the sum of the charge lines of
//!   the organization's own billing profiles' invoices. Self-service
//!   buyers' profiles are left out (their invoices are theirs alone, R38:
//!   the view adds the caller's own from their lines), and so are credit
//!   lines carried from an earlier invoice (R44), as the view always did.
//! - The rows are filled here from the invoices already issued
//!   ([`backfill_spend_totals`]); from then on issuing an invoice adds its
//!   lines in the same transaction.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The totals of every invoice issued so far (the same rows issuing adds up
/// one invoice at a time). For the migration and for data written without
/// the billing run (the benchmark's generator).
pub async fn backfill_spend_totals(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("DELETE FROM spend_totals").await?;
    db.execute_unprepared(
        "INSERT INTO spend_totals (organization_id, month, product_name, currency, amount_minor) \
         SELECT i.organization_id, i.period_start, l.product_name, i.currency, SUM(l.amount_minor) \
         FROM invoice_lines l \
         JOIN invoices i ON i.id = l.invoice_id \
         JOIN billing_profiles p ON p.id = i.billing_profile_id \
         WHERE p.owner_user_id IS NULL AND l.source_invoice_id IS NULL \
         GROUP BY i.organization_id, i.period_start, l.product_name, i.currency",
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("spend_totals")
                    .if_not_exists()
                    .col(uuid("organization_id"))
                    .col(date("month"))
                    .col(string("product_name"))
                    .col(string_len("currency", 3))
                    .col(big_integer("amount_minor"))
                    .primary_key(
                        Index::create().col("organization_id").col("month").col("product_name").col("currency"),
                    )
                    .foreign_key(&mut fk("spend_totals", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        backfill_spend_totals(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["spend_totals"]).await
    }
}
