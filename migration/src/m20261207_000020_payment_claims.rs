//! Issue 19 item 2: every payment follows claim → commit → call the
//! processor → record. `payInvoice` claims the invoice's card charge like the
//! billing run does, naming the card tried and who asked; a credit refund is
//! written as a claim first, holding the credit it reserved until the
//! processor answers (`reserved_sources` set = in doubt; NULL = settled, as
//! every refund recorded before this migration is).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter().table("card_charge_claims").add_column(uuid_null("payment_method_id")).to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("card_charge_claims").add_column(uuid_null("requested_by")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("credit_refunds").add_column(text_null("reserved_sources")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("credit_refunds").drop_column("reserved_sources").to_owned()).await?;
        manager.alter_table(Table::alter().table("card_charge_claims").drop_column("requested_by").to_owned()).await?;
        manager
            .alter_table(Table::alter().table("card_charge_claims").drop_column("payment_method_id").to_owned())
            .await
    }
}
