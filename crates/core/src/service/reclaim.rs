//! R51 (issue 22 item 3): reclaiming licenses nobody uses. A policy (per
//! organization, or per subscription over it) says after how many unused
//! days a license is taken back, and/or how many days before an
//! auto-renewing subscription's renewal its quantity is lowered to the
//! licenses assigned then, and how long people are told before.
//!
//! The daily billing run ([`run`]):
//! - tells each holder of an unused license once, and the organization's
//!   admins who assign licenses (GLOBAL_ADMIN, LICENSE_ADMIN) once per
//!   subscription and run (RECLAIM_NOTICE, R52); when the notice period has
//!   passed and the license is still unused, unassigns it — audited and
//!   emitted as LICENSES_UNASSIGNED like any unassignment. A use after the
//!   notice cancels it.
//! - tells the admins who manage the subscription (GLOBAL_ADMIN,
//!   LICENSE_ADMIN, BILLING_ADMIN) once per term that its quantity will be
//!   lowered, at least the notice period before; on the day (`lower_quantity_days`
//!   before the renewal, never earlier than the notice period after the
//!   notice) lowers it to the licenses assigned then, at least 1 (R18),
//!   through the same quantity change as `changeLicenseQuantity`
//!   (`subscriptions::apply_quantity`: its checks, its pro-rata credit (R30),
//!   `subscription.change_quantity` audited, SUBSCRIPTION_QUANTITY_CHANGED).
//!   The renewal then charges the lowered quantity, since a renewal charges
//!   the stored quantity (`subscriptions::bring_up_to_date`).
//!
//! [`preview`] is the dry run: what the next runs would do, changing
//! nothing. Each step is its own transaction and re-reads its row, so
//! several instances may run it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    enums::{OrgRole, SubscriptionStatus},
    license_assignment, organization, product, reclaim_policy, reclaim_quantity_notice, subscription, user, user_role,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
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
        notices::{self, NewNotice, NoticeKind, texts::ReclaimVariant},
        subscriptions,
    },
};

pub const ORGANIZATION: &str = "ORGANIZATION";

/// What a run will do with one assignment or subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimAction {
    /// Tell the holder and the admins; the license goes after the notice period.
    Notify,
    /// Take the license back (on `due`).
    Unassign,
    /// Tell the admins (on `due`) that the quantity will be lowered before the renewal.
    NotifyLowerQuantity,
    /// Lower the quantity to the licenses assigned then (on `due`).
    LowerQuantity,
}

#[derive(Debug, Clone)]
pub struct ReclaimStep {
    /// The license, for Notify and Unassign.
    pub assignment: Option<license_assignment::Model>,
    pub subscription_id: Uuid,
    pub action: ReclaimAction,
    /// When it happens (now, the end of the notice period, or the day of lowering).
    pub due: DateTime<Utc>,
    /// For the quantity steps: (the quantity now, the licenses assigned now, at least 1).
    pub quantity: Option<(i64, i64)>,
}

/// Days a quantity may be lowered before its renewal (1 to 60).
pub const LOWER_QUANTITY_DAYS: std::ops::RangeInclusive<i64> = 1..=60;

/// The policy's settings as the caller gives them (R51).
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicyInput {
    /// Take back licenses unused for this many days; None: take none back.
    pub unused_days: Option<i64>,
    /// Lower an auto-renewing subscription's quantity this many days before
    /// its renewal; None: do not lower.
    pub lower_quantity_days: Option<i64>,
    pub notice_days: i64,
}

