//! Issue 26 item 5: a negotiated price says how long it holds. A proposal
//! line's price holds for `price_terms` terms (1, the first term, unless the
//! proposal says more); the subscription bought from it keeps the price
//! through term `negotiated_terms`, then renews at the list price in force.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("proposal_lines").add_column(integer_null("price_terms")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("subscriptions").add_column(integer_null("negotiated_terms")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("subscriptions").drop_column("negotiated_terms").to_owned()).await?;
        manager.alter_table(Table::alter().table("proposal_lines").drop_column("price_terms").to_owned()).await
    }
}
