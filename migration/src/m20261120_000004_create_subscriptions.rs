//! Subscriptions and license assignments (SPEC §3–5).

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
                    .table("subscriptions")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid("product_id"))
                    .col(uuid("billing_profile_id"))
                    .col(uuid("purchaser_id"))
                    .col(string_len("channel", 32))
                    .col(string_len_null("partner_name", 200))
                    .col(string_len_null("partner_id", 100))
                    .col(uuid_null("proposal_id"))
                    .col(string_len("pricing_model", 32))
                    .col(string_len("term", 32))
                    .col(big_integer_null("quantity"))
                    .col(big_integer("assigned_count").default(0))
                    .col(big_integer("unit_price_minor"))
                    .col(string_len("currency", 3))
                    .col(string_len("status", 32))
                    .col(string_len_null("disabled_reason", 32))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(string_len_null("cancel_reason", 32))
                    .col(string_len_null("cancel_feedback", 1000))
                    .col(boolean("auto_renew"))
                    .col(date("start_date"))
                    .col(integer("term_number"))
                    .col(date("current_term_start"))
                    .col(date("current_term_end"))
                    .col(timestamp_with_time_zone_null("activated_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("subscriptions", "organization_id", "organizations"))
                    .foreign_key(&mut fk("subscriptions", "product_id", "products"))
                    .foreign_key(&mut fk("subscriptions", "billing_profile_id", "billing_profiles"))
                    .foreign_key(&mut fk("subscriptions", "purchaser_id", "users"))
                    .foreign_key(&mut fk("subscriptions", "proposal_id", "proposals"))
                    // R5/R18/R21: seats are never oversold, whatever races; flat rate is unlimited (NULL).
                    .check(Expr::cust("assigned_count >= 0"))
                    .check(Expr::cust("quantity IS NULL OR (quantity >= 1 AND assigned_count <= quantity)"))
                    .check(Expr::cust("(pricing_model = 'FLAT_RATE') = (quantity IS NULL)"))
                    .check(Expr::cust("status IN ('PENDING_ACTIVATION', 'ACTIVE', 'DISABLED')"))
                    .check(Expr::cust("(status = 'DISABLED') = (disabled_reason IS NOT NULL)"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("license_assignments")
                    .col(pk_uuid("id"))
                    .col(uuid("subscription_id"))
                    .col(uuid("user_id"))
                    .col(boolean("active"))
                    .col(uuid("assigned_by"))
                    .col(timestamp_with_time_zone("assigned_at"))
                    .col(uuid_null("unassigned_by"))
                    .col(timestamp_with_time_zone_null("unassigned_at"))
                    .foreign_key(&mut fk("license_assignments", "subscription_id", "subscriptions"))
                    .foreign_key(&mut fk("license_assignments", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        // R19: a user holds at most one active license of a subscription. Partial
        // unique indexes are written the same way on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_license_assignments_active ON license_assignments (subscription_id, user_id) WHERE active = TRUE",
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("subscriptions", "idx_subscriptions_org_created", &["organization_id", "created_at"], false),
                index("subscriptions", "idx_subscriptions_org_status", &["organization_id", "status"], false),
                index("subscriptions", "idx_subscriptions_purchaser", &["purchaser_id"], false),
                index("subscriptions", "idx_subscriptions_product", &["product_id"], false),
                index("subscriptions", "idx_subscriptions_profile", &["billing_profile_id"], false),
                index("subscriptions", "idx_subscriptions_term_end", &["status", "current_term_end"], false),
                index("license_assignments", "idx_license_assignments_user", &["user_id", "active"], false),
                index("license_assignments", "idx_license_assignments_sub", &["subscription_id", "active"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["license_assignments", "subscriptions"]).await
    }
}
