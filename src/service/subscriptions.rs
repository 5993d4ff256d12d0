//! Subscriptions: who may see and change them (R1–R3, R26, R27), and their
//! lifecycle (R14–R17, R35) with the charges of R30.

use entity::{
    billing_profile,
    enums::{CancelReason, Channel, ChargeKind, DisabledReason, SubscriptionStatus},
    product, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    app::AppState,
    auth::{Actor, OrgActor},
    db,
    error::{AppError, AppResult, Invalid},
    graphql::pagination::Window,
    service::{
        audit::{self, AuditEntry, AuditScope},
        billing_profiles, charges,
    },
};

/// What the caller wants to do with a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    View,
    /// Quantity, cancel, auto-renew, billing profile (R1, R2 "manage billing of its products").
    ManageBilling,
    /// Assign and unassign licenses (R1, R26).
    AssignLicenses,
}

const NOT_FOUND: AppError = AppError::NotFound { entity: "subscription" };

pub fn is_self_service(sub: &subscription::Model) -> bool {
    sub.channel == Channel::SelfService
}

/// Checks `access` for `org` on `sub` (R1–R3, R26, R27). Callers that cannot
/// even see the subscription get NOT_FOUND; those that see it but may not
/// change it get FORBIDDEN.
pub async fn check_access(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub: &subscription::Model,
    access: Access,
) -> AppResult<()> {
    let org = actor.org()?;
    if org.organization_id != sub.organization_id {
        return Err(NOT_FOUND);
    }
    let is_purchaser = sub.purchaser_id == org.user_id;
    if is_self_service(sub) {
        // R26: the purchaser, and only the purchaser, manages it; R27: admins only look.
        return match access {
            _ if is_purchaser => Ok(()),
            Access::View if org.is_billing_manager() => Ok(()),
            _ if org.is_billing_manager() => Err(AppError::Forbidden),
            _ => Err(NOT_FOUND),
        };
    }
    let profile_rights = match billing_profile::Entity::find_by_id(sub.billing_profile_id).one(db).await? {
        Some(profile) => billing_profiles::rights(db, actor, &profile).await?,
        None => billing_profiles::ProfileRights::NONE,
    };
    let can_view = is_purchaser || org.can_view_org_subscriptions() || profile_rights.view;
    if !can_view {
        return Err(NOT_FOUND);
    }
    let allowed = match access {
        Access::View => true,
        Access::ManageBilling => org.is_billing_manager() || profile_rights.manage_products,
        Access::AssignLicenses => org.can_assign_org_licenses(),
    };
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Loads a subscription for `access`; inside a write transaction it also locks
/// the row (PostgreSQL `FOR UPDATE`; SQLite's write lock is already held).
pub async fn load(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    access: Access,
    lock: bool,
) -> AppResult<subscription::Model> {
    let mut query = subscription::Entity::find_by_id(id);
    if lock {
        query = query.lock_exclusive();
    }
    let sub = query.one(db).await?.ok_or(NOT_FOUND)?;
    check_access(db, actor, &sub, access).await?;
    Ok(sub)
}

/// R16: a disabled subscription takes no more changes.
pub fn ensure_not_disabled(sub: &subscription::Model) -> AppResult<()> {
    if sub.status == SubscriptionStatus::Disabled { Err(AppError::SubscriptionDisabled) } else { Ok(()) }
}

pub fn snapshot(sub: &subscription::Model) -> serde_json::Value {
    json!({
        "status": sub.status.as_str(),
        "disabledReason": sub.disabled_reason.map(|r| r.as_str()),
        "quantity": sub.quantity,
        "assigned": sub.assigned_count,
        "autoRenew": sub.auto_renew,
        "billingProfileId": sub.billing_profile_id,
        "termEnd": sub.current_term_end,
        "cancelReason": sub.cancel_reason.map(|r| r.as_str()),
        "feedback": sub.cancel_feedback,
    })
}

/// Applies `change`, stamps `updated_at`, and writes the audit event with the
/// before and after snapshots (R36), inside the caller's transaction.
async fn update_audited(
    txn: &DatabaseTransaction,
    scope: AuditScope,
    action: &'static str,
    sub: subscription::Model,
    now: chrono::DateTime<chrono::Utc>,
    change: impl FnOnce(&mut subscription::ActiveModel),
) -> AppResult<subscription::Model> {
    let before = snapshot(&sub);
    let assigned = sub.assigned_count;
    let mut model: subscription::ActiveModel = sub.into();
    change(&mut model);
    model.updated_at = Set(now);
    let new_quantity = match &model.quantity {
        sea_orm::ActiveValue::Set(q) | sea_orm::ActiveValue::Unchanged(q) => *q,
        sea_orm::ActiveValue::NotSet => None,
    };
    // The CHECK (assigned_count <= quantity) is the last line of defence (R21).
    let sub = model.update(txn).await.map_err(|e| match new_quantity {
        Some(quantity) if db::is_check_violation(&e) => {
            AppError::QuantityBelowAssigned { assigned, to_unassign: Ord::max(assigned - quantity, 0) }
        }
        _ => e.into(),
    })?;
    let entry = AuditEntry::new(action, "subscription", sub.id).before(before).after(snapshot(&sub));
    audit::record(txn, scope, now, entry).await?;
    Ok(sub)
}

#[derive(Default)]
pub struct SubscriptionFilter {
    pub status: Option<SubscriptionStatus>,
    pub self_service: Option<bool>,
    pub product_id: Option<Uuid>,
    pub purchaser_id: Option<Uuid>,
}

/// R22/R26/R27: admins see the organization's subscriptions (self-service ones
/// only GLOBAL_ADMIN and BILLING_ADMIN); everyone sees what they bought.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: SubscriptionFilter,
    window: Window,
) -> AppResult<(Vec<subscription::Model>, u64)> {
    let org = actor.org()?;
    let mut query = subscription::Entity::find().filter(subscription::Column::OrganizationId.eq(org.organization_id));
    query = match visibility(org) {
        Visibility::Everything => query,
        Visibility::OrgAndOwn => query.filter(
            sea_orm::Condition::any()
                .add(subscription::Column::Channel.ne(Channel::SelfService))
                .add(subscription::Column::PurchaserId.eq(org.user_id)),
        ),
        Visibility::OwnOnly => {
            // R2: every role on a billing profile may view the products billed to it.
            let my_profiles = billing_profiles::profiles_with_a_role(org.user_id);
            query.filter(
                sea_orm::Condition::any().add(subscription::Column::PurchaserId.eq(org.user_id)).add(
                    sea_orm::Condition::all()
                        .add(subscription::Column::Channel.ne(Channel::SelfService))
                        .add(subscription::Column::BillingProfileId.in_subquery(my_profiles)),
                ),
            )
        }
    };
    if let Some(status) = filter.status {
        query = query.filter(subscription::Column::Status.eq(status));
    }
    if let Some(self_service) = filter.self_service {
        query = if self_service {
            query.filter(subscription::Column::Channel.eq(Channel::SelfService))
        } else {
            query.filter(subscription::Column::Channel.ne(Channel::SelfService))
        };
    }
    if let Some(product_id) = filter.product_id {
        query = query.filter(subscription::Column::ProductId.eq(product_id));
    }
    if let Some(purchaser_id) = filter.purchaser_id {
        query = query.filter(subscription::Column::PurchaserId.eq(purchaser_id));
    }
    let query = query.order_by_desc(subscription::Column::CreatedAt).order_by_desc(subscription::Column::Id);
    let (rows, total) = crate::graphql::pagination::fetch(&state.db, query, window).await?;
    Ok((rows, total))
}

