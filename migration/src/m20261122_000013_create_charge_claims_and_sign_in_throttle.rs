//! Crash-safe card charging (R33) and sign-in throttling shared by every
//! instance (issue 12).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per invoice charged at issue: claimed before the processor
        // is called, settled in the transaction that records the outcome. A
        // claim without `settled_at` is in doubt and is charged again, with the
        // same idempotency key, by the next run.
        manager
            .create_table(
                Table::create()
                    .table("card_charge_claims")
                    .if_not_exists()
                    .col(uuid("invoice_id").primary_key())
                    .col(string_len("idempotency_key", 100))
                    .col(timestamp_with_time_zone("claimed_at"))
                    .col(timestamp_with_time_zone_null("settled_at"))
                    .col(string_len_null("outcome", 20))
                    .foreign_key(&mut fk("card_charge_claims", "invoice_id", "invoices"))
                    .to_owned(),
            )
            .await?;
        // Failed sign-ins per (address, client) and per address: the delay
        // before the next attempt doubles with each failure.
        manager
            .create_table(
                Table::create()
                    .table("sign_in_throttle")
                    .if_not_exists()
                    .col(string_len("key", 400).primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("last_failure_at"))
                    .col(timestamp_with_time_zone("blocked_until"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["sign_in_throttle", "card_charge_claims"]).await
    }
}
