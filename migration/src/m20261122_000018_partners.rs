//! R39: partners. A partner is its own tenant (an organization row of kind
//! PARTNER, with its own users and billing profiles); a relationship lets it
//! buy for a customer; a subscription records the partner that bought it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("organizations").add_column(string_len("kind", 32).default("CUSTOMER")).to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table("users").add_column(boolean("is_partner").default(false)).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table("subscriptions").add_column(uuid_null("partner_tenant_id")).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("partner_relationships")
                    .col(pk_uuid("id"))
                    .col(uuid("partner_id"))
                    .col(uuid("organization_id"))
                    .col(string_len("status", 32))
                    .col(uuid("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(uuid_null("decided_by"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("ended_by"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .foreign_key(&mut fk("partner_relationships", "partner_id", "organizations"))
                    .foreign_key(&mut fk("partner_relationships", "organization_id", "organizations"))
                    .check(Expr::cust("status IN ('PENDING', 'APPROVED', 'REJECTED', 'ENDED')"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("partner_relationships", "idx_partner_rel_org", &["organization_id", "status"], false),
                index("partner_relationships", "idx_partner_rel_partner", &["partner_id", "organization_id"], false),
                index("subscriptions", "idx_subscriptions_partner", &["partner_tenant_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["partner_relationships"]).await?;
        manager.alter_table(Table::alter().table("subscriptions").drop_column("partner_tenant_id").to_owned()).await?;
        manager.alter_table(Table::alter().table("users").drop_column("is_partner").to_owned()).await?;
        manager.alter_table(Table::alter().table("organizations").drop_column("kind").to_owned()).await
    }
}
