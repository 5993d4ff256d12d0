//! The role assignments of billing profiles, a page at a time (issue 20:
//! every list that grows with data is a page the cost counts). Ordered by
//! when the role was granted, then user and role, so a page boundary is
//! stable while roles are granted and revoked.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{billing_role_assignment as bra, enums::BillingRole};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
    sea_query::{Condition, ExprTrait},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Invalid};

/// Where a page of role assignments ends: the last entry's sort key, sent
/// back as `after` for the next page (opaque to clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCursor {
    granted_at: DateTime<Utc>,
    user_id: Uuid,
    role: BillingRole,
}

impl RoleCursor {
    pub fn of(row: &bra::Model) -> RoleCursor {
        RoleCursor { granted_at: row.granted_at, user_id: row.user_id, role: row.role }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// VALIDATION_FAILED on `after` when the text is not a cursor this module wrote.
    pub fn decode(text: &str) -> AppResult<RoleCursor> {
        let bad = || AppError::validation("after", Invalid::BadFormat);
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// The first `first` role assignments of each profile, in one statement for
/// all of them (a window per profile), so a list of profiles costs one query.
pub async fn first_pages(db: &impl ConnectionTrait, profile_ids: &[Uuid], first: u64) -> AppResult<Vec<bra::Model>> {
    if profile_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..profile_ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT billing_profile_id, user_id, role, granted_by, granted_at FROM (\
           SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.billing_profile_id \
             ORDER BY a.granted_at, a.user_id, a.role) AS position \
           FROM billing_role_assignments a WHERE a.billing_profile_id IN ({})\
         ) ranked WHERE position <= $1 ORDER BY billing_profile_id, position",
        placeholders.join(", ")
    );
    let mut values: Vec<Value> = vec![(first as i64).into()];
    values.extend(profile_ids.iter().map(|id| Value::from(*id)));
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    Ok(bra::Entity::find().from_raw_sql(statement).all(db).await?)
}

/// The `first` role assignments of one profile after `after`.
pub async fn page_after(
    db: &impl ConnectionTrait,
    profile_id: Uuid,
    first: u64,
    after: &RoleCursor,
) -> AppResult<Vec<bra::Model>> {
    use bra::Column as C;
    let later = Condition::any()
        .add(C::GrantedAt.gt(after.granted_at))
        .add(C::GrantedAt.eq(after.granted_at).and(C::UserId.gt(after.user_id)))
        .add(C::GrantedAt.eq(after.granted_at).and(C::UserId.eq(after.user_id)).and(C::Role.gt(after.role)));
    Ok(bra::Entity::find()
        .filter(C::BillingProfileId.eq(profile_id))
        .filter(later)
        .order_by_asc(C::GrantedAt)
        .order_by_asc(C::UserId)
        .order_by_asc(C::Role)
        .limit(first)
        .all(db)
        .await?)
}
