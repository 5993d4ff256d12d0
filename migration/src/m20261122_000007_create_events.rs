//! R45: the event outbox, publishers' webhook endpoints and their deliveries.

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
                    .table("outbox_events")
                    // The order events were written in; consumers tail by it.
                    .col(big_pk_auto("seq"))
                    // The stable ID receivers deduplicate by.
                    .col(uuid("id"))
                    .col(string_len("event_type", 64))
                    .col(uuid("organization_id"))
                    .col(uuid_null("publisher_id"))
                    .col(uuid_null("subscription_id"))
                    .col(string_len("object_type", 50))
                    .col(uuid("object_id"))
                    .col(boolean("billing"))
                    // JSON: what a publisher may see.
                    .col(text("payload"))
                    // JSON: users the event is about (license assignments).
                    .col(text("user_ids"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("outbox_events", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_endpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("publisher_id"))
                    .col(string_len("url", 2048))
                    // JSON array of event types.
                    .col(text("event_types"))
                    .col(string_len("secret", 128))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("webhook_endpoints", "publisher_id", "publishers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("endpoint_id"))
                    .col(uuid("event_id"))
                    .col(big_integer("event_seq"))
                    .col(uuid_null("subscription_id"))
                    .col(string_len("status", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone_null("last_attempt_at"))
                    .col(integer_null("last_status_code"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        &mut fk("webhook_deliveries", "endpoint_id", "webhook_endpoints")
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("outbox_events", "uq_outbox_events_id", &["id"], true),
                index("outbox_events", "idx_outbox_events_subscription", &["subscription_id", "seq"], false),
                index("webhook_endpoints", "idx_webhook_endpoints_publisher", &["publisher_id"], false),
                // At least once, but one delivery row per event and endpoint.
                index("webhook_deliveries", "uq_webhook_deliveries_endpoint_event", &["endpoint_id", "event_id"], true),
                index("webhook_deliveries", "idx_webhook_deliveries_due", &["status", "next_attempt_at"], false),
                index(
                    "webhook_deliveries",
                    "idx_webhook_deliveries_order",
                    &["endpoint_id", "subscription_id", "status", "event_seq"],
                    false,
                ),
                index("webhook_deliveries", "idx_webhook_deliveries_log", &["endpoint_id", "created_at"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["webhook_deliveries", "webhook_endpoints", "outbox_events"]).await
    }
}
