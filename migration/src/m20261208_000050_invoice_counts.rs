//! Issue 23 (c): how many invoices each organization's own billing profiles
//! were issued per issue date, kept as invoices are issued, so an invoice
//! list's `totalCount` adds up a few rows per month instead of counting
//! (and joining to the profiles) every invoice of the period.
//!
//! - Self-service buyers' invoices are not kept: they are theirs alone
//!   (R38), and a billing manager's list adds their own from the invoices.
//! - The rows are filled here from the invoices already issued
//!   ([`backfill_invoice_counts`]); from then on issuing an invoice adds one
//!   in the same transaction. An invoice's organization, profile and issue
//!   date never change and invoices are never deleted, so nothing else
//!   writes them.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counts of every invoice issued so far (the same rows issuing adds
/// one invoice at a time). For the migration and for data written without
/// the billing run (the benchmark's generator).
pub async fn backfill_invoice_counts(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("DELETE FROM invoice_counts").await?;
    db.execute_unprepared(
        "INSERT INTO invoice_counts (organization_id, issue_date, invoices) \
         SELECT i.organization_id, i.issue_date, COUNT(*) \
         FROM invoices i \
         JOIN billing_profiles p ON p.id = i.billing_profile_id \
         WHERE p.owner_user_id IS NULL \
         GROUP BY i.organization_id, i.issue_date",
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
                    .table("invoice_counts")
                    .if_not_exists()
                    .col(uuid("organization_id"))
                    .col(date("issue_date"))
                    .col(big_integer("invoices"))
                    .primary_key(Index::create().col("organization_id").col("issue_date"))
                    .foreign_key(&mut fk("invoice_counts", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        backfill_invoice_counts(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["invoice_counts"]).await
    }
}
