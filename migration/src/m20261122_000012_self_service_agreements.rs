//! R10, R25: a plain user accepts the customer agreement for their own
//! self-service purchases; one acceptance per user.

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
                    .table("self_service_agreements")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_uniq("user_id"))
                    .col(timestamp_with_time_zone("accepted_at"))
                    .foreign_key(&mut fk("self_service_agreements", "organization_id", "organizations"))
                    .foreign_key(&mut fk("self_service_agreements", "user_id", "users"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["self_service_agreements"]).await
    }
}
