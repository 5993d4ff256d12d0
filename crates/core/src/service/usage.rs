//! R51: when each license was last used. Publishers report use (the license
//! check, usage reports); the reports are gathered and written here in one
//! transaction per batch, never once per check. A timestamp only moves
//! forward: an older report never overwrites a newer one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use uuid::Uuid;

use crate::{db, error::AppResult};

/// How many uses one statement writes (two parameters each).
const USES_PER_STATEMENT: usize = 500;

/// Records the latest use of each active assignment in `uses` (assignment ID →
/// time of use), in one transaction and one statement per
/// [`USES_PER_STATEMENT`] uses (issue 25: a flush is not one UPDATE per
/// assignment). Returns how many assignments moved forward.
pub async fn record_last_used(conn: &DatabaseConnection, uses: &HashMap<Uuid, DateTime<Utc>>) -> AppResult<u64> {
    if uses.is_empty() {
        return Ok(0);
    }
    let uses: Vec<(Uuid, DateTime<Utc>)> = uses.iter().map(|(id, at)| (*id, *at)).collect();
    let txn = db::begin_write(conn).await?;
    let mut moved = 0;
    for chunk in uses.chunks(USES_PER_STATEMENT) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 2);
        let rows: Vec<String> = chunk
            .iter()
            .map(|(id, at)| {
                values.push((*id).into());
                values.push((*at).into());
                format!("(${}, ${})", values.len() - 1, values.len())
            })
            .collect();
        // Only forward: an older report never overwrites a newer one.
        let sql = format!(
            "WITH v (id, t) AS (VALUES {}) \
             UPDATE license_assignments SET last_used_at = v.t FROM v \
             WHERE license_assignments.id = v.id \
               AND (license_assignments.last_used_at IS NULL OR license_assignments.last_used_at < v.t)",
            rows.join(", ")
        );
        moved += txn
            .execute_raw(Statement::from_sql_and_values(txn.get_database_backend(), sql, values))
            .await?
            .rows_affected();
    }
    txn.commit().await?;
    Ok(moved)
}

/// R51: the license checks' uses, gathered in memory and written in batches
/// by [`UsageBuffer::flush`] (the server flushes every few seconds and on
/// shutdown), so a check never writes. One entry per assignment, keeping the
/// latest time; a failed write puts the batch back for the next flush.
#[derive(Clone, Default)]
pub struct UsageBuffer(std::sync::Arc<std::sync::Mutex<HashMap<Uuid, DateTime<Utc>>>>);

impl UsageBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, DateTime<Utc>>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that `assignment_id` was used at `at`.
    pub fn note(&self, assignment_id: Uuid, at: DateTime<Utc>) {
        merge(&mut self.lock(), [(assignment_id, at)]);
    }

    /// Uses noted and not yet written.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Writes what was noted in one transaction; returns how many assignments moved forward.
    pub async fn flush(&self, db: &DatabaseConnection) -> AppResult<u64> {
        let batch = std::mem::take(&mut *self.lock());
        match record_last_used(db, &batch).await {
            Ok(moved) => Ok(moved),
            Err(e) => {
                merge(&mut self.lock(), batch);
                Err(e)
            }
        }
    }
}

fn merge(map: &mut HashMap<Uuid, DateTime<Utc>>, uses: impl IntoIterator<Item = (Uuid, DateTime<Utc>)>) {
    for (id, at) in uses {
        let entry = map.entry(id).or_insert(at);
        if at > *entry {
            *entry = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r51_the_buffer_keeps_the_latest_use_per_assignment() {
        let buffer = UsageBuffer::default();
        let id = Uuid::new_v4();
        let early = DateTime::<Utc>::from_timestamp(1_000, 0).expect("time");
        let late = DateTime::<Utc>::from_timestamp(2_000, 0).expect("time");
        buffer.note(id, late);
        buffer.note(id, early);
        buffer.note(Uuid::new_v4(), early);
        assert_eq!(buffer.pending(), 2);
        assert_eq!(buffer.lock().get(&id), Some(&late));
    }
}
