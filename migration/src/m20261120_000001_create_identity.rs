//! Organizations, publishers, their users and org roles (SPEC §1), server settings.

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
                    .table("organizations")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 200))
                    .col(string_len("country", 2))
                    .col(big_integer("next_invoice_number").default(1))
                    .col(timestamp_with_time_zone("created_at"))
                    .check(Expr::cust("next_invoice_number >= 1"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("publishers")
                    .col(pk_uuid("id"))
                    .col(string_len("name", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(uuid_null("organization_id"))
                    .col(uuid_null("publisher_id"))
                    .col(string_len_uniq("email", 254))
                    .col(string_len("name", 200))
                    .col(string_len("password_hash", 200))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("users", "organization_id", "organizations"))
                    .foreign_key(&mut fk("users", "publisher_id", "publishers"))
                    // An account belongs to exactly one tenant: an organization or a publisher.
                    .check(Expr::cust(
                        "(organization_id IS NULL AND publisher_id IS NOT NULL) OR (organization_id IS NOT NULL AND publisher_id IS NULL)",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("user_roles")
                    .col(uuid("user_id"))
                    .col(string_len("role", 32))
                    .primary_key(Index::create().col("user_id").col("role"))
                    .foreign_key(&mut fk("user_roles", "user_id", "users"))
                    .check(Expr::cust("role IN ('GLOBAL_ADMIN', 'BILLING_ADMIN', 'LICENSE_ADMIN')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("server_settings")
                    .col(string_len("key", 100).primary_key())
                    .col(text("value"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                // users(search): prefix search by name within an organization (R23)
                index("users", "idx_users_org_name", &["organization_id", "name"], false),
                index("users", "idx_users_publisher", &["publisher_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["server_settings", "user_roles", "users", "publishers", "organizations"]).await
    }
}
