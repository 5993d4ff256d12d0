//! Issue 22 (R51): `dormantLicenses` counts every dormant assignment an
//! admin may see for its `totalCount` (90,019 of 200,000 on dataset L).
//! Joined to the caller's subscriptions that count hashed every dormant
//! row (20 ms at L). Each assignment now carries its subscription's
//! organization (a subscription never changes organization), so an
//! organization's count is one range of one index, read alone:
//! `idx_license_assignments_org_dormant` (organization, last activity) with
//! the columns the count reads (PostgreSQL; SQLite has no INCLUDE and keys
//! them instead). The column is filled here from the subscriptions; on
//! PostgreSQL it is then NOT NULL (SQLite cannot add that to a column of a
//! table with rows; every insert writes it).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_license_assignments_org_dormant";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("license_assignments").add_column(uuid_null("organization_id")).to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE license_assignments SET organization_id = \
             (SELECT s.organization_id FROM subscriptions s WHERE s.id = license_assignments.subscription_id)",
        )
        .await?;
        let index = if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE license_assignments ALTER COLUMN organization_id SET NOT NULL").await?;
            format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON license_assignments \
                 (organization_id, (COALESCE(last_used_at, assigned_at))) INCLUDE (active, last_used_at, assigned_at)"
            )
        } else {
            format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON license_assignments \
                 (organization_id, COALESCE(last_used_at, assigned_at), active, last_used_at, assigned_at)"
            )
        };
        db.execute_unprepared(&index).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {INDEX}")).await?;
        manager.alter_table(Table::alter().table("license_assignments").drop_column("organization_id").to_owned()).await
    }
}
