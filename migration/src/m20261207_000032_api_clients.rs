//! R50: a publisher's API clients (OAuth 2.0 client credentials) and the
//! short-lived access tokens issued to them. Secrets and tokens are random
//! and stored only as SHA-256 hashes.

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
                    .table("api_clients")
                    .if_not_exists()
                    .col(pk_uuid("id"))
                    .col(uuid("publisher_id"))
                    .col(string_len("name", 100))
                    .col(string_len_uniq("client_id", 64))
                    .col(string_len("secret_hash", 64))
                    .col(string_len("scopes", 200))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("secret_created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("api_clients", "publisher_id", "publishers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("api_access_tokens")
                    .if_not_exists()
                    .col(string_len("token_hash", 64).primary_key())
                    .col(uuid("api_client_id"))
                    .col(string_len("scopes", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_access_tokens_api_client_id")
                            .from("api_access_tokens", "api_client_id")
                            .to("api_clients", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("api_clients", "idx_api_clients_publisher_created", &["publisher_id", "created_at", "id"], false),
                index("api_access_tokens", "idx_api_access_tokens_client", &["api_client_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["api_access_tokens", "api_clients"]).await
    }
}
