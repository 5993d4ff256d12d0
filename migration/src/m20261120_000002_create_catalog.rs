//! Products, their prices per term and currency, markets, self-service
//! policies, customer agreements and proposals (SPEC §2, §3, §6).

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
                    .table("products")
                    .col(pk_uuid("id"))
                    .col(uuid("publisher_id"))
                    .col(string_len("name", 200))
                    .col(string_len("description", 2000))
                    .col(string_len("pricing_model", 32))
                    .col(boolean("self_service_eligible"))
                    .col(string_len("portal_url", 2048))
                    .col(string_len("support_url", 2048))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("products", "publisher_id", "publishers"))
                    .check(Expr::cust("pricing_model IN ('FLAT_RATE', 'PER_LICENSE')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("product_prices")
                    .col(pk_uuid("id"))
                    .col(uuid("product_id"))
                    .col(string_len("term", 32))
                    .col(string_len("currency", 3))
                    .col(big_integer("unit_amount_minor"))
                    .foreign_key(&mut fk("product_prices", "product_id", "products"))
                    .check(Expr::cust("unit_amount_minor >= 0"))
                    .check(Expr::cust("term IN ('MONTHLY', 'ANNUAL')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("product_markets")
                    .col(uuid("product_id"))
                    .col(string_len("market", 32))
                    .primary_key(Index::create().col("product_id").col("market"))
                    .foreign_key(&mut fk("product_markets", "product_id", "products"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("self_service_policies")
                    .col(uuid("organization_id"))
                    .col(uuid("product_id"))
                    .col(boolean("allowed"))
                    .col(uuid("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("organization_id").col("product_id"))
                    .foreign_key(&mut fk("self_service_policies", "organization_id", "organizations"))
                    .foreign_key(&mut fk("self_service_policies", "product_id", "products"))
                    .foreign_key(&mut fk("self_service_policies", "updated_by", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("customer_agreements")
                    .col(pk_uuid("id"))
                    .col(uuid_uniq("organization_id"))
                    .col(uuid("accepted_by"))
                    .col(timestamp_with_time_zone("accepted_at"))
                    .foreign_key(&mut fk("customer_agreements", "organization_id", "organizations"))
                    .foreign_key(&mut fk("customer_agreements", "accepted_by", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("proposals")
                    .col(pk_uuid("id"))
                    .col(uuid("publisher_id"))
                    .col(uuid("organization_id"))
                    .col(string_len("title", 200))
                    .col(string_len("status", 32))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(uuid_null("accepted_by"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .foreign_key(&mut fk("proposals", "publisher_id", "publishers"))
                    .foreign_key(&mut fk("proposals", "organization_id", "organizations"))
                    .foreign_key(&mut fk("proposals", "created_by", "users"))
                    .foreign_key(&mut fk("proposals", "accepted_by", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("proposal_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("proposal_id"))
                    .col(uuid("product_id"))
                    .col(string_len("term", 32))
                    .col(big_integer_null("quantity"))
                    .foreign_key(&mut fk("proposal_lines", "proposal_id", "proposals"))
                    .foreign_key(&mut fk("proposal_lines", "product_id", "products"))
                    .check(Expr::cust("quantity IS NULL OR quantity >= 1"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("products", "idx_products_publisher", &["publisher_id", "name"], false),
                index("products", "idx_products_name", &["name"], false),
                index("product_prices", "uq_product_prices_term_currency", &["product_id", "term", "currency"], true),
                index("product_markets", "idx_product_markets_market", &["market"], false),
                index("self_service_policies", "idx_ssp_product", &["product_id"], false),
                index("proposals", "idx_proposals_org", &["organization_id", "created_at"], false),
                index("proposals", "idx_proposals_publisher", &["publisher_id", "created_at"], false),
                index("proposal_lines", "idx_proposal_lines_proposal", &["proposal_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "proposal_lines",
                "proposals",
                "customer_agreements",
                "self_service_policies",
                "product_markets",
                "product_prices",
                "products",
            ],
        )
        .await
    }
}
