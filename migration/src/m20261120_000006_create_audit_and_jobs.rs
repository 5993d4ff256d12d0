//! Audit events (R36), idempotency keys (R13), billing-run bookkeeping (R33).

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
                    .table("audit_events")
                    .col(pk_uuid("id"))
                    .col(uuid_null("organization_id"))
                    .col(uuid_null("publisher_id"))
                    .col(uuid_null("actor_user_id"))
                    .col(string_len("action", 100))
                    .col(string_len("object_type", 50))
                    .col(uuid("object_id"))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("audit_events", "organization_id", "organizations"))
                    .foreign_key(&mut fk("audit_events", "publisher_id", "publishers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(string_len("operation", 64))
                    .col(string_len("key", 200))
                    .col(string_len("request_hash", 64))
                    .col(text("result"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("idempotency_keys", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("job_leases")
                    .col(string_len("name", 100).primary_key())
                    .col(string_len("holder", 100))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("billing_runs")
                    .col(date("as_of").primary_key())
                    .col(timestamp_with_time_zone("completed_at"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("audit_events", "idx_audit_org_time", &["organization_id", "created_at"], false),
                index("audit_events", "idx_audit_org_object", &["organization_id", "object_id", "created_at"], false),
                index("audit_events", "idx_audit_publisher_time", &["publisher_id", "created_at"], false),
                // R13: the key is the caller's, per operation.
                index("idempotency_keys", "uq_idempotency_user_op_key", &["user_id", "operation", "key"], true),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["billing_runs", "job_leases", "idempotency_keys", "audit_events"]).await
    }
}
