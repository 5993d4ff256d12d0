//! Issue 14: the people search (R23) is a prefix match on `lower(name)` or
//! `email` inside one organization. On PostgreSQL these expression indexes
//! with `text_pattern_ops` let `LIKE 'prefix%'` use an index range instead of
//! scanning every user of the organization; SQLite's LIKE is case-insensitive
//! and cannot use such an index, so it keeps `idx_users_org_name`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_users_org_lower_name_prefix \
             ON users (organization_id, lower(name) text_pattern_ops)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_users_org_email_prefix ON users (organization_id, email text_pattern_ops)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_org_email_prefix").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_users_org_lower_name_prefix").await?;
        Ok(())
    }
}
