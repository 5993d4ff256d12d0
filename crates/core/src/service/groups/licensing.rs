//! R49: group-based licensing. An admin who may assign a subscription's
//! licenses (R1, R26, R27) assigns the subscription to a group; from then
//! on the group's active members hold licenses of it while seats last.
//!
//! Everything happens in [`reconcile`], run with the subscription row locked
//! (`FOR UPDATE` / SQLite's write lock) whenever something that matters
//! changes — a member joins or leaves, a member is deactivated or
//! reactivated, a group gets or loses the subscription, a seat frees up —
//! and it uses the assignment service (`licenses::insert_assignments`,
//! `licenses::end_assignments`), so R19–R21 hold as for any assignment: the
//! count is re-read under the lock and the CHECK on assigned ≤ quantity is
//! the last guard, on any number of instances.
//!
//! Each (group, subscription, member) has a `group_licenses` row: the
//! license the group gave (`assignment_id`), none because the member holds
//! one directly, or an `error` (NO_SEAT: no seat was free, earliest members
//! first; SUBSCRIPTION_NOT_ACTIVE). A license no row names came directly
//! (R19): leaving the group never takes it. A license rows name goes when
//! the last of them goes. A member assigned directly while holding a group
//! license keeps it as direct (`licenses::assign`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    enums::SubscriptionStatus, group_license, group_member, group_subscription, license_assignment, subscription, user,
    user_group,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        licenses, people,
        subscriptions::{self, Access},
    },
};

/// Why a member has no license through a group.
pub const NO_SEAT: &str = "NO_SEAT";
pub const NOT_ACTIVE: &str = "SUBSCRIPTION_NOT_ACTIVE";

/// How a member of a group stands with one of the group's subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLicense {
    pub user_id: Uuid,
    pub subscription_id: Uuid,
    /// The license the group gave, if it gave one.
    pub from_group: bool,
    /// None when the member holds a license (from the group or directly).
    pub error: Option<String>,
}

/// Assigns `subscription_id` to `group_id`: its members get licenses while
/// seats last. The caller must be allowed to assign the subscription's
/// licenses (R1, R26, R27) and see the group; both must belong to one
/// organization. Assigning it again changes nothing.
pub async fn assign_subscription(
    state: &Services,
    actor: &Actor,
    group_id: Uuid,
    subscription_id: Uuid,
) -> AppResult<(Visible<user_group::Model>, Visible<subscription::Model>)> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (group, sub) = load_pair(&txn, actor, group_id, subscription_id).await?;
    subscriptions::ensure_not_disabled(&sub)?;
    let exists = group_subscription::Entity::find_by_id((group.id, sub.id)).one(&txn).await?.is_some();
    if exists {
        return Ok((group, sub));
    }
    group_subscription::ActiveModel {
        group_id: Set(group.id),
        subscription_id: Set(sub.id),
        assigned_by: Set(actor.user_id()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let entry = AuditEntry::new(AuditAction::GroupAssignSubscription, "group", group.id)
        .after(json!({"subscriptionId": sub.id}));
    audit::record(&txn, scope, now, entry).await?;
    let reread = reconcile(&txn, scope, sub.get().clone(), now).await?;
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok((group, sub))
}

/// Takes `subscription_id` from `group_id`: licenses that came only from
/// this group go (R49), and the seats they free go to other groups' members waiting.
pub async fn unassign_subscription(
    state: &Services,
    actor: &Actor,
    group_id: Uuid,
    subscription_id: Uuid,
) -> AppResult<(Visible<user_group::Model>, Visible<subscription::Model>)> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (group, sub) = load_pair(&txn, actor, group_id, subscription_id).await?;
    subscriptions::ensure_not_disabled(&sub)?;
    let deleted = group_subscription::Entity::delete_by_id((group.id, sub.id)).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Ok((group, sub));
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let entry = AuditEntry::new(AuditAction::GroupUnassignSubscription, "group", group.id)
        .after(json!({"subscriptionId": sub.id}));
    audit::record(&txn, scope, now, entry).await?;
    let reread = reconcile(&txn, scope, sub.get().clone(), now).await?;
    let sub = sub.updated(reread).ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    txn.commit().await?;
    Ok((group, sub))
}

