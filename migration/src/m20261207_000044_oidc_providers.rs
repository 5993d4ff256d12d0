//! R48: an organization's OpenID Connect provider. The client secret is kept
//! only encrypted (ChaCha20-Poly1305 under a key derived from the server
//! secret); the allowed e-mail domains are a JSON array of lowercase names.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{drop_tables, fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("oidc_providers")
                    .if_not_exists()
                    .col(uuid("organization_id").primary_key())
                    .col(string_len("issuer", 500))
                    .col(string_len("client_id", 500))
                    .col(text("client_secret_sealed"))
                    .col(text("allowed_domains"))
                    .col(boolean("enabled"))
                    .col(boolean("require_sso"))
                    .col(uuid_null("break_glass_user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("oidc_providers", "organization_id", "organizations"))
                    .foreign_key(&mut fk("oidc_providers", "break_glass_user_id", "users"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["oidc_providers"]).await
    }
}
