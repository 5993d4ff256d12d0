//! R19–R22: assigning licenses to people. The subscription row is locked for
//! the whole change (PostgreSQL `FOR UPDATE`, SQLite `BEGIN IMMEDIATE`), the
//! count is re-checked inside the lock, a partial unique index keeps one
//! active license per user, and a CHECK keeps assigned ≤ quantity — so no race
//! on any number of instances can oversell seats.

use std::collections::HashSet;

use entity::{enums::SubscriptionStatus, license_assignment, subscription, user};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::Visible,
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        subscriptions::{self, Access},
    },
};

/// R19: at most 20 users per call.
pub const MAX_USERS_PER_CALL: usize = 20;

pub struct AssignOutcome {
    pub subscription: Visible<subscription::Model>,
    pub assigned: Vec<Uuid>,
    pub already_assigned: Vec<Uuid>,
}

pub struct UnassignOutcome {
    pub subscription: Visible<subscription::Model>,
    pub unassigned: Vec<Uuid>,
    pub not_assigned: Vec<Uuid>,
}

/// The users named in one call (R19): at most 20, each a UUID — anything
/// else cannot be a member of the organization — each counted once.
fn requested_users(user_ids: &[&str]) -> AppResult<Vec<Uuid>> {
    if user_ids.len() > MAX_USERS_PER_CALL {
        return Err(AppError::TooManyUsers { max: MAX_USERS_PER_CALL });
    }
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    for id in user_ids {
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::UserNotInOrganization)?;
        if seen.insert(id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

pub async fn assign(
    state: &Services,
    actor: &Actor,
    subscription_id: Uuid,
    user_ids: &[&str],
) -> AppResult<AssignOutcome> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = subscriptions::load(&txn, actor, subscription_id, Access::AssignLicenses, true).await?;
    subscriptions::ensure_not_disabled(&sub)?;
    let users = requested_users(user_ids)?;
    if sub.status != SubscriptionStatus::Active {
        return Err(AppError::SubscriptionNotActive);
    }
    // Unknown IDs and other organizations' people look the same (R3).
    let members = user::Entity::find()
        .filter(user::Column::Id.is_in(users.clone()))
        .filter(user::Column::OrganizationId.eq(sub.organization_id))
        .filter(user::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if members.len() != users.len() {
        return Err(AppError::UserNotInOrganization);
    }
    let holding: HashSet<Uuid> = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::UserId.is_in(users.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    let (already_assigned, fresh): (Vec<Uuid>, Vec<Uuid>) = users.iter().partition(|id| holding.contains(id));
    // R49: a license held through a group and now assigned directly stays when the group goes.
    super::groups::licensing::made_direct(&txn, sub.id, &already_assigned).await?;
    if fresh.is_empty() {
        txn.commit().await?;
        return Ok(AssignOutcome { subscription: sub, assigned: Vec::new(), already_assigned });
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let (reread, _) = insert_assignments(&txn, &sub, &fresh, actor.user_id(), scope, now, None).await?;
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok(AssignOutcome { subscription: sub, assigned: fresh, already_assigned })
}

/// R19, R21: gives each of `fresh` (members of the subscription's
/// organization holding no license of it) a license, in the caller's
/// transaction with the subscription row locked: INSUFFICIENT_LICENSES when
/// the seats do not suffice (the CHECK on assigned ≤ quantity is the last
/// guard). Audited with `note` added to the change; returns the
/// subscription as updated and the new assignments' IDs, in `fresh` order.
pub(crate) async fn insert_assignments(
    txn: &sea_orm::DatabaseTransaction,
    sub: &subscription::Model,
    fresh: &[Uuid],
    assigned_by: Uuid,
    scope: AuditScope,
    now: chrono::DateTime<chrono::Utc>,
    note: Option<serde_json::Value>,
) -> AppResult<(subscription::Model, Vec<Uuid>)> {
    let added = fresh.len() as i64;
    if let Some(quantity) = sub.quantity {
        let available = quantity - sub.assigned_count;
        if added > available {
            return Err(AppError::InsufficientLicenses { available: Ord::max(available, 0) });
        }
    }
    let ids: Vec<Uuid> = fresh.iter().map(|_| Uuid::now_v7()).collect();
    // One multi-row insert for the whole request (at most 20 users, R20).
    license_assignment::Entity::insert_many(fresh.iter().zip(&ids).map(|(user_id, id)| {
        license_assignment::ActiveModel {
            id: Set(*id),
            subscription_id: Set(sub.id),
            user_id: Set(*user_id),
            active: Set(true),
            assigned_by: Set(assigned_by),
            assigned_at: Set(now),
            unassigned_by: Set(None),
            unassigned_at: Set(None),
            last_used_at: Set(None),
            reclaim_notice_at: Set(None),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    // The new count comes back with the update (RETURNING): no second read.
    let reread = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).add(added))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(sub.id))
        .exec_with_returning(txn)
        .await
        .map_err(
            |e| if db::is_check_violation(&e) { AppError::InsufficientLicenses { available: 0 } } else { e.into() },
        )?
        .pop()
        .ok_or_else(|| AppError::internal("subscription row vanished while locked"))?;
    let mut after = json!({"assigned": reread.assigned_count, "users": fresh});
    if let (Some(note), Some(object)) = (note, after.as_object_mut()) {
        object.extend(note.as_object().cloned().unwrap_or_default());
    }
    let entry = AuditEntry::new(AuditAction::SubscriptionAssignLicenses, "subscription", sub.id)
        .before(json!({"assigned": reread.assigned_count - added}))
        .after(after);
    audit::record(txn, scope, now, entry).await?;
    Ok((reread, ids))
}

/// R20: ends the `holding` assignments of `sub`, in the caller's transaction
/// with the subscription row locked, audited with `note` added; returns the
/// subscription as updated.
pub(crate) async fn end_assignments(
    txn: &sea_orm::DatabaseTransaction,
    sub: &subscription::Model,
    holding: &[license_assignment::Model],
    by: Option<Uuid>,
    scope: AuditScope,
    now: chrono::DateTime<chrono::Utc>,
    note: Option<serde_json::Value>,
) -> AppResult<subscription::Model> {
    license_assignment::Entity::update_many()
        .col_expr(license_assignment::Column::Active, Expr::value(false))
        .col_expr(license_assignment::Column::UnassignedBy, Expr::value(by))
        .col_expr(license_assignment::Column::UnassignedAt, Expr::value(now))
        .filter(license_assignment::Column::Id.is_in(holding.iter().map(|a| a.id).collect::<Vec<_>>()))
        .exec(txn)
        .await?;
    let removed = holding.len() as i64;
    let reread = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).sub(removed))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(sub.id))
        .exec_with_returning(txn)
        .await?
        .pop()
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let users: Vec<Uuid> = holding.iter().map(|a| a.user_id).collect();
    let mut after = json!({"assigned": reread.assigned_count, "users": users});
    if let (Some(note), Some(object)) = (note, after.as_object_mut()) {
        object.extend(note.as_object().cloned().unwrap_or_default());
    }
    let entry = AuditEntry::new(AuditAction::SubscriptionUnassignLicenses, "subscription", sub.id)
        .before(json!({"assigned": reread.assigned_count + removed}))
        .after(after);
    audit::record(txn, scope, now, entry).await?;
    Ok(reread)
}

pub async fn unassign(
    state: &Services,
    actor: &Actor,
    subscription_id: Uuid,
    user_ids: &[&str],
) -> AppResult<UnassignOutcome> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = subscriptions::load(&txn, actor, subscription_id, Access::AssignLicenses, true).await?;
    subscriptions::ensure_not_disabled(&sub)?;
    let users = requested_users(user_ids)?;
    let members = user::Entity::find()
        .filter(user::Column::Id.is_in(users.clone()))
        .filter(user::Column::OrganizationId.eq(sub.organization_id))
        .all(&txn)
        .await?;
    if members.len() != users.len() {
        return Err(AppError::UserNotInOrganization);
    }
    let holding: Vec<license_assignment::Model> = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::UserId.is_in(users.clone()))
        .all(&txn)
        .await?;
    let unassigned: Vec<Uuid> = holding.iter().map(|a| a.user_id).collect();
    let not_assigned: Vec<Uuid> = users.iter().copied().filter(|u| !unassigned.contains(u)).collect();
    if unassigned.is_empty() {
        return Ok(UnassignOutcome { subscription: sub, unassigned, not_assigned });
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let reread = end_assignments(&txn, &sub, &holding, Some(actor.user_id()), scope, now, None).await?;
    // R49: the members of the subscription's groups left without a seat get the freed ones.
    let reread = super::groups::licensing::fill_seats(&txn, scope, reread, now).await?;
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok(UnassignOutcome { subscription: sub, unassigned, not_assigned })
}

/// R16: an assignment counts while it is active and its subscription is not disabled.
pub fn counts(assignment: &license_assignment::Model, sub: &subscription::Model) -> bool {
    assignment.active && sub.status != SubscriptionStatus::Disabled
}

/// R22: the licenses assigned to the caller, on subscriptions that still count
/// (a disabled subscription's assignments are history, R16).
pub async fn my_licenses(
    state: &Services,
    actor: &Actor,
    include_history: bool,
) -> AppResult<Vec<(license_assignment::Model, subscription::Model)>> {
    let org = actor.org()?;
    let mut query = license_assignment::Entity::find().filter(license_assignment::Column::UserId.eq(org.user_id));
    if !include_history {
        query = query.filter(license_assignment::Column::Active.eq(true));
    }
    let assignments = query.order_by_desc(license_assignment::Column::AssignedAt).all(&state.db).await?;
    let ids: Vec<Uuid> = assignments.iter().map(|a| a.subscription_id).collect();
    let subs: std::collections::HashMap<Uuid, subscription::Model> = subscription::Entity::find()
        .filter(subscription::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(assignments
        .into_iter()
        .filter_map(|a| subs.get(&a.subscription_id).cloned().map(|s| (a, s)))
        .filter(|(a, s)| include_history || counts(a, s))
        .collect())
}

/// The holders of these subscriptions' active licenses, each with the
/// subscription it holds, oldest assignment first: one statement for a whole
/// page (issue 14).
pub async fn active_assignments_with_users(
    db: &impl sea_orm::ConnectionTrait,
    subscription_ids: Vec<Uuid>,
) -> AppResult<Vec<(Uuid, entity::user::Model)>> {
    use entity::user;
    use sea_orm::{JoinType, QuerySelect, RelationDef};
    let assignment: RelationDef = license_assignment::Entity::belongs_to(user::Entity)
        .from(license_assignment::Column::UserId)
        .to(user::Column::Id)
        .into();
    let rows = user::Entity::find()
        .select_only()
        .columns(Holder::USER_COLUMNS)
        .column(license_assignment::Column::SubscriptionId)
        .join_rev(JoinType::InnerJoin, assignment)
        .filter(license_assignment::Column::SubscriptionId.is_in(subscription_ids))
        .filter(license_assignment::Column::Active.eq(true))
        .order_by_asc(license_assignment::Column::AssignedAt)
        .order_by_asc(license_assignment::Column::Id)
        .into_model::<Holder>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| (row.subscription_id, row.user)).collect())
}

