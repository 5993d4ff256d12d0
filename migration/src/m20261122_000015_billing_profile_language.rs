//! Issue 13: a billing profile's language for its invoices (en, sv, da, nl,
//! zh-TW); null means "from the bill-to country, else English".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("billing_profiles").add_column(string_len_null("language", 8)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("billing_profiles").drop_column("language").to_owned()).await
    }
}
