//! Issue 24 item 1: Apollo automatic persisted queries. A document a client
//! registered (its text sent with its SHA-256) is kept here, so that a later
//! hash-only request finds it on whichever instance it reaches.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::drop_tables;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("persisted_queries")
                    .if_not_exists()
                    .col(string_len("sha256", 64).primary_key())
                    .col(text("document"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["persisted_queries"]).await
    }
}
