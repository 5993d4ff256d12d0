//! Partners (R39): a partner tenant asks to work for a customer organization;
//! the customer's GLOBAL_ADMIN approves, rejects or ends the relationship.
//! Who may see and decide is `access::partner`; buying is
//! `purchase::purchase_for_customer`.

use entity::{
    enums::{OrganizationKind, PartnerRelationshipStatus, SubscriptionStatus},
    organization, partner_relationship, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
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
    },
};

const OBJECT: &str = "partner_relationship";

/// Records a relationship change in the audit logs of both tenants.
async fn record_both(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rel: &partner_relationship::Model,
    now: chrono::DateTime<chrono::Utc>,
    action: AuditAction,
    before: Option<PartnerRelationshipStatus>,
    extra: serde_json::Value,
) -> AppResult<()> {
    for org in [rel.organization_id, rel.partner_id] {
        let mut after =
            json!({"status": rel.status.as_str(), "partnerId": rel.partner_id, "organizationId": rel.organization_id});
        if let (Some(map), Some(more)) = (after.as_object_mut(), extra.as_object()) {
            map.extend(more.clone());
        }
        let mut entry = AuditEntry::new(action, OBJECT, rel.id).after(after);
        if let Some(status) = before {
            entry = entry.before(json!({"status": status.as_str()}));
        }
        audit::record(txn, AuditScope::org(org, Some(actor)), now, entry).await?;
    }
    Ok(())
}

