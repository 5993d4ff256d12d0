//! R40: marketplace operators and their sales proposals. An operator is a user
//! of the one marketplace tenant (a `publishers` row marked `is_marketplace`,
//! which lists no products), so the existing one-tenant-per-user check holds;
//! `users.is_operator` marks the account. Proposals gain an expiry and a
//! decline; proposal lines an optional negotiated unit price.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite takes one column per ALTER TABLE.
async fn add(manager: &SchemaManager<'_>, table: &'static str, column: ColumnDef) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).add_column(column).to_owned()).await
}

async fn drop(manager: &SchemaManager<'_>, table: &'static str, column: &'static str) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, "users", boolean("is_operator").default(false).to_owned()).await?;
        add(manager, "publishers", boolean("is_marketplace").default(false).to_owned()).await?;
        add(manager, "proposals", timestamp_with_time_zone_null("expires_at")).await?;
        add(manager, "proposals", uuid_null("declined_by")).await?;
        add(manager, "proposals", timestamp_with_time_zone_null("declined_at")).await?;
        add(manager, "proposals", string_len_null("decline_reason", 1000)).await?;
        add(manager, "proposal_lines", big_integer_null("unit_price_minor")).await?;
        add(manager, "proposal_lines", string_len_null("currency", 3)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, "proposal_lines", "currency").await?;
        drop(manager, "proposal_lines", "unit_price_minor").await?;
        drop(manager, "proposals", "decline_reason").await?;
        drop(manager, "proposals", "declined_at").await?;
        drop(manager, "proposals", "declined_by").await?;
        drop(manager, "proposals", "expires_at").await?;
        drop(manager, "publishers", "is_marketplace").await?;
        drop(manager, "users", "is_operator").await
    }
}