/// A license holder as a page of subscriptions shows it, with the
/// subscription held. A page reads up to 5,000 of these, so they are decoded
/// by position and without the password hash, which nothing shown needs
/// (`password_hash` is left empty): name look-ups and the hash were most of
/// the server's CPU on such a page (issue 14).
struct Holder {
    user: entity::user::Model,
    subscription_id: Uuid,
}

impl Holder {
    const USER_COLUMNS: [entity::user::Column; 10] = {
        use entity::user::Column::*;
        [Id, OrganizationId, PublisherId, Email, Name, Active, DeletedAt, IsOperator, IsPartner, CreatedAt]
    };
}

impl sea_orm::FromQueryResult for Holder {
    fn from_query_result(row: &sea_orm::QueryResult, _prefix: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            user: entity::user::Model {
                id: row.try_get_by_index(0)?,
                organization_id: row.try_get_by_index(1)?,
                publisher_id: row.try_get_by_index(2)?,
                email: row.try_get_by_index(3)?,
                name: row.try_get_by_index(4)?,
                password_hash: String::new(),
                active: row.try_get_by_index(5)?,
                deleted_at: row.try_get_by_index(6)?,
                is_operator: row.try_get_by_index(7)?,
                is_partner: row.try_get_by_index(8)?,
                created_at: row.try_get_by_index(9)?,
                external_id: None,
            },
            subscription_id: row.try_get_by_index(10)?,
        })
    }
}

