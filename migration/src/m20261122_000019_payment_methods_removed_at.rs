//! R41 (issue 9 item 3): a payment method can be removed from the
//! organization's list when no billing profile uses it. Invoices and refunds
//! keep naming it, so it is marked removed rather than deleted. A method
//! belongs to the organization (or self-service buyer) of the profile it was
//! added to, so no owner column is needed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("payment_methods")
                    .add_column(timestamp_with_time_zone_null("removed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("payment_methods").drop_column("removed_at").to_owned()).await
    }
}
