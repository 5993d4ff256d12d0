//! User management (R43): the organization's GLOBAL_ADMIN (R1: the admin who
//! manages users) deactivates, reactivates and deletes users and sets their
//! org roles. The organization always keeps at least one active, undeleted
//! GLOBAL_ADMIN: each change locks the organization row first, so two admins
//! demoting each other at once cannot both succeed.
//!
//! - Deactivation: the user cannot sign in and every request with one of
//!   their tokens is UNAUTHENTICATED at once (the caller is resolved live per
//!   request). Their licenses stay assigned.
//! - Deletion is soft: the row stays (audit events, subscriptions and
//!   licenses name the user) with `deleted_at` set, roles removed, the
//!   password unusable and the e-mail address freed for a new account (the
//!   old address is kept in the audit event). Their licenses on subscriptions
//!   that are not disabled are released (audited per subscription and on the
//!   user). Their self-service subscriptions stop renewing (no renewal is
//!   charged to a departed person's card) and are handed to the
//!   organization's billing managers, who may cancel them (R27's FORBIDDEN
//!   does not apply once the purchaser is deleted).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    enums::{Channel, OrgRole, SubscriptionStatus},
    license_assignment, organization, subscription, user, user_role,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{Actor, OrgActor},
    db,
    error::{AppError, AppResult, EntityKind},
    service::Services,
    service::audit::{self, AuditAction, AuditEntry, AuditScope},
};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::User };

/// What deleting a user did besides marking them deleted.
pub struct Deletion {
    pub user: Visible<user::Model>,
    /// Subscriptions on which the user's license was released.
    pub released_from: Vec<Uuid>,
    /// The user's own self-service subscriptions, now with auto-renew off and
    /// in the hands of the organization's billing managers.
    pub handed_over: Vec<Uuid>,
}

/// R1: only a GLOBAL_ADMIN manages users.
fn user_manager(actor: &Actor) -> AppResult<&OrgActor> {
    let org = actor.org()?;
    if !org.can_manage_users() {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

/// Starts the change: the write transaction, the organization row locked
/// (serializes every R43 change of one organization), and the target user,
/// who must be an undeleted member of the caller's organization (R3).
async fn begin(state: &Services, org: &OrgActor, user_id: Uuid) -> AppResult<(DatabaseTransaction, user::Model)> {
    let txn = db::begin_write(&state.db).await?;
    let target = lock_member(&txn, org.organization_id, user_id).await?;
    Ok((txn, target))
}

/// Locks the organization row (serializes every R43 change of one
/// organization, from an admin or the directory, R49) and returns the
/// undeleted member `user_id` of it, locked; NOT_FOUND otherwise (R3).
pub(crate) async fn lock_member(
    txn: &DatabaseTransaction,
    organization_id: Uuid,
    user_id: Uuid,
) -> AppResult<user::Model> {
    lock_organization(txn, organization_id).await?;
    user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|u| u.organization_id == Some(organization_id) && u.deleted_at.is_none())
        .ok_or(NOT_FOUND)
}

/// Locks the organization row: every R43 change of one organization waits for the one before.
pub(crate) async fn lock_organization(txn: &DatabaseTransaction, organization_id: Uuid) -> AppResult<()> {
    organization::Entity::find_by_id(organization_id).lock_exclusive().one(txn).await?.ok_or(NOT_FOUND)?;
    Ok(())
}

/// The user as the caller sees them, by the one user rule (R3, R37).
fn seen(actor: &Actor, user: user::Model) -> AppResult<Visible<user::Model>> {
    access::user::check(actor, user).ok_or(NOT_FOUND)
}

async fn roles(txn: &DatabaseTransaction, user_id: Uuid) -> AppResult<Vec<OrgRole>> {
    let mut roles: Vec<OrgRole> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|r| r.role)
        .collect();
    roles.sort_by_key(|r| r.as_str());
    Ok(roles)
}

/// R43: refuses a change that would leave the organization without an
/// active GLOBAL_ADMIN, i.e. when `target` is one and nobody else is.
async fn keep_a_global_admin(txn: &DatabaseTransaction, target: &user::Model) -> AppResult<()> {
    let target_is_active_admin = target.active && roles(txn, target.id).await?.contains(&OrgRole::GlobalAdmin);
    if !target_is_active_admin {
        return Ok(());
    }
    let global_admins = Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.eq(OrgRole::GlobalAdmin.as_str()))
        .to_owned();
    let others = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(target.organization_id))
        .filter(user::Column::Id.ne(target.id))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Id.in_subquery(global_admins))
        .count(txn)
        .await?;
    if others == 0 { Err(AppError::LastGlobalAdmin) } else { Ok(()) }
}

