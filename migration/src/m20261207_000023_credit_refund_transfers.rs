//! Issue 26 item 4: a check-or-wire profile's credit balance is refunded by a
//! transfer the billing admin records: its reference (kept in
//! `processor_reference`) and the day it was sent (`transfer_date`, null for
//! card refunds).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("credit_refunds").add_column(date_null("transfer_date")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("credit_refunds").drop_column("transfer_date").to_owned()).await
    }
}