/// R39: the partner's GLOBAL_ADMIN or BILLING_ADMIN asks to work for the
/// customer with this organization ID (the customer gives it to them). An
/// unknown ID, or one that is not a customer, is NOT_FOUND; a request that is
/// already pending or approved is a CONFLICT (INVALID_STATE).
pub async fn request(
    state: &Services,
    actor: &Actor,
    organization_id: Uuid,
) -> AppResult<Visible<partner_relationship::Model>> {
    let partner = actor.partner()?;
    if !partner.acts_for_customers() {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    organization::Entity::find_by_id(organization_id)
        .one(&txn)
        .await?
        .filter(|o| o.kind == OrganizationKind::Customer)
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    let open = partner_relationship::Entity::find()
        .filter(partner_relationship::Column::PartnerId.eq(partner.partner_id()))
        .filter(partner_relationship::Column::OrganizationId.eq(organization_id))
        .filter(
            partner_relationship::Column::Status
                .is_in([PartnerRelationshipStatus::Pending, PartnerRelationshipStatus::Approved]),
        )
        .one(&txn)
        .await?;
    if let Some(open) = open {
        return Err(AppError::InvalidState { reason: open.status.into() });
    }
    let rel = partner_relationship::ActiveModel {
        id: Set(Uuid::now_v7()),
        partner_id: Set(partner.partner_id()),
        organization_id: Set(organization_id),
        status: Set(PartnerRelationshipStatus::Pending),
        requested_by: Set(partner.tenant.user_id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        ended_by: Set(None),
        ended_at: Set(None),
    }
    .insert(&txn)
    .await?;
    record_both(&txn, actor, &rel, now, AuditAction::PartnerRelationshipRequest, None, json!({})).await?;
    txn.commit().await?;
    access::partner::load(&state.db, actor, rel.id, access::partner::Access::View, false).await
}

/// R39: the relationships the caller may see (the customer's GLOBAL_ADMIN:
/// its organization's; a partner user: its partner's), newest first.
/// Other org users get FORBIDDEN; publishers too.
pub async fn list(
    state: &Services,
    actor: &Actor,
    status: Option<PartnerRelationshipStatus>,
) -> AppResult<Vec<Visible<partner_relationship::Model>>> {
    match actor {
        Actor::Org(org) if !org.is_global_admin() => return Err(AppError::Forbidden),
        Actor::Publisher(_) => return Err(AppError::Forbidden),
        _ => {}
    }
    let mut query = partner_relationship::Entity::find()
        .order_by_desc(partner_relationship::Column::RequestedAt)
        .order_by_desc(partner_relationship::Column::Id);
    if let Some(status) = status {
        query = query.filter(partner_relationship::Column::Status.eq(status));
    }
    access::partner::all(&state.db, actor, query).await
}

/// One relationship the caller may see.
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<partner_relationship::Model>> {
    access::partner::load(&state.db, actor, id, access::partner::Access::View, false).await
}

/// What the customer's GLOBAL_ADMIN does to a relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    End,
}

/// R39: approve or reject a PENDING request, or end an APPROVED relationship.
/// Ending keeps the subscriptions the partner bought; the partner can no
/// longer see or manage them, and their auto-renew is turned off so that
/// the partner is not billed for a term it can no longer manage (they run
/// to the end of the term paid for). Any other state is INVALID_STATE.
pub async fn decide(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> AppResult<Visible<partner_relationship::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let rel = access::partner::load(&txn, actor, id, access::partner::Access::Decide, true).await?;
    let (from, to, action) = match decision {
        Decision::Approve => (
            PartnerRelationshipStatus::Pending,
            PartnerRelationshipStatus::Approved,
            AuditAction::PartnerRelationshipApprove,
        ),
        Decision::Reject => (
            PartnerRelationshipStatus::Pending,
            PartnerRelationshipStatus::Rejected,
            AuditAction::PartnerRelationshipReject,
        ),
        Decision::End => {
            (PartnerRelationshipStatus::Approved, PartnerRelationshipStatus::Ended, AuditAction::PartnerRelationshipEnd)
        }
    };
    if rel.status != from {
        return Err(AppError::InvalidState { reason: rel.status.into() });
    }
    let mut model: partner_relationship::ActiveModel = rel.into_inner().into();
    model.status = Set(to);
    if decision == Decision::End {
        model.ended_by = Set(Some(actor.user_id()));
        model.ended_at = Set(Some(now));
    } else {
        model.decided_by = Set(Some(actor.user_id()));
        model.decided_at = Set(Some(now));
    }
    let rel = model.update(&txn).await?;
    let mut extra = json!({});
    if decision == Decision::End {
        let stopped = stop_renewals(&txn, actor, &rel, now).await?;
        extra = json!({"autoRenewTurnedOff": stopped});
    }
    record_both(&txn, actor, &rel, now, action, Some(from), extra).await?;
    txn.commit().await?;
    access::partner::load(&state.db, actor, id, access::partner::Access::View, false).await
}

/// Turns auto-renew off on the live subscriptions the partner bought for the
/// customer; returns their IDs. Each one is audited in the customer's log
/// (R36) and raises SUBSCRIPTION_AUTO_RENEW_CHANGED (R45, issue 19) so that
/// publishers' and consoles' views do not go stale.
async fn stop_renewals(
    txn: &DatabaseTransaction,
    actor: &Actor,
    rel: &partner_relationship::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<Uuid>> {
    let subs = subscription::Entity::find()
        .filter(subscription::Column::OrganizationId.eq(rel.organization_id))
        .filter(subscription::Column::PartnerTenantId.eq(rel.partner_id))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Disabled))
        .filter(subscription::Column::AutoRenew.eq(true))
        .lock_exclusive()
        .all(txn)
        .await?;
    // Issue 26 item 1: the terms ended before today renew (or end) as they were first.
    let mut ids: Vec<Uuid> = Vec::new();
    for sub in subs {
        let caught = crate::service::subscriptions::bring_up_to_date(txn, sub, now.date_naive(), now).await?;
        if !caught.ended {
            ids.push(caught.sub.id);
        }
    }
    if !ids.is_empty() {
        subscription::Entity::update_many()
            .col_expr(subscription::Column::AutoRenew, sea_orm::sea_query::Expr::value(false))
            .col_expr(subscription::Column::UpdatedAt, sea_orm::sea_query::Expr::value(now))
            .filter(subscription::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
    }
    let scope = AuditScope::org(rel.organization_id, Some(actor));
    for id in &ids {
        let entry = AuditEntry::new(AuditAction::SubscriptionAutoRenewOffPartnerEnded, "subscription", *id)
            .before(json!({"autoRenew": true}))
            .after(
                json!({"autoRenew": false, "reason": "PARTNER_RELATIONSHIP_ENDED", "partnerRelationshipId": rel.id}),
            );
        audit::record(txn, scope, now, entry).await?;
    }
    Ok(ids)
}
