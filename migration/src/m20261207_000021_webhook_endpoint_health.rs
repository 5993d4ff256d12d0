//! Issue 20 item 6: the circuit breaker of each webhook endpoint, shared by
//! every instance's delivery worker. An endpoint whose deliveries keep failing
//! gets no attempts while its circuit is open (`open_until`), then one probe
//! at a time until a delivery succeeds (the row is then deleted). Deleting an
//! endpoint deletes its row.

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
                    .table("webhook_endpoint_health")
                    .if_not_exists()
                    .col(uuid("endpoint_id").primary_key())
                    .col(integer("consecutive_failures"))
                    .col(timestamp_with_time_zone_null("open_until"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_endpoint_health_endpoint_id")
                            .from("webhook_endpoint_health", "endpoint_id")
                            .to("webhook_endpoints", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["webhook_endpoint_health"]).await
    }
}
