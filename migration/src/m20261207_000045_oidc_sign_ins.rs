//! R48: one row per single sign-on attempt, shared by every instance. The
//! `state` sent to the provider and the exchange code handed to the client
//! are stored only as SHA-256 hashes; each works once and expires.

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
                    .table("oidc_sign_ins")
                    .if_not_exists()
                    .col(string_len("state_hash", 64).primary_key())
                    .col(uuid("organization_id"))
                    .col(string_len("nonce", 64))
                    .col(string_len("pkce_verifier", 128))
                    .col(string_len("return_to", 2000))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("callback_at"))
                    .col(uuid_null("user_id"))
                    .col(string_len_null("exchange_code_hash", 64))
                    .col(timestamp_with_time_zone_null("exchange_expires_at"))
                    .col(timestamp_with_time_zone_null("exchanged_at"))
                    .foreign_key(&mut fk("oidc_sign_ins", "organization_id", "organizations"))
                    .foreign_key(&mut fk("oidc_sign_ins", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("oidc_sign_ins", "idx_oidc_sign_ins_exchange_code", &["exchange_code_hash"], true),
                index("oidc_sign_ins", "idx_oidc_sign_ins_expires", &["expires_at"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["oidc_sign_ins"]).await
    }
}
