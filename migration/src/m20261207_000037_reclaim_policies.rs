//! Issue 22 item 3 (R51): reclaiming unused licenses.
//! - `reclaim_policies`: an organization's policy (`scope` = ORGANIZATION) or
//!   one subscription's (`scope` = the subscription's ID, over the
//!   organization's): licenses unused for `unused_days` days are taken back
//!   `notice_days` days after their holder was told.
//! - `license_assignments.reclaim_notice_at`: when the holder was told; a use
//!   after it (`last_used_at`) cancels the reclaim.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reclaim_policies")
                    .if_not_exists()
                    .col(uuid("organization_id"))
                    .col(string("scope"))
                    .col(uuid_null("subscription_id"))
                    .col(integer("unused_days"))
                    .col(integer("notice_days"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("organization_id").col("scope"))
                    .foreign_key(&mut fk("reclaim_policies", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("license_assignments")
                    .add_column(timestamp_with_time_zone_null("reclaim_notice_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("license_assignments").drop_column("reclaim_notice_at").to_owned())
            .await?;
        drop_tables(manager, &["reclaim_policies"]).await
    }
}