/// R51: sets (or with neither `unused_days` nor `lower_quantity_days`
/// removes) the policy of the caller's organization (GLOBAL_ADMIN) or of one
/// subscription (those who assign its licenses, and with
/// `lower_quantity_days` who also manage its billing); audited.
pub async fn set_policy(
    state: &Services,
    actor: &Actor,
    subscription_id: Option<Uuid>,
    input: PolicyInput,
) -> AppResult<Option<reclaim_policy::Model>> {
    let PolicyInput { unused_days, lower_quantity_days, notice_days } = input;
    let org = actor.org()?;
    if let Some(days) = unused_days
        && !(7..=3650).contains(&days)
    {
        return Err(AppError::validation("unusedDays", Invalid::OutOfRange { min: 7, max: 3650 }));
    }
    if let Some(days) = lower_quantity_days
        && !LOWER_QUANTITY_DAYS.contains(&days)
    {
        return Err(AppError::validation(
            "lowerQuantityDaysBeforeRenewal",
            Invalid::OutOfRange { min: *LOWER_QUANTITY_DAYS.start(), max: *LOWER_QUANTITY_DAYS.end() },
        ));
    }
    if !(0..=90).contains(&notice_days) {
        return Err(AppError::validation("noticeDays", Invalid::OutOfRange { min: 0, max: 90 }));
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let scope = match subscription_id {
        Some(id) => {
            access::subscription::load(&txn, actor, id, Access::AssignLicenses, true).await?;
            if lower_quantity_days.is_some() {
                // Lowering changes the quantity: for those who manage its billing too (R1, R2).
                access::subscription::load(&txn, actor, id, Access::ManageBilling, false).await?;
            }
            id.to_string()
        }
        None if org.is_global_admin() => ORGANIZATION.to_owned(),
        None => return Err(AppError::Forbidden),
    };
    let key = (org.organization_id, scope.clone());
    let before = reclaim_policy::Entity::find_by_id(key.clone()).one(&txn).await?;
    let after = match (unused_days, lower_quantity_days) {
        (None, None) => {
            reclaim_policy::Entity::delete_by_id(key).exec(&txn).await?;
            None
        }
        (unused, lower) => {
            let row = reclaim_policy::ActiveModel {
                organization_id: Set(org.organization_id),
                scope: Set(scope.clone()),
                subscription_id: Set(subscription_id),
                // 0: no license is taken back (the policy only lowers quantities).
                unused_days: Set(unused.unwrap_or(0) as i32),
                notice_days: Set(notice_days as i32),
                lower_quantity_days: Set(lower.map(|d| d as i32)),
                updated_at: Set(now),
            };
            reclaim_policy::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([reclaim_policy::Column::OrganizationId, reclaim_policy::Column::Scope])
                        .update_columns([
                            reclaim_policy::Column::UnusedDays,
                            reclaim_policy::Column::NoticeDays,
                            reclaim_policy::Column::LowerQuantityDays,
                            reclaim_policy::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            reclaim_policy::Entity::find_by_id((org.organization_id, scope.clone())).one(&txn).await?
        }
    };
    let snapshot = |p: &Option<reclaim_policy::Model>| {
        json!({
            "scope": scope,
            "unusedDays": p.as_ref().map(|p| p.unused_days).filter(|d| *d > 0),
            "lowerQuantityDaysBeforeRenewal": p.as_ref().and_then(|p| p.lower_quantity_days),
            "noticeDays": p.as_ref().map(|p| p.notice_days),
        })
    };
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
            if policy.unused_days > 0 {
                steps.extend(license_steps(db, &sub, policy, now).await?);
            }
            if let Some(days) = policy.lower_quantity_days {
                steps.extend(quantity_step(db, &sub, policy, days, now).await?);
            }
        }
    }
    Ok(steps)
}

/// The licenses of `sub` unused for the policy's days: to tell, or to take back.
async fn license_steps(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
    policy: &reclaim_policy::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<ReclaimStep>> {
    let cutoff = now - Duration::days(i64::from(policy.unused_days));
    let held = license_assignment::Entity::find()
        .filter(license_assignment::Column::SubscriptionId.eq(sub.id))
        .filter(license_assignment::Column::Active.eq(true))
        .order_by_asc(license_assignment::Column::AssignedAt)
        .all(db)
        .await?;
    let mut steps = Vec::new();
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
        steps.push(ReclaimStep { assignment: Some(assignment), subscription_id: sub.id, action, due, quantity: None });
    }
    Ok(steps)
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// This term's lowering notice of `sub`, if the admins were told.
async fn quantity_notice(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
) -> AppResult<Option<reclaim_quantity_notice::Model>> {
    Ok(reclaim_quantity_notice::Entity::find_by_id(sub.id).one(db).await?.filter(|n| n.term_number == sub.term_number))
}

/// The quantity step of an auto-renewing per-license subscription holding
/// more licenses than are assigned: tell the admins `notice_days` before the
/// day of lowering (`days` before the renewal), then lower on that day, or
/// the notice period after the notice if it came late.
async fn quantity_step(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
    policy: &reclaim_policy::Model,
    days: i32,
    now: DateTime<Utc>,
) -> AppResult<Option<ReclaimStep>> {
    let Some(quantity) = sub.quantity else { return Ok(None) };
    let target = Ord::max(sub.assigned_count, 1);
    if !sub.auto_renew || quantity <= target {
        return Ok(None);
    }
    let notice = quantity_notice(db, sub).await?;
    if notice.as_ref().is_some_and(|n| n.lowered_at.is_some()) {
        // Lowered this term already; a later increase is the admins' choice.
        return Ok(None);
    }
    let lower_on = start_of(sub.current_term_end - Duration::days(i64::from(days)));
    let notice_days = Duration::days(i64::from(policy.notice_days));
    let (action, due, lowered_on) = match notice {
        None => {
            // Told on `due` (now at the earliest): lowered a full notice period later.
            let due = Ord::max(lower_on - notice_days, now);
            (ReclaimAction::NotifyLowerQuantity, due, Ord::max(lower_on, start_of(due.date_naive()) + notice_days))
        }
        Some(n) => {
            let due = Ord::max(lower_on, start_of(n.notified_at.date_naive()) + notice_days);
            (ReclaimAction::LowerQuantity, due, due)
        }
    };
    // Lowering happens before the renewal or not in this term (the next term
    // is told again in time).
    if lowered_on >= start_of(sub.current_term_end) {
        return Ok(None);
    }
    Ok(Some(ReclaimStep { assignment: None, subscription_id: sub.id, action, due, quantity: Some((quantity, target)) }))
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
    /// Licenses whose holders (and admins) were told.
    pub notified: u64,
    pub unassigned: u64,
    /// Subscriptions whose admins were told of a lowering.
    pub quantity_notices: u64,
    /// Subscriptions whose quantity was lowered.
    pub lowered: u64,
}

/// R51: one reclaiming pass (the billing run's step): licenses taken back
/// first, so a quantity lowered the same day counts them gone.
pub async fn run(state: &Services) -> AppResult<ReclaimReport> {
    let now = state.clock.now();
    let mut report = ReclaimReport::default();
    let steps = plan(&state.db, None, now).await?;
    let mut to_tell: BTreeMap<Uuid, Vec<license_assignment::Model>> = BTreeMap::new();
    for step in &steps {
        match (step.action, &step.assignment) {
            (ReclaimAction::Notify, Some(assignment)) => {
                to_tell.entry(step.subscription_id).or_default().push(assignment.clone());
            }
            (ReclaimAction::Unassign, Some(assignment)) if step.due <= now => {
                report.unassigned += u64::from(unassign(state, step.subscription_id, assignment, now).await?);
            }
            _ => {}
        }
    }
    for (subscription_id, assignments) in to_tell {
        report.notified += notify(state, subscription_id, &assignments, now).await?;
    }
    for step in steps.iter().filter(|s| s.due <= now) {
        match step.action {
            ReclaimAction::NotifyLowerQuantity => {
                report.quantity_notices += u64::from(notify_quantity(state, step.subscription_id, now).await?);
            }
            ReclaimAction::LowerQuantity => {
                report.lowered += u64::from(lower_quantity(state, step.subscription_id, now).await?);
            }
            _ => {}
        }
    }
    Ok(report)
}

/// The active, undeleted people of the organization holding one of `roles`.
async fn admins(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: Uuid,
    roles: &[OrgRole],
) -> AppResult<Vec<user::Model>> {
    let holders = Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.is_in(roles.iter().map(|r| r.as_str())))
        .to_owned();
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.eq(organization_id))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Id.in_subquery(holders))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

