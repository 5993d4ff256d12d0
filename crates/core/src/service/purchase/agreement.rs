//! The customer agreement (R10): accepted once per organization by someone
//! allowed to buy it all, or by a plain user for their own self-service
//! purchases (R25).

use entity::{customer_agreement, self_service_agreement};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::service::audit::AuditAction;
use crate::{
    auth::{Actor, OrgActor},
    db,
    error::AppResult,
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
    },
};

/// R10: someone allowed to buy accepts the customer agreement once. Billing
/// managers accept it for the organization; any other user, who may buy only
/// self-service (R25), accepts it for their own self-service purchases
/// ([`Agreement::self_service_only`]).
pub async fn accept_customer_agreement(state: &Services, actor: &Actor) -> AppResult<Agreement> {
    let org = actor.org()?;
    if !org.is_billing_manager() {
        return accept_for_self_service(state, actor, org).await;
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    if let Some(existing) = agreement_of(&txn, org.organization_id).await? {
        return Ok(Agreement::organization(existing));
    }
    let accepted = customer_agreement::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.organization_id),
        accepted_by: Set(org.user_id),
        accepted_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::CustomerAgreementAccept, "organization", org.organization_id)
        .after(json!({"acceptedBy": org.user_id, "acceptedAt": now}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(Agreement::organization(accepted))
}

/// An acceptance of the customer agreement (R10).
pub struct Agreement {
    pub accepted: customer_agreement::Model,
    /// True when a plain user accepted it for their own self-service purchases only.
    pub self_service_only: bool,
}

impl Agreement {
    fn organization(accepted: customer_agreement::Model) -> Self {
        Agreement { accepted, self_service_only: false }
    }

    fn personal(own: self_service_agreement::Model) -> Self {
        let accepted = customer_agreement::Model {
            id: own.id,
            organization_id: own.organization_id,
            accepted_by: own.user_id,
            accepted_at: own.accepted_at,
        };
        Agreement { accepted, self_service_only: true }
    }
}

/// R10, R25: a plain user's acceptance, recorded as theirs; repeats return it.
/// When the organization has accepted already, that acceptance covers them.
async fn accept_for_self_service(state: &Services, actor: &Actor, org: &OrgActor) -> AppResult<Agreement> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    if let Some(existing) = agreement_of(&txn, org.organization_id).await? {
        return Ok(Agreement::organization(existing));
    }
    if let Some(own) = own_agreement_of(&txn, org.user_id).await? {
        return Ok(Agreement::personal(own));
    }
    let accepted = self_service_agreement::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.organization_id),
        user_id: Set(org.user_id),
        accepted_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::CustomerAgreementAcceptSelfService, "user", org.user_id)
        .after(json!({"acceptedBy": org.user_id, "acceptedAt": now, "scope": "SELF_SERVICE"}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(Agreement::personal(accepted))
}

async fn own_agreement_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<self_service_agreement::Model>> {
    Ok(self_service_agreement::Entity::find()
        .filter(self_service_agreement::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// R10: the acceptance that covers the caller: the organization's, else
/// (for self-service purchases) the caller's own.
pub async fn agreement_for(db: &impl ConnectionTrait, org: &OrgActor) -> AppResult<Option<Agreement>> {
    if let Some(accepted) = agreement_of(db, org.organization_id).await? {
        return Ok(Some(Agreement::organization(accepted)));
    }
    Ok(own_agreement_of(db, org.user_id).await?.map(Agreement::personal))
}

pub async fn agreement_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> AppResult<Option<customer_agreement::Model>> {
    Ok(customer_agreement::Entity::find()
        .filter(customer_agreement::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?)
}
