//! R53: delegated access for a publisher's portal (OAuth 2.0 authorization
//! code with PKCE). An API client registers its redirect URIs
//! (`api_clients.redirect_uris`, one per line, matched exactly); a pending
//! authorization request carries a one-time consent form token and, once
//! approved, a one-time code (both stored as SHA-256); a consent is a grant
//! of scopes by an organization's admin to the client; access and refresh
//! tokens of a grant are stored as SHA-256.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("api_clients").add_column(text("redirect_uris").default("")).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("portal_grants")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("api_client_id"))
                    .col(uuid("publisher_id"))
                    .col(uuid("organization_id"))
                    .col(uuid("user_id"))
                    .col(string_len("scopes", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut cascade("portal_grants", "api_client_id", "api_clients"))
                    .foreign_key(&mut cascade("portal_grants", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("portal_authorizations")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(string_len_uniq("form_token_hash", 64))
                    .col(uuid("api_client_id"))
                    .col(string_len("redirect_uri", 2000))
                    .col(string_len("scopes", 200))
                    .col(string_len_null("state", 500))
                    .col(string_len("code_challenge", 128))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("grant_id"))
                    .col(string_len_null("code_hash", 64))
                    .col(timestamp_with_time_zone_null("code_expires_at"))
                    .col(timestamp_with_time_zone_null("code_used_at"))
                    .foreign_key(&mut cascade("portal_authorizations", "api_client_id", "api_clients"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("portal_tokens")
                    .if_not_exists()
                    .col(string_len("token_hash", 64).primary_key())
                    .col(uuid("grant_id"))
                    .col(string_len("kind", 10))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut cascade("portal_tokens", "grant_id", "portal_grants"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    "portal_grants",
                    "idx_portal_grants_org_created",
                    &["organization_id", "created_at", "id"],
                    false,
                ),
                index("portal_grants", "idx_portal_grants_client", &["api_client_id"], false),
                index("portal_authorizations", "idx_portal_authorizations_code", &["code_hash"], true),
                index("portal_authorizations", "idx_portal_authorizations_expires", &["expires_at"], false),
                index("portal_tokens", "idx_portal_tokens_grant", &["grant_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["portal_tokens", "portal_authorizations", "portal_grants"]).await?;
        manager.alter_table(Table::alter().table("api_clients").drop_column("redirect_uris").to_owned()).await
    }
}