/// Who assigns a subscription's licenses (R1): told of licenses to be taken back.
const ASSIGNING_ADMINS: &[OrgRole] = &[OrgRole::GlobalAdmin, OrgRole::LicenseAdmin];
/// Who manages a subscription (R1): told of a quantity to be lowered.
const MANAGING_ADMINS: &[OrgRole] = &[OrgRole::GlobalAdmin, OrgRole::LicenseAdmin, OrgRole::BillingAdmin];

/// The names of `people`, the first ten, then how many more.
fn names(people: &[user::Model], lang: crate::i18n::Lang) -> String {
    let mut listed: Vec<String> = people
        .iter()
        .take(10)
        .map(|p| if p.name.trim().is_empty() { p.email.clone() } else { format!("{} <{}>", p.name, p.email) })
        .collect();
    if people.len() > 10 {
        listed.push(format!("+{}", locale::number((people.len() - 10) as i64, lang)));
    }
    listed.join(", ")
}

/// Marks the subscription's unused licenses told and queues the holders'
/// notices and one notice to each admin who assigns its licenses, in one
/// transaction. Returns how many licenses were told.
async fn notify(
    state: &Services,
    subscription_id: Uuid,
    assignments: &[license_assignment::Model],
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let txn = db::begin_write(&state.db).await?;
    let mut told = Vec::new();
    for assignment in assignments {
        let marked = license_assignment::Entity::update_many()
            .col_expr(license_assignment::Column::ReclaimNoticeAt, Expr::value(now))
            .filter(license_assignment::Column::Id.eq(assignment.id))
            .filter(license_assignment::Column::Active.eq(true))
            .filter(license_assignment::Column::ReclaimNoticeAt.eq(assignment.reclaim_notice_at))
            .exec(&txn)
            .await?
            .rows_affected;
        // 0: another instance got there first, or it changed meanwhile.
        if marked > 0 {
            told.push(assignment);
        }
    }
    if told.is_empty() {
        return Ok(0);
    }
    let sub = subscription::Entity::find_by_id(subscription_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let product = product::Entity::find_by_id(sub.product_id).one(&txn).await?;
    let organization = organization::Entity::find_by_id(sub.organization_id).one(&txn).await?;
    if let (Some(product), Some(organization)) = (product, organization) {
        let lang = notices::organization_lang(&organization);
        let (unused_days, notice_days) = plan_days(&txn, &sub).await?;
        let due = now + Duration::days(notice_days);
        let holders =
            user::Entity::find().filter(user::Column::Id.is_in(told.iter().map(|a| a.user_id))).all(&txn).await?;
        for assignment in &told {
            let Some(holder) = holders.iter().find(|h| h.id == assignment.user_id) else { continue };
            notices::queue(
                &txn,
                NewNotice {
                    organization_id: sub.organization_id,
                    kind: NoticeKind::ReclaimNotice,
                    dedupe_key: format!(
                        "{}:{}:{}",
                        NoticeKind::ReclaimNotice.as_str(),
                        assignment.id,
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
                        "days": locale::number(unused_days, lang),
                        "date": locale::date(due.date_naive(), lang),
                    }),
                },
                now,
            )
            .await?;
        }
        let mut people: Vec<user::Model> =
            told.iter().filter_map(|a| holders.iter().find(|h| h.id == a.user_id).cloned()).collect();
        people.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.email.cmp(&b.email)));
        let data = json!({
            "variant": ReclaimVariant::AdminUnassign.as_str(),
            "organization": organization.name,
            "product": product.name,
            "count": locale::number(told.len() as i64, lang),
            "people": names(&people, lang),
            "days": locale::number(unused_days, lang),
            "date": locale::date(due.date_naive(), lang),
        });
        let occasion = now.timestamp_millis().to_string();
        for admin in admins(&txn, sub.organization_id, ASSIGNING_ADMINS).await? {
            queue_admin_notice(&txn, &sub, &admin, &occasion, lang, data.clone(), now).await?;
        }
    }
    txn.commit().await?;
    Ok(told.len() as u64)
}