enum Visibility {
    Everything,
    OrgAndOwn,
    OwnOnly,
}

fn visibility(org: &OrgActor) -> Visibility {
    if org.is_billing_manager() {
        Visibility::Everything
    } else if org.can_view_org_subscriptions() {
        Visibility::OrgAndOwn
    } else {
        // Plain users: their own purchases and what is billed to profiles they hold a role on.
        Visibility::OwnOnly
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<subscription::Model> {
    load(&state.db, actor, id, Access::View, false).await
}

async fn product_of(db: &impl ConnectionTrait, sub: &subscription::Model) -> AppResult<product::Model> {
    product::Entity::find_by_id(sub.product_id).one(db).await?.ok_or(AppError::NotFound { entity: "product" })
}

/// R14: only the product's publisher activates, only from PENDING_ACTIVATION.
pub async fn activate(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<subscription::Model> {
    let publisher = actor.publisher()?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = subscription::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(NOT_FOUND)?;
    let product = product_of(&txn, &sub).await?;
    if product.publisher_id != publisher.publisher_id {
        return Err(NOT_FOUND);
    }
    match sub.status {
        SubscriptionStatus::PendingActivation => {}
        SubscriptionStatus::Disabled => return Err(AppError::SubscriptionDisabled),
        SubscriptionStatus::Active => return Err(AppError::InvalidState { state: sub.status.as_str().into() }),
    }
    let scope = AuditScope {
        organization_id: Some(sub.organization_id),
        publisher_id: Some(publisher.publisher_id),
        actor_user_id: Some(publisher.user_id),
    };
    let sub = update_audited(&txn, scope, "subscription.activate", sub, now, |m| {
        m.status = Set(SubscriptionStatus::Active);
        m.activated_at = Set(Some(now));
    })
    .await?;
    txn.commit().await?;
    Ok(sub)
}

/// R17: auto-renew can be turned on or off while the subscription is not disabled.
pub async fn set_auto_renew(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    auto_renew: bool,
) -> AppResult<subscription::Model> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = load(&txn, actor, id, Access::ManageBilling, true).await?;
    ensure_not_disabled(&sub)?;
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub = update_audited(&txn, scope, "subscription.set_auto_renew", sub, now, |m| m.auto_renew = Set(auto_renew))
        .await?;
    txn.commit().await?;
    Ok(sub)
}

pub const MAX_FEEDBACK: usize = 1000;

/// R35: cancel at once → DISABLED/CANCELED, crediting the unused rest of the term (R30).
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: CancelReason,
    feedback: Option<&str>,
) -> AppResult<subscription::Model> {
    let feedback = match feedback.map(str::trim).filter(|f| !f.is_empty()) {
        Some(text) if text.chars().count() > MAX_FEEDBACK => {
            return Err(AppError::validation("feedback", Invalid::TooLong { max: MAX_FEEDBACK }));
        }
        other => other.map(str::to_owned),
    };
    let now = state.clock.now();
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let sub = match load(&txn, actor, id, Access::ManageBilling, true).await {
        // R43: a deleted purchaser's self-service subscription is the billing managers' to cancel.
        Err(AppError::Forbidden) => crate::service::people::handed_over_for_cancel(&txn, actor, id).await?,
        other => other?,
    };
    ensure_not_disabled(&sub)?;
    let product = product_of(&txn, &sub).await?;
    let credit =
        charges::pro_rata(&sub, ChargeKind::CancellationCredit, today, -charges::billed_quantity(&sub), &product.name);
    if credit.amount_minor != 0 {
        charges::insert(&txn, credit, now).await?;
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub = update_audited(&txn, scope, "subscription.cancel", sub, now, |m| {
        m.status = Set(SubscriptionStatus::Disabled);
        m.disabled_reason = Set(Some(DisabledReason::Canceled));
        m.disabled_at = Set(Some(now));
        m.cancel_reason = Set(Some(reason));
        m.cancel_feedback = Set(feedback);
        m.auto_renew = Set(false);
    })
    .await?;
    txn.commit().await?;
    Ok(sub)
}

pub const MAX_QUANTITY: i64 = 1_000_000;

/// R18: the new total, per-license only, at least 1 and at least the assigned
/// count; the difference is charged or credited pro rata (R30).
pub async fn change_quantity(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    quantity: i64,
) -> AppResult<subscription::Model> {
    let now = state.clock.now();
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let sub = load(&txn, actor, id, Access::ManageBilling, true).await?;
    ensure_not_disabled(&sub)?;
    let Some(current) = sub.quantity else { return Err(AppError::NotSeatBased) };
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::validation("quantity", Invalid::OutOfRange { min: 1, max: MAX_QUANTITY }));
    }
    if quantity < sub.assigned_count {
        return Err(AppError::QuantityBelowAssigned {
            assigned: sub.assigned_count,
            to_unassign: sub.assigned_count - quantity,
        });
    }
    if quantity == current {
        return Ok(sub);
    }
    let product = product_of(&txn, &sub).await?;
    let delta = quantity - current;
    let kind = if delta > 0 { ChargeKind::QuantityIncrease } else { ChargeKind::QuantityDecrease };
    let line = charges::pro_rata(&sub, kind, today, delta, &product.name);
    if line.amount_minor != 0 {
        charges::insert(&txn, line, now).await?;
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub =
        update_audited(&txn, scope, "subscription.change_quantity", sub, now, |m| m.quantity = Set(Some(quantity)))
            .await?;
    txn.commit().await?;
    Ok(sub)
}

/// R28: future charges go to the new profile; the caller needs the right on both (R2).
pub async fn change_billing_profile(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    profile_id: Uuid,
) -> AppResult<subscription::Model> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let sub = load(&txn, actor, id, Access::ManageBilling, true).await?;
    ensure_not_disabled(&sub)?;
    let (target, rights) = billing_profiles::load_visible(&txn, actor, profile_id).await?;
    if !rights.manage_products {
        return Err(AppError::Forbidden);
    }
    // A self-service subscription stays on its purchaser's own profile and an
    // org subscription on an org profile (R25, R28).
    if is_self_service(&sub) != target.owner_user_id.is_some() {
        return Err(AppError::validation("billingProfileId", Invalid::NotAllowed));
    }
    if target.currency != sub.currency {
        return Err(AppError::CurrencyNotSupported { currency: target.currency });
    }
    if target.id == sub.billing_profile_id {
        return Ok(sub);
    }
    let scope = AuditScope::org(sub.organization_id, Some(actor));
    let sub = update_audited(&txn, scope, "subscription.change_billing_profile", sub, now, |m| {
        m.billing_profile_id = Set(target.id)
    })
    .await?;
    txn.commit().await?;
    Ok(sub)
}

/// Publishers see their customers' subscriptions without billing data.
pub async fn for_publisher(
    state: &AppState,
    actor: &Actor,
    window: Window,
) -> AppResult<(Vec<subscription::Model>, u64)> {
    let publisher = actor.publisher()?;
    let own_products = sea_orm::sea_query::Query::select()
        .column(product::Column::Id)
        .from(product::Entity)
        .and_where(product::Column::PublisherId.eq(publisher.publisher_id))
        .to_owned();
    let query = subscription::Entity::find().filter(subscription::Column::ProductId.in_subquery(own_products));
    let query = query.order_by_desc(subscription::Column::CreatedAt).order_by_desc(subscription::Column::Id);
    let (rows, total) = crate::graphql::pagination::fetch(&state.db, query, window).await?;
    Ok((rows, total))
}
