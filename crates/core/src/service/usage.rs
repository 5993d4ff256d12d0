//! R51: when each license was last used. Publishers report use (the license
//! check, usage reports); the reports are gathered and written here in one
//! transaction per batch, never once per check. A timestamp only moves
//! forward: an older report never overwrites a newer one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::license_assignment;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::{db, error::AppResult};

/// Records the latest use of each active assignment in `uses` (assignment ID →
/// time of use). Returns how many assignments moved forward.
pub async fn record_last_used(conn: &DatabaseConnection, uses: &HashMap<Uuid, DateTime<Utc>>) -> AppResult<u64> {
    if uses.is_empty() {
        return Ok(0);
    }
    let txn = db::begin_write(conn).await?;
    let mut moved = 0;
    for (assignment_id, used_at) in uses {
        moved += license_assignment::Entity::update_many()
            .col_expr(license_assignment::Column::LastUsedAt, Expr::value(*used_at))
            .filter(license_assignment::Column::Id.eq(*assignment_id))
            .filter(
                Condition::any()
                    .add(license_assignment::Column::LastUsedAt.is_null())
                    .add(license_assignment::Column::LastUsedAt.lt(*used_at)),
            )
            .exec(&txn)
            .await?
            .rows_affected;
    }
    txn.commit().await?;
    Ok(moved)
}