fn names(roles: &[OrgRole]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

async fn set_active(
    state: &Services,
    actor: &Actor,
    user_id: Uuid,
    active: bool,
    action: AuditAction,
) -> AppResult<Visible<user::Model>> {
    let org = user_manager(actor)?;
    let (txn, target) = begin(state, org, user_id).await?;
    let scope = AuditScope::org(org.organization_id, Some(actor));
    let updated = change_active(&txn, scope, target, active, false, action, state.clock.now()).await?;
    txn.commit().await?;
    seen(actor, updated)
}

/// R43, R47, R49: turns `target` (locked by [`lock_member`]) active or not,
/// in the caller's transaction. Deactivation keeps a GLOBAL_ADMIN, ends the
/// user's sessions and, with `release`, releases their licenses as deletion
/// does (the directory's deactivation, R49). Nothing changes and nothing is
/// audited when the user is already so.
pub(crate) async fn change_active(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    target: user::Model,
    active: bool,
    release: bool,
    action: AuditAction,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    if target.active == active {
        return Ok(target);
    }
    if !active {
        keep_a_global_admin(txn, &target).await?;
    }
    let mut model: user::ActiveModel = target.into();
    model.active = Set(active);
    let updated = model.update(txn).await?;
    // R49: licenses through groups follow the member's state.
    super::groups::licensing::member_changed(txn, scope, updated.id, now).await?;
    let released = if !active && release {
        release_licenses(txn, scope, &updated, "USER_DEACTIVATED", now).await?
    } else {
        Vec::new()
    };
    super::groups::licensing::refill(txn, scope, released.clone(), now).await?;
    if !active {
        // R47: reactivation later starts nothing again; the user signs in anew.
        super::sessions::end_all_of_user(txn, updated.id, None, super::sessions::EndReason::Deactivated).await?;
    }
    let mut after = json!({"active": active});
    if release && !active {
        after["releasedLicensesOf"] = json!(released);
    }
    let entry = AuditEntry::new(action, "user", updated.id).before(json!({"active": !active})).after(after);
    audit::record(txn, scope, now, entry).await?;
    Ok(updated)
}

/// R43, R47: the user can no longer sign in; their sessions end (their
/// tokens stop at once, and reactivation does not revive them); their
/// licenses stay assigned.
pub async fn deactivate(state: &Services, actor: &Actor, user_id: Uuid) -> AppResult<Visible<user::Model>> {
    set_active(state, actor, user_id, false, AuditAction::UserDeactivate).await
}

/// R43: the user can sign in again.
pub async fn reactivate(state: &Services, actor: &Actor, user_id: Uuid) -> AppResult<Visible<user::Model>> {
    set_active(state, actor, user_id, true, AuditAction::UserReactivate).await
}

/// R1, R43: replaces the user's admin roles (USER is implicit and ignored).
pub async fn set_roles(
    state: &Services,
    actor: &Actor,
    user_id: Uuid,
    wanted: Vec<OrgRole>,
) -> AppResult<Visible<user::Model>> {
    let org = user_manager(actor)?;
    let mut wanted: Vec<OrgRole> = wanted.into_iter().filter(|r| *r != OrgRole::User).collect();
    wanted.sort_by_key(|r| r.as_str());
    wanted.dedup();
    let (txn, target) = begin(state, org, user_id).await?;
    let current = roles(&txn, target.id).await?;
    if current == wanted {
        return seen(actor, target);
    }
    if !wanted.contains(&OrgRole::GlobalAdmin) {
        keep_a_global_admin(&txn, &target).await?;
    }
    user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(target.id)).exec(&txn).await?;
    for role in &wanted {
        user_role::ActiveModel { user_id: Set(target.id), role: Set(*role) }.insert(&txn).await?;
    }
    let now = state.clock.now();
    let entry = AuditEntry::new(AuditAction::UserSetRoles, "user", target.id)
        .before(json!({"roles": names(&current)}))
        .after(json!({"roles": names(&wanted)}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    seen(actor, target)
}

/// R43: soft-deletes the user (see the module comment for what happens).
pub async fn delete(state: &Services, actor: &Actor, user_id: Uuid) -> AppResult<Deletion> {
    let org = user_manager(actor)?;
    let (txn, target) = begin(state, org, user_id).await?;
    let scope = AuditScope::org(org.organization_id, Some(actor));
    let (deleted, released_from, handed_over) = delete_member(&txn, scope, target, state.clock.now()).await?;
    txn.commit().await?;
    Ok(Deletion { user: seen(actor, deleted)?, released_from, handed_over })
}

/// R43, R49: soft-deletes `target` (locked by [`lock_member`]) in the
/// caller's transaction: the subscriptions whose license was released and
/// the self-service subscriptions handed over.
pub(crate) async fn delete_member(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    target: user::Model,
    now: DateTime<Utc>,
) -> AppResult<(user::Model, Vec<Uuid>, Vec<Uuid>)> {
    let user_id = target.id;
    keep_a_global_admin(txn, &target).await?;
    // R49: they leave their groups first (licenses only a group gave go with it).
    super::groups::licensing::leave_all_groups(txn, scope, user_id, now).await?;
    let released_from = release_licenses(txn, scope, &target, "USER_DELETED", now).await?;
    let handed_over = hand_over_self_service(txn, scope, &target, now).await?;
    let before_roles = roles(txn, target.id).await?;
    user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(target.id)).exec(txn).await?;
    let old_email = target.email.clone();
    let was_active = target.active;
    let mut model: user::ActiveModel = target.into();
    model.active = Set(false);
    model.deleted_at = Set(Some(now));
    // Frees the address for a new account; `.invalid` can never be a real mailbox (RFC 2606).
    model.email = Set(format!("deleted-{}@deleted.invalid", user_id.simple()));
    // No password verifies against this.
    model.password_hash = Set("!deleted".to_owned());
    // R49: the directory may provision the person again under the same IDs.
    model.external_id = Set(None);
    let deleted = model.update(txn).await?;
    entity::scim_user::Entity::delete_by_id(user_id).exec(txn).await?;
    super::sessions::end_all_of_user(txn, deleted.id, None, super::sessions::EndReason::Deleted).await?;
    // R49: the seats freed go to group members waiting for one.
    super::groups::licensing::refill(txn, scope, released_from.clone(), now).await?;
    let entry = AuditEntry::new(AuditAction::UserDelete, "user", deleted.id)
        .before(json!({"email": old_email, "active": was_active, "roles": names(&before_roles)}))
        .after(json!({
            "deletedAt": now,
            "releasedLicensesOf": released_from,
            "selfServiceSubscriptionsHandedToAdmins": handed_over,
        }));
    audit::record(txn, scope, now, entry).await?;
    Ok((deleted, released_from, handed_over))
}

/// Releases the user's active licenses on subscriptions that are not
/// disabled (a disabled subscription is final, R16: its assignments stay as
/// history). Subscription rows are locked like any license change (R21).
async fn release_licenses(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    target: &user::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    let held = license_assignment::Entity::find()
        .filter(license_assignment::Column::UserId.eq(target.id))
        .filter(license_assignment::Column::Active.eq(true))
        .all(txn)
        .await?;
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let by_subscription: HashMap<Uuid, Uuid> = held.iter().map(|a| (a.subscription_id, a.id)).collect();
    let mut subs = subscription::Entity::find()
        .filter(subscription::Column::Id.is_in(by_subscription.keys().copied().collect::<Vec<_>>()))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Disabled))
        .lock_exclusive()
        .all(txn)
        .await?;
    subs.sort_by_key(|s| s.id);
    let mut released = Vec::new();
    for sub in subs {
        let Some(assignment) = by_subscription.get(&sub.id) else { continue };
        license_assignment::Entity::update_many()
            .col_expr(license_assignment::Column::Active, Expr::value(false))
            .col_expr(license_assignment::Column::UnassignedBy, Expr::value(scope.actor_user_id))
            .col_expr(license_assignment::Column::UnassignedAt, Expr::value(now))
            .filter(license_assignment::Column::Id.eq(*assignment))
            .exec(txn)
            .await?;
        subscription::Entity::update_many()
            .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).sub(1))
            .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
            .filter(subscription::Column::Id.eq(sub.id))
            .exec(txn)
            .await?;
        let entry = AuditEntry::new(AuditAction::SubscriptionReleaseLicense, "subscription", sub.id)
            .before(json!({"assigned": sub.assigned_count}))
            .after(json!({"assigned": sub.assigned_count - 1, "users": [target.id], "reason": reason}));
        audit::record(txn, scope, now, entry).await?;
        released.push(sub.id);
    }
    Ok(released)
}

