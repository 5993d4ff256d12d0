//! R51 (issue 22 item 3): reclaiming licenses nobody uses. A policy (per
//! organization, or per subscription over it) says after how many unused
//! days a license is taken back and how long its holder is told before. The
//! daily billing run ([`run`]) tells each holder once (RECLAIM_NOTICE, R52)
//! and, when the notice period has passed and the license is still unused,
//! unassigns it — audited and emitted as LICENSES_UNASSIGNED like any
//! unassignment. A use after the notice cancels it. [`preview`] is the dry
//! run: what the next runs would do, changing nothing. Each step is its own
//! transaction and re-reads its row, so several instances may run it.

use chrono::{DateTime, Duration, Utc};
use entity::{
    enums::SubscriptionStatus, license_assignment, organization, product, reclaim_policy, subscription, user,
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, subscription::Access},
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind, Invalid},
    pdf::locale,
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        notices::{self, NewNotice, NoticeKind},
    },
};

pub const ORGANIZATION: &str = "ORGANIZATION";

/// What a run will do with one assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimAction {
    /// Tell the holder; the license goes after the notice period.
    Notify,
    /// Take the license back (on `due`).
    Unassign,
}

#[derive(Debug, Clone)]
pub struct ReclaimStep {
    pub assignment: license_assignment::Model,
    pub subscription_id: Uuid,
    pub action: ReclaimAction,
    /// When it happens (now, or the end of the notice period).
    pub due: DateTime<Utc>,
}

