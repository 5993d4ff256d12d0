//! Columns that directory sync, the publisher's license check and the usage
//! views share (issues 21, 22, 25):
//! - `users.external_id`: the identifier the organization's directory gives a
//!   person (SCIM `externalId`); unique within the organization when set.
//! - `license_assignments.last_used_at`: when the holder last used the license,
//!   as reported by the publisher (license checks, usage reports). Written in
//!   batches, never once per check.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager.alter_table(Table::alter().table("users").add_column(string_null("external_id")).to_owned()).await?;
        manager
            .create_index(index(
                "users",
                "ux_users_organization_external_id",
                &["organization_id", "external_id"],
                true,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("license_assignments")
                    .add_column(timestamp_with_time_zone_null("last_used_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_users_organization_external_id").table("users").to_owned()).await?;
        manager.alter_table(Table::alter().table("users").drop_column("external_id").to_owned()).await?;
        manager.alter_table(Table::alter().table("license_assignments").drop_column("last_used_at").to_owned()).await
    }
}