/// The group (seen by the caller) and the subscription (locked, the caller
/// may assign its licenses) of one organization, the organization row locked first.
async fn load_pair(
    txn: &DatabaseTransaction,
    actor: &Actor,
    group_id: Uuid,
    subscription_id: Uuid,
) -> AppResult<(Visible<user_group::Model>, Visible<subscription::Model>)> {
    let group = access::group::load(txn, actor, group_id).await?;
    people::lock_organization(txn, group.organization_id).await?;
    let sub = subscriptions::load(txn, actor, subscription_id, Access::AssignLicenses, true).await?;
    if sub.organization_id != group.organization_id {
        return Err(AppError::NotFound { entity: EntityKind::Subscription });
    }
    Ok((group, sub))
}

/// The subscriptions assigned to a group, oldest first.
pub async fn subscriptions_of(db: &impl ConnectionTrait, group_id: Uuid) -> AppResult<Vec<group_subscription::Model>> {
    Ok(group_subscription::Entity::find()
        .filter(group_subscription::Column::GroupId.eq(group_id))
        .order_by_asc(group_subscription::Column::CreatedAt)
        .all(db)
        .await?)
}

/// How each member of the group stands with each of its subscriptions.
pub async fn member_licenses(db: &impl ConnectionTrait, group_id: Uuid) -> AppResult<Vec<MemberLicense>> {
    Ok(group_license::Entity::find()
        .filter(group_license::Column::GroupId.eq(group_id))
        .order_by_asc(group_license::Column::SubscriptionId)
        .order_by_asc(group_license::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| MemberLicense {
            user_id: row.user_id,
            subscription_id: row.subscription_id,
            from_group: row.assignment_id.is_some(),
            error: row.error,
        })
        .collect())
}