/// R51: sets (or with `unused_days` None removes) the policy of the caller's
/// organization (GLOBAL_ADMIN) or of one subscription (those who assign its
/// licenses); audited.
pub async fn set_policy(
    state: &Services,
    actor: &Actor,
    subscription_id: Option<Uuid>,
    unused_days: Option<i64>,
    notice_days: i64,
) -> AppResult<Option<reclaim_policy::Model>> {
    let org = actor.org()?;
    if let Some(days) = unused_days
        && !(7..=3650).contains(&days)
    {
        return Err(AppError::validation("unusedDays", Invalid::OutOfRange { min: 7, max: 3650 }));
    }
    if !(0..=90).contains(&notice_days) {
        return Err(AppError::validation("noticeDays", Invalid::OutOfRange { min: 0, max: 90 }));
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let scope = match subscription_id {
        Some(id) => {
            access::subscription::load(&txn, actor, id, Access::AssignLicenses, true).await?;
            id.to_string()
        }
        None if org.is_global_admin() => ORGANIZATION.to_owned(),
        None => return Err(AppError::Forbidden),
    };
    let key = (org.organization_id, scope.clone());
    let before = reclaim_policy::Entity::find_by_id(key.clone()).one(&txn).await?;
    let after = match unused_days {
        None => {
            reclaim_policy::Entity::delete_by_id(key).exec(&txn).await?;
            None
        }
        Some(days) => {
            let row = reclaim_policy::ActiveModel {
                organization_id: Set(org.organization_id),
                scope: Set(scope.clone()),
                subscription_id: Set(subscription_id),
                unused_days: Set(days as i32),
                notice_days: Set(notice_days as i32),
                updated_at: Set(now),
            };
            reclaim_policy::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([reclaim_policy::Column::OrganizationId, reclaim_policy::Column::Scope])
                        .update_columns([
                            reclaim_policy::Column::UnusedDays,
                            reclaim_policy::Column::NoticeDays,
                            reclaim_policy::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            reclaim_policy::Entity::find_by_id((org.organization_id, scope.clone())).one(&txn).await?
        }
    };
    let snapshot = |p: &Option<reclaim_policy::Model>| json!({"scope": scope, "unusedDays": p.as_ref().map(|p| p.unused_days), "noticeDays": p.as_ref().map(|p| p.notice_days)});
    let entry = AuditEntry::new(AuditAction::OrganizationReclaimPolicy, "organization", org.organization_id)
        .before(snapshot(&before))
        .after(snapshot(&after));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(after)
}

/// The policies of the caller's organization (its admins).
pub async fn policies(state: &Services, actor: &Actor) -> AppResult<Vec<reclaim_policy::Model>> {
    let org = access::notice::may_read_log(actor)?;
    Ok(reclaim_policy::Entity::find()
        .filter(reclaim_policy::Column::OrganizationId.eq(org.organization_id))
        .order_by_asc(reclaim_policy::Column::Scope)
        .all(&state.db)
        .await?)
}

/// The steps due for the active subscriptions of `organization` (all when None).
async fn plan(
    db: &impl sea_orm::ConnectionTrait,
    organization: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Vec<ReclaimStep>> {
    let mut query = reclaim_policy::Entity::find();
    if let Some(id) = organization {
        query = query.filter(reclaim_policy::Column::OrganizationId.eq(id));
    }
    let policies = query.all(db).await?;
    let mut steps = Vec::new();
    for org_id in policies.iter().map(|p| p.organization_id).collect::<std::collections::BTreeSet<_>>() {
        let subs = subscription::Entity::find()
            .filter(subscription::Column::OrganizationId.eq(org_id))
            .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
            .all(db)
            .await?;
        for sub in subs {
            let policy = policies
                .iter()
                .find(|p| p.organization_id == org_id && p.subscription_id == Some(sub.id))
                .or_else(|| policies.iter().find(|p| p.organization_id == org_id && p.scope == ORGANIZATION));
            let Some(policy) = policy else { continue };
            let cutoff = now - Duration::days(i64::from(policy.unused_days));
            let held = license_assignment::Entity::find()
                .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
                .filter(license_assignment::Column::Active.eq(true))
                .order_by_asc(license_assignment::Column::AssignedAt)
                .all(db)
                .await?;
            for assignment in held {
                let last = assignment.last_used_at.unwrap_or(assignment.assigned_at);
                if last >= cutoff {
                    continue;
                }
                let told = assignment.reclaim_notice_at.filter(|at| assignment.last_used_at.is_none_or(|u| u < *at));
                let (action, due) = match told {
                    None => (ReclaimAction::Notify, now),
                    Some(at) => (ReclaimAction::Unassign, at + Duration::days(i64::from(policy.notice_days))),
                };
                steps.push(ReclaimStep { assignment, subscription_id: sub.id, action, due });
            }
        }
    }
    Ok(steps)
}

/// R51: the dry run — what reclaiming would do in the caller's organization,
/// limited to the subscriptions the caller may see (admins).
pub async fn preview(state: &Services, actor: &Actor) -> AppResult<Vec<ReclaimStep>> {
    let org = access::notice::may_read_log(actor)?;
    let steps = plan(&state.db, Some(org.organization_id), state.clock.now()).await?;
    let visible: Vec<Uuid> = subscription::Entity::find()
        .filter(access::subscription::visible(actor))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    Ok(steps.into_iter().filter(|s| visible.contains(&s.subscription_id)).take(500).collect())
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReclaimReport {
    pub notified: u64,
    pub unassigned: u64,
}

/// R51: one reclaiming pass (the billing run's step).
pub async fn run(state: &Services) -> AppResult<ReclaimReport> {
    let now = state.clock.now();
    let mut report = ReclaimReport::default();
    for step in plan(&state.db, None, now).await? {
        match step.action {
            ReclaimAction::Notify => report.notified += u64::from(notify(state, &step, now).await?),
            ReclaimAction::Unassign if step.due <= now => {
                report.unassigned += u64::from(unassign(state, &step, now).await?);
            }
            ReclaimAction::Unassign => {}
        }
    }
    Ok(report)
}

/// Marks the assignment told and queues the holder's notice, in one transaction.
async fn notify(state: &Services, step: &ReclaimStep, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let marked = license_assignment::Entity::update_many()
        .col_expr(license_assignment::Column::ReclaimNoticeAt, Expr::value(now))
        .filter(license_assignment::Column::Id.eq(step.assignment.id))
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::ReclaimNoticeAt.eq(step.assignment.reclaim_notice_at))
        .exec(&txn)
        .await?
        .rows_affected;
    if marked == 0 {
        // Another instance got there first, or it changed meanwhile.
        return Ok(false);
    }
    let sub = subscription::Entity::find_by_id(step.subscription_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let product = product::Entity::find_by_id(sub.product_id).one(&txn).await?;
    let organization = organization::Entity::find_by_id(sub.organization_id).one(&txn).await?;
    let holder = user::Entity::find_by_id(step.assignment.user_id).one(&txn).await?;
    if let (Some(product), Some(organization), Some(holder)) = (product, organization, holder) {
        let lang = notices::organization_lang(&organization);
        let policy_days = plan_days(&txn, &sub).await?;
        let due = now + Duration::days(policy_days.1);
        notices::queue(
            &txn,
            NewNotice {
                organization_id: sub.organization_id,
                kind: NoticeKind::ReclaimNotice,
                dedupe_key: format!(
                    "{}:{}:{}",
                    NoticeKind::ReclaimNotice.as_str(),
                    step.assignment.id,
                    now.timestamp_millis()
                ),
                recipient_email: holder.email.clone(),
                recipient_name: holder.name.clone(),
                lang,
                object_type: access::notice::SUBSCRIPTION,
                object_id: sub.id,
                data: json!({
                    "organization": organization.name,
                    "product": product.name,
                    "days": locale::number(policy_days.0, lang),
                    "date": locale::date(due.date_naive(), lang),
                }),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// (unused days, notice days) of the policy that applies to `sub`.
async fn plan_days(db: &impl sea_orm::ConnectionTrait, sub: &subscription::Model) -> AppResult<(i64, i64)> {
    let own = reclaim_policy::Entity::find_by_id((sub.organization_id, sub.id.to_string())).one(db).await?;
    let policy = match own {
        Some(p) => Some(p),
        None => reclaim_policy::Entity::find_by_id((sub.organization_id, ORGANIZATION.to_owned())).one(db).await?,
    };
    Ok(policy.map(|p| (i64::from(p.unused_days), i64::from(p.notice_days))).unwrap_or((0, 0)))
}

/// Takes the license back (still active, still unused since the notice), audited.
async fn unassign(state: &Services, step: &ReclaimStep, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let mut still_unused = license_assignment::Entity::update_many()
        .col_expr(license_assignment::Column::Active, Expr::value(false))
        .col_expr(license_assignment::Column::UnassignedAt, Expr::value(now))
        .filter(license_assignment::Column::Id.eq(step.assignment.id))
        .filter(license_assignment::Column::Active.eq(true));
    still_unused = match step.assignment.last_used_at {
        Some(at) => still_unused.filter(license_assignment::Column::LastUsedAt.eq(at)),
        None => still_unused.filter(license_assignment::Column::LastUsedAt.is_null()),
    };
    if still_unused.exec(&txn).await?.rows_affected == 0 {
        return Ok(false);
    }
    let sub = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).sub(1))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(step.subscription_id))
        .exec_with_returning(&txn)
        .await?
        .pop()
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let entry = AuditEntry::new(AuditAction::SubscriptionReclaimLicense, "subscription", sub.id)
        .before(json!({"assigned": sub.assigned_count + 1}))
        .after(json!({"assigned": sub.assigned_count, "users": [step.assignment.user_id], "reason": "unused"}));
    audit::record(&txn, AuditScope::org(sub.organization_id, None), now, entry).await?;
    txn.commit().await?;
    Ok(true)
}