/// R16: a DISABLED subscription's assignments are history: none counts now.
pub fn is_history(sub: &subscription::Model) -> bool {
    sub.status == SubscriptionStatus::Disabled
}

/// R16, R22: licenses assigned now (0 once the subscription is DISABLED).
pub fn assigned_now(sub: &subscription::Model) -> i64 {
    if is_history(sub) { 0 } else { sub.assigned_count }
}

/// One assignment with the moment it stopped counting (R16).
pub struct HistoryEntry {
    pub assignment: license_assignment::Model,
    pub released_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// R16, issue 20: one page of the assignments of `sub` (already checked
/// visible by the caller): at most `first` (1–100) entries, oldest first, after the entry whose id is `after` (the last one of
/// the previous page). An `after` that is no entry of this subscription is
/// VALIDATION_FAILED on `after`.
pub async fn assignment_history_page(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
    first: i32,
    after: Option<Uuid>,
) -> AppResult<Vec<HistoryEntry>> {
    use sea_orm::QuerySelect;
    let first = crate::paging::page_size(first)?;
    let mut query = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .order_by_asc(license_assignment::Column::AssignedAt)
        .order_by_asc(license_assignment::Column::Id)
        .limit(first);
    if let Some(after) = after {
        let previous = license_assignment::Entity::find_by_id(after)
            .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("after", crate::error::Invalid::BadFormat))?;
        use license_assignment::Column as C;
        query = query.filter(crate::paging::after_row(C::AssignedAt, C::Id, previous.assigned_at, previous.id));
    }
    Ok(history_entries(sub, query.all(db).await?))
}

/// An assignment still open when the subscription was disabled ended then (R16).
fn history_entries(sub: &subscription::Model, rows: Vec<license_assignment::Model>) -> Vec<HistoryEntry> {
    let disabled_at = if is_history(sub) { sub.disabled_at } else { None };
    rows.into_iter()
        .map(|a| {
            let released_at = match (a.unassigned_at, disabled_at) {
                (Some(unassigned), Some(disabled)) => Some(Ord::min(unassigned, disabled)),
                (unassigned, disabled) => unassigned.or(disabled),
            };
            HistoryEntry { assignment: a, released_at }
        })
        .collect()
}
