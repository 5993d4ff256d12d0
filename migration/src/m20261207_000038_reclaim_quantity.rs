//! Issue 22 item 3 (R51): lowering a renewal's quantity to what is assigned.
//! - `reclaim_policies.lower_quantity_days`: how many days before an
//!   auto-renewing subscription's renewal its quantity is lowered to the
//!   licenses assigned then (null: not lowered). `unused_days` 0 now means
//!   the policy takes no license back (it only lowers quantities).
//! - `reclaim_quantity_notices`: per subscription, the term whose lowering
//!   the admins were told of, when, and when it was lowered — so each term
//!   is announced once and lowered once.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("reclaim_policies").add_column(integer_null("lower_quantity_days")).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reclaim_quantity_notices")
                    .if_not_exists()
                    .col(uuid("subscription_id").primary_key())
                    .col(integer("term_number"))
                    .col(timestamp_with_time_zone("notified_at"))
                    .col(timestamp_with_time_zone_null("lowered_at"))
                    .foreign_key(&mut fk("reclaim_quantity_notices", "subscription_id", "subscriptions"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["reclaim_quantity_notices"]).await?;
        manager
            .alter_table(Table::alter().table("reclaim_policies").drop_column("lower_quantity_days").to_owned())
            .await
    }
}
