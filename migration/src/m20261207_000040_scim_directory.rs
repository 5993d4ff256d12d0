//! R49: directory sync through SCIM 2.0.
//! - `scim_tokens`: an organization's bearer tokens for its identity
//!   provider, stored only as SHA-256 hashes (like refresh tokens, R47).
//! - `scim_users`: what the directory says of a person beyond the user row
//!   (`userName`, the SCIM name and e-mail addresses), one row per user the
//!   directory manages. `users.external_id` (000031) holds `externalId`.

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
                    .table("scim_tokens")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(string_len("name", 200))
                    .col(string_len("token_hash", 64))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("scim_tokens", "organization_id", "organizations"))
                    .foreign_key(&mut fk("scim_tokens", "created_by", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("scim_users")
                    .if_not_exists()
                    .col(uuid("user_id").primary_key())
                    .col(uuid("organization_id"))
                    .col(string_len("user_name", 254))
                    .col(string_len("user_name_key", 254))
                    .col(text("profile"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("scim_users", "user_id", "users"))
                    .foreign_key(&mut fk("scim_users", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("scim_tokens", "ux_scim_tokens_hash", &["token_hash"], true),
                index("scim_tokens", "idx_scim_tokens_organization", &["organization_id", "created_at", "id"], false),
                index("scim_users", "ux_scim_users_organization_name", &["organization_id", "user_name_key"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["scim_users", "scim_tokens"]).await
    }
}