/// Locks `subscription_id` and re-plans its quantity step as of `now`: the
/// step only when it is still the one due (another instance may have acted).
async fn locked_quantity_step(
    txn: &sea_orm::DatabaseTransaction,
    subscription_id: Uuid,
    action: ReclaimAction,
    now: DateTime<Utc>,
) -> AppResult<Option<(subscription::Model, reclaim_policy::Model, i32)>> {
    let Some(sub) = subscription::Entity::find_by_id(subscription_id).lock_exclusive().one(txn).await? else {
        return Ok(None);
    };
    if sub.status != SubscriptionStatus::Active {
        return Ok(None);
    }
    let Some(policy) = policy_of(txn, &sub).await? else { return Ok(None) };
    let Some(days) = policy.lower_quantity_days else { return Ok(None) };
    let step = quantity_step(txn, &sub, &policy, days, now).await?;
    Ok(step.filter(|s| s.action == action && s.due <= now).map(|_| (sub, policy, days)))
}

/// Tells the admins who manage the subscription that its quantity will be
/// lowered before the renewal, once per term, in one transaction.
async fn notify_quantity(state: &Services, subscription_id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let Some((sub, policy, days)) =
        locked_quantity_step(&txn, subscription_id, ReclaimAction::NotifyLowerQuantity, now).await?
    else {
        return Ok(false);
    };
    reclaim_quantity_notice::Entity::delete_by_id(sub.id).exec(&txn).await?;
    reclaim_quantity_notice::ActiveModel {
        subscription_id: Set(sub.id),
        term_number: Set(sub.term_number),
        notified_at: Set(now),
        lowered_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let product = product::Entity::find_by_id(sub.product_id).one(&txn).await?;
    let organization = organization::Entity::find_by_id(sub.organization_id).one(&txn).await?;
    if let (Some(product), Some(organization)) = (product, organization) {
        let lang = notices::organization_lang(&organization);
        let lower_on = Ord::max(
            sub.current_term_end - Duration::days(i64::from(days)),
            now.date_naive() + Duration::days(i64::from(policy.notice_days)),
        );
        let data = json!({
            "variant": ReclaimVariant::AdminQuantity.as_str(),
            "organization": organization.name,
            "product": product.name,
            "quantity": locale::number(sub.quantity.unwrap_or(1), lang),
            "assigned": locale::number(sub.assigned_count, lang),
            "renewal": locale::date(sub.current_term_end, lang),
            "date": locale::date(lower_on, lang),
        });
        let occasion = format!("term:{}", sub.term_number);
        for admin in admins(&txn, sub.organization_id, MANAGING_ADMINS).await? {
            queue_admin_notice(&txn, &sub, &admin, &occasion, lang, data.clone(), now).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Lowers the quantity to the licenses assigned now (at least 1, R18)
/// through the same change as `changeLicenseQuantity`, in one transaction.
async fn lower_quantity(state: &Services, subscription_id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let Some((sub, _, _)) = locked_quantity_step(&txn, subscription_id, ReclaimAction::LowerQuantity, now).await?
    else {
        return Ok(false);
    };
    // The same path as a person's change: up to date first, then the change.
    let sub = subscriptions::bring_up_to_date(&txn, sub, today, now).await?.sub;
    let target = Ord::max(sub.assigned_count, 1);
    let scope = AuditScope::org(sub.organization_id, None);
    let lowered = subscriptions::apply_quantity(&txn, scope, sub.clone(), target, today, now).await?;
    reclaim_quantity_notice::Entity::update_many()
        .col_expr(reclaim_quantity_notice::Column::LoweredAt, Expr::value(now))
        .filter(reclaim_quantity_notice::Column::SubscriptionId.eq(sub.id))
        .filter(reclaim_quantity_notice::Column::TermNumber.eq(sub.term_number))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(lowered.quantity != sub.quantity)
}

/// The policy that applies to `sub`: its own, else its organization's.
async fn policy_of(
    db: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
) -> AppResult<Option<reclaim_policy::Model>> {
    let own = reclaim_policy::Entity::find_by_id((sub.organization_id, sub.id.to_string())).one(db).await?;
    Ok(match own {
        Some(p) => Some(p),
        None => reclaim_policy::Entity::find_by_id((sub.organization_id, ORGANIZATION.to_owned())).one(db).await?,
    })
}

/// (unused days, notice days) of the policy that applies to `sub`.
async fn plan_days(db: &impl sea_orm::ConnectionTrait, sub: &subscription::Model) -> AppResult<(i64, i64)> {
    let policy = policy_of(db, sub).await?;
    Ok(policy.map(|p| (i64::from(p.unused_days), i64::from(p.notice_days))).unwrap_or((0, 0)))
}

/// Takes the license back (still active, still unused since the notice), audited.
async fn unassign(
    state: &Services,
    subscription_id: Uuid,
    assignment: &license_assignment::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let mut still_unused = license_assignment::Entity::update_many()
        .col_expr(license_assignment::Column::Active, Expr::value(false))
        .col_expr(license_assignment::Column::UnassignedAt, Expr::value(now))
        .filter(license_assignment::Column::Id.eq(assignment.id))
        .filter(license_assignment::Column::Active.eq(true));
    still_unused = match assignment.last_used_at {
        Some(at) => still_unused.filter(license_assignment::Column::LastUsedAt.eq(at)),
        None => still_unused.filter(license_assignment::Column::LastUsedAt.is_null()),
    };
    if still_unused.exec(&txn).await?.rows_affected == 0 {
        return Ok(false);
    }
    let sub = subscription::Entity::update_many()
        .col_expr(subscription::Column::AssignedCount, Expr::col(subscription::Column::AssignedCount).sub(1))
        .col_expr(subscription::Column::UpdatedAt, Expr::value(now))
        .filter(subscription::Column::Id.eq(subscription_id))
        .exec_with_returning(&txn)
        .await?
        .pop()
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let entry = AuditEntry::new(AuditAction::SubscriptionReclaimLicense, "subscription", sub.id)
        .before(json!({"assigned": sub.assigned_count + 1}))
        .after(json!({"assigned": sub.assigned_count, "users": [assignment.user_id], "reason": "unused"}));
    audit::record(&txn, AuditScope::org(sub.organization_id, None), now, entry).await?;
    txn.commit().await?;
    Ok(true)
}

/// R52: a reclaim notice to one admin of the subscription's organization,
/// queued once per subscription, `occasion` and admin (the notice outbox's
/// unique key), in the organization's language.
async fn queue_admin_notice(
    txn: &impl sea_orm::ConnectionTrait,
    sub: &subscription::Model,
    admin: &user::Model,
    occasion: &str,
    lang: crate::i18n::Lang,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let kind = NoticeKind::ReclaimNotice;
    notices::queue(
        txn,
        NewNotice {
            organization_id: sub.organization_id,
            kind,
            dedupe_key: format!("{}:{}:{occasion}:{}", kind.as_str(), sub.id, admin.id),
            recipient_email: admin.email.clone(),
            recipient_name: admin.name.clone(),
            lang,
            object_type: access::notice::SUBSCRIPTION,
            object_id: sub.id,
            data,
        },
        now,
    )
    .await?;
    Ok(())
}
