//! Issue 22 (R51): `dormantLicenses` counts every dormant assignment of the
//! caller's subscriptions for its `totalCount` (90,019 of 200,000 on dataset
//! L). On PostgreSQL the dormant index now carries what that count reads
//! (`active`, `subscription_id`, and the two timestamps its expression is
//! made of, which the planner asks for before it will read an expression
//! index alone), so the count is an index-only scan instead of a scan of
//! the table. SQLite keeps the index of migration 39 (it has no INCLUDE).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_license_assignments_dormant";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}")).await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {NAME} ON license_assignments ((COALESCE(last_used_at, assigned_at)), id) \
             INCLUDE (active, subscription_id, last_used_at, assigned_at)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}")).await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX {NAME} ON license_assignments ((COALESCE(last_used_at, assigned_at)), id)"
        ))
        .await?;
        Ok(())
    }
}