/// The deleted user's own self-service subscriptions that are still running:
/// auto-renew off, audited as handed to the organization's admins.
async fn hand_over_self_service(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    target: &user::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    let subs = subscription::Entity::find()
        .filter(subscription::Column::PurchaserId.eq(target.id))
        .filter(subscription::Column::Channel.eq(Channel::SelfService))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Disabled))
        .lock_exclusive()
        .all(txn)
        .await?;
    let mut handed = Vec::new();
    for sub in subs {
        // Issue 26 item 1: the terms ended before today renew (or end) as they were.
        let caught = crate::service::subscriptions::bring_up_to_date(txn, sub, now.date_naive(), now).await?;
        if caught.ended {
            continue;
        }
        let sub = caught.sub;
        let was = sub.auto_renew;
        let mut model: subscription::ActiveModel = sub.into();
        model.auto_renew = Set(false);
        model.updated_at = Set(now);
        let sub = model.update(txn).await?;
        let entry = AuditEntry::new(AuditAction::SubscriptionHandOver, "subscription", sub.id)
            .before(json!({"purchaserDeleted": false, "autoRenew": was}))
            .after(json!({"purchaserDeleted": true, "autoRenew": false, "managedBy": "BILLING_MANAGERS"}));
        audit::record(txn, scope, now, entry).await?;
        handed.push(sub.id);
    }
    Ok(handed)
}

/// R43: after a self-service purchaser was deleted, the organization's
/// billing managers may cancel the subscription (the rule is
/// `access::subscription::check_handed_over`).
pub async fn handed_over_for_cancel(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Visible<subscription::Model>> {
    let sub = subscription::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let purchaser = user::Entity::find_by_id(sub.purchaser_id).one(txn).await?.ok_or(AppError::Forbidden)?;
    access::subscription::check_handed_over(actor, sub, &purchaser)
}
