//! Issue 22 item 2 (R51): the admins' views read a page of rows in index
//! order instead of sorting everything the organization holds:
//! - `subscriptionUtilization` and `renewalCalendar` page an organization's
//!   subscriptions by (term end, id): `idx_subscriptions_org_term_end_id`.
//! - `dormantLicenses` pages active assignments by when they were last used
//!   (or assigned, if never): an expression index on
//!   `COALESCE(last_used_at, assigned_at), id` (not partial: the query binds
//!   `active` as a parameter, which a partial index's predicate cannot be
//!   proven from in a generic plan).
//! - `spendByProduct` reads an organization's invoices of a period range:
//!   `idx_invoices_org_period`.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::util::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(
            manager,
            vec![
                index(
                    "subscriptions",
                    "idx_subscriptions_org_term_end_id",
                    &["organization_id", "current_term_end", "id"],
                    false,
                ),
                index("invoices", "idx_invoices_org_period", &["organization_id", "period_start"], false),
            ],
        )
        .await?;
        let sql = if manager.get_database_backend() == DbBackend::Postgres {
            "CREATE INDEX IF NOT EXISTS idx_license_assignments_dormant \
             ON license_assignments ((COALESCE(last_used_at, assigned_at)), id)"
        } else {
            "CREATE INDEX IF NOT EXISTS idx_license_assignments_dormant \
             ON license_assignments (COALESCE(last_used_at, assigned_at), id)"
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for name in ["idx_license_assignments_dormant", "idx_invoices_org_period", "idx_subscriptions_org_term_end_id"]
        {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
        }
        Ok(())
    }
}
