//! R42: one-time, expiring purchase tokens carried by a subscription's portal
//! link. Only a SHA-256 of the token is stored.

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
                    .table("purchase_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("subscription_id"))
                    .col(string_len_uniq("token_hash", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("purchase_tokens", "subscription_id", "subscriptions"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![index("purchase_tokens", "idx_purchase_tokens_subscription", &["subscription_id"], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["purchase_tokens"]).await
    }
}
