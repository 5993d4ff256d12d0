//! Issue 22 item 4 (R52): notices by e-mail.
//! - `notices`: one e-mail to one person, queued in the same transaction as
//!   the change (and its outbox event) that calls for it, or by the daily
//!   renewal reminder; `dedupe_key` is unique, so a notice is queued once
//!   however often its cause is seen. Every instance's notice worker claims
//!   due rows with a lease (`locked_until`) and marks a row SENT only after
//!   the SMTP server accepted the message. The rows are the organization's
//!   notice log.
//! - `notice_settings`: a kind an organization turned off (or on again).

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
                    .table("notices")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(string("kind"))
                    .col(string("dedupe_key"))
                    .col(string("recipient_email"))
                    .col(string("recipient_name"))
                    .col(string("language"))
                    .col(string("object_type"))
                    .col(uuid("object_id"))
                    .col(text("data"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_null("last_error"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("notices", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("notices", "ux_notices_dedupe_key", &["dedupe_key"], true),
                index("notices", "ix_notices_due", &["status", "next_attempt_at"], false),
                index("notices", "ix_notices_organization_log", &["organization_id", "created_at", "id"], false),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("notice_settings")
                    .if_not_exists()
                    .col(uuid("organization_id"))
                    .col(string("kind"))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("organization_id").col("kind"))
                    .foreign_key(&mut fk("notice_settings", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["notice_settings", "notices"]).await
    }
}
