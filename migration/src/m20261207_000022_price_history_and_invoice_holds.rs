//! Issue 26 items 1 and 3.
//!
//! - `product_price_history`: every price a product has had per term and
//!   currency, with the first date a renewal takes it (`effective_from`); a
//!   withdrawn price is a row without an amount. A renewal at term end D takes
//!   the latest row effective on or before D, whenever the run computes it.
//!   Prices already there are backfilled as in force since 1970-01-01.
//! - `billing_profiles.invoice_hold_*`: an invoice the billing run cannot
//!   issue (say its total is beyond the bounds) is held, with the month and
//!   the reason, until it can be issued.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("product_price_history")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("product_id"))
                    .col(string_len("term", 32))
                    .col(string_len("currency", 3))
                    .col(big_integer_null("unit_amount_minor"))
                    .col(date("effective_from"))
                    .col(timestamp_with_time_zone_null("changed_at"))
                    .foreign_key(&mut fk("product_price_history", "product_id", "products"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index(
                "product_price_history",
                "idx_product_price_history_key",
                &["product_id", "term", "currency", "effective_from"],
                false,
            )],
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO product_price_history (id, product_id, term, currency, unit_amount_minor, effective_from) \
                 SELECT id, product_id, term, currency, unit_amount_minor, '1970-01-01' FROM product_prices",
            )
            .await?;
        for column in [
            string_len_null("invoice_hold_reason", 500),
            date_null("invoice_hold_period"),
            date_null("invoice_hold_since"),
        ] {
            manager.alter_table(Table::alter().table("billing_profiles").add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["invoice_hold_reason", "invoice_hold_period", "invoice_hold_since"] {
            manager.alter_table(Table::alter().table("billing_profiles").drop_column(column).to_owned()).await?;
        }
        drop_tables(manager, &["product_price_history"]).await
    }
}