/// The license errors of one subscription's group members (those left without a seat).
pub async fn errors_of_subscription(db: &impl ConnectionTrait, subscription_id: Uuid) -> AppResult<Vec<MemberLicense>> {
    let mut seen = HashSet::new();
    Ok(group_license::Entity::find()
        .filter(group_license::Column::SubscriptionId.eq(subscription_id))
        .filter(group_license::Column::Error.is_not_null())
        .order_by_asc(group_license::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .filter(|row| seen.insert(row.user_id))
        .map(|row| MemberLicense {
            user_id: row.user_id,
            subscription_id: row.subscription_id,
            from_group: false,
            error: row.error,
        })
        .collect())
}

/// Locks the subscriptions `ids` in ID order (no two changes wait on each other) and reconciles each.
async fn reconcile_all(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    mut ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    ids.sort();
    ids.dedup();
    for id in ids {
        let Some(sub) = subscription::Entity::find_by_id(id).lock_exclusive().one(txn).await? else { continue };
        reconcile(txn, scope, sub, now).await?;
    }
    Ok(())
}

/// Seats of `ids` were freed (licenses released): members waiting get them.
pub(crate) async fn refill(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    reconcile_all(txn, scope, ids, now).await
}

/// A group's members changed: its subscriptions follow.
pub(crate) async fn group_changed(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    group_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut ids: Vec<Uuid> = subscriptions_of(txn, group_id).await?.into_iter().map(|g| g.subscription_id).collect();
    // Rows of subscriptions the group no longer has are reconciled away too.
    ids.extend(
        group_license::Entity::find()
            .filter(group_license::Column::GroupId.eq(group_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|r| r.subscription_id),
    );
    reconcile_all(txn, scope, ids, now).await
}

/// A person was deactivated or reactivated: the subscriptions of their groups follow.
pub(crate) async fn member_changed(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let groups: Vec<Uuid> = group_member::Entity::find()
        .filter(group_member::Column::UserId.eq(user_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.group_id)
        .collect();
    if groups.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = group_subscription::Entity::find()
        .filter(group_subscription::Column::GroupId.is_in(groups))
        .all(txn)
        .await?
        .into_iter()
        .map(|g| g.subscription_id)
        .collect();
    reconcile_all(txn, scope, ids, now).await
}

/// A person is deleted: they leave every group (their group licenses go with the deletion's release).
pub(crate) async fn leave_all_groups(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let memberships = group_member::Entity::find().filter(group_member::Column::UserId.eq(user_id)).all(txn).await?;
    for membership in memberships {
        let Some(group) = user_group::Entity::find_by_id(membership.group_id).one(txn).await? else { continue };
        let wanted: Vec<Uuid> =
            super::members(txn, group.id).await?.into_iter().map(|m| m.user_id).filter(|id| *id != user_id).collect();
        super::set_members_in(txn, scope, &group, wanted, now).await?;
    }
    Ok(())
}

/// The group is about to be deleted: its subscription links go (its members left already).
pub(crate) async fn forget_group(txn: &DatabaseTransaction, group_id: Uuid) -> AppResult<()> {
    group_license::Entity::delete_many().filter(group_license::Column::GroupId.eq(group_id)).exec(txn).await?;
    group_subscription::Entity::delete_many()
        .filter(group_subscription::Column::GroupId.eq(group_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// R49: a seat of `sub` (locked by the caller) was freed: members waiting get it.
pub(crate) async fn fill_seats(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    sub: subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<subscription::Model> {
    reconcile(txn, scope, sub, now).await
}

/// The whole rule, for one subscription whose row the caller holds locked:
/// see the module comment. Returns the subscription as updated.
pub(crate) async fn reconcile(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    sub: subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<subscription::Model> {
    if sub.status == SubscriptionStatus::Disabled {
        // R16: final; its assignments are history.
        return Ok(sub);
    }
    let links = group_subscription::Entity::find()
        .filter(group_subscription::Column::SubscriptionId.eq(sub.id))
        .order_by_asc(group_subscription::Column::CreatedAt)
        .all(txn)
        .await?;
    let rows = group_license::Entity::find().filter(group_license::Column::SubscriptionId.eq(sub.id)).all(txn).await?;
    if links.is_empty() && rows.is_empty() {
        return Ok(sub);
    }
    let assigner: HashMap<Uuid, Uuid> = links.iter().map(|l| (l.group_id, l.assigned_by)).collect();
    // Who should hold a license through which group: active, undeleted members, earliest first.
    let members = group_member::Entity::find()
        .filter(group_member::Column::GroupId.is_in(links.iter().map(|l| l.group_id).collect::<Vec<_>>()))
        .order_by_asc(group_member::Column::AddedAt)
        .order_by_asc(group_member::Column::UserId)
        .all(txn)
        .await?;
    let member_ids: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    let active: HashSet<Uuid> = user::Entity::find()
        .filter(user::Column::Id.is_in(member_ids.clone()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::OrganizationId.eq(sub.organization_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let wanted: Vec<(Uuid, Uuid)> =
        members.iter().filter(|m| active.contains(&m.user_id)).map(|m| (m.group_id, m.user_id)).collect();
    let wanted_set: HashSet<(Uuid, Uuid)> = wanted.iter().copied().collect();

    // 1. Rows no longer wanted go; a license only they named goes with them.
    let (kept, gone): (Vec<group_license::Model>, Vec<group_license::Model>) =
        rows.into_iter().partition(|r| wanted_set.contains(&(r.group_id, r.user_id)));
    for row in &gone {
        group_license::Entity::delete_by_id((row.group_id, row.subscription_id, row.user_id)).exec(txn).await?;
    }
    let still_named: HashSet<Uuid> = kept.iter().filter_map(|r| r.assignment_id).collect();
    let orphaned: Vec<Uuid> = gone
        .iter()
        .filter_map(|r| r.assignment_id)
        .filter(|a| !still_named.contains(a))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut sub = sub;
    if !orphaned.is_empty() {
        let holding = license_assignment::Entity::find()
            .filter(license_assignment::Column::Id.is_in(orphaned))
            .filter(license_assignment::Column::Active.eq(true))
            .order_by_asc(license_assignment::Column::UserId)
            .all(txn)
            .await?;
        if !holding.is_empty() {
            let note = json!({"reason": "LEFT_GROUP"});
            sub = licenses::end_assignments(txn, &sub, &holding, scope.actor_user_id, scope, now, Some(note)).await?;
        }
    }

    // 2. Who holds a license now, and which of those licenses groups gave.
    let held: HashMap<Uuid, Uuid> = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::UserId.is_in(wanted.iter().map(|(_, u)| *u).collect::<Vec<_>>()))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| (a.user_id, a.id))
        .collect();
    let mut rows: HashMap<(Uuid, Uuid), group_license::Model> =
        kept.into_iter().map(|r| ((r.group_id, r.user_id), r)).collect();
    let group_given: HashSet<Uuid> = rows.values().filter_map(|r| r.assignment_id).collect();

    // 3. Members without a license get one while seats last, earliest first.
    let mut waiting: Vec<Uuid> = Vec::new();
    let mut waiting_group: HashMap<Uuid, Uuid> = HashMap::new();
    for (group_id, user_id) in &wanted {
        if !held.contains_key(user_id) && !waiting_group.contains_key(user_id) {
            waiting.push(*user_id);
            waiting_group.insert(*user_id, *group_id);
        }
    }
    let seats = if sub.status != SubscriptionStatus::Active {
        0
    } else {
        match sub.quantity {
            None => waiting.len(),
            Some(q) => usize::try_from((q - sub.assigned_count).max(0)).unwrap_or(0),
        }
    };
    let granted: Vec<Uuid> = waiting.iter().copied().take(seats).collect();
    let mut given: HashMap<Uuid, Uuid> = HashMap::new();
    for chunk in granted.chunks(licenses::MAX_USERS_PER_CALL.max(1) * 25) {
        let by = waiting_group.get(&chunk[0]).and_then(|g| assigner.get(g)).copied().unwrap_or(Uuid::nil());
        let groups: Vec<Uuid> =
            chunk.iter().filter_map(|u| waiting_group.get(u)).copied().collect::<HashSet<_>>().into_iter().collect();
        let note = json!({"viaGroups": groups});
        let (reread, ids) = licenses::insert_assignments(txn, &sub, chunk, by, scope, now, Some(note)).await?;
        sub = reread;
        given.extend(chunk.iter().copied().zip(ids));
    }

    // 4. Each wanted row says how its member stands.
    let not_active = sub.status != SubscriptionStatus::Active;
    for (group_id, user_id) in &wanted {
        let (assignment_id, error) = match (held.get(user_id), given.get(user_id)) {
            (Some(a), _) if group_given.contains(a) => (Some(*a), None),
            (Some(_), _) => (None, None),
            (None, Some(a)) => (Some(*a), None),
            (None, None) if not_active => (None, Some(NOT_ACTIVE.to_owned())),
            (None, None) => (None, Some(NO_SEAT.to_owned())),
        };
        match rows.remove(&(*group_id, *user_id)) {
            Some(row) if row.assignment_id == assignment_id && row.error == error => {}
            Some(row) => {
                let mut model: group_license::ActiveModel = row.into();
                model.assignment_id = Set(assignment_id);
                model.error = Set(error);
                model.updated_at = Set(now);
                model.update(txn).await?;
            }
            None => {
                group_license::ActiveModel {
                    group_id: Set(*group_id),
                    subscription_id: Set(sub.id),
                    user_id: Set(*user_id),
                    assignment_id: Set(assignment_id),
                    error: Set(error),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
            }
        }
    }
    Ok(sub)
}
