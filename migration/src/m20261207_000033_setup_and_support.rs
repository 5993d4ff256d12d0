//! Issue 25 item 4: a subscription's set-up in the publisher's portal can be
//! marked done (`subscriptions.setup_completed_at`), and a product carries a
//! support e-mail address next to its support page (`products.support_email`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("subscriptions")
                    .add_column(timestamp_with_time_zone_null("setup_completed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("products").add_column(string_len_null("support_email", 320)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("products").drop_column("support_email").to_owned()).await?;
        manager.alter_table(Table::alter().table("subscriptions").drop_column("setup_completed_at").to_owned()).await
    }
}
