//! R39: a partner tenant buys for a customer it has an APPROVED relationship
//! with, on its own billing profile.

use entity::{
    enums::{BillingTerm, Channel},
    organization, subscription,
};
use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::{
    agreement::agreement_of,
    checkout::{Buyer, Checkout, Line, Origin, check_quantity, create_subscription, load_product, price_and_buy_right},
};
use crate::error::EntityKind;
use crate::{
    access::{self, Visible},
    auth::Actor,
    error::{AppError, AppResult, Invalid},
    service::{Services, catalog, idempotency},
};

/// R39: what a partner buys for a customer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartnerPurchaseInput {
    pub organization_id: Uuid,
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub quantity: Option<i64>,
    /// A billing profile of the partner's own tenant: the partner pays.
    pub billing_profile_id: Uuid,
    pub auto_renew: bool,
}

/// R39: the checks for a partner's purchase, in the order of `direct::check_line`:
/// the customer's agreement, the customer's market, the currency of the
/// partner's profile, the partner user's right to buy with it (R2), a payment
/// method on it, quantity.
async fn check_partner_line(
    txn: &DatabaseTransaction,
    actor: &Actor,
    partner_id: Uuid,
    customer: &organization::Model,
    line: &Line,
    profile_id: Uuid,
) -> AppResult<Checkout> {
    if !catalog::offers_term(txn, line.product.id, line.term).await? {
        return Err(AppError::validation("term", Invalid::NotAllowed));
    }
    // The profile through the read's rule, and only the partner's own org
    // profiles: anything else is not there (R3, R37).
    let (profile, rights) = access::billing_profile::load(txn, actor, profile_id).await?;
    if profile.organization_id != partner_id || profile.owner_user_id.is_some() {
        return Err(access::billing_profile::NOT_FOUND);
    }
    let profile = profile.into_inner();
    if agreement_of(txn, customer.id).await?.is_none() {
        return Err(AppError::AgreementRequired);
    }
    let price = price_and_buy_right(txn, line, &customer.country, &profile, rights).await?;
    if profile.current_payment_method_id.is_none() {
        return Err(AppError::validation("billingProfileId.paymentMethod", Invalid::Required));
    }
    check_quantity(line.product.pricing_model, line.quantity, "quantity")?;
    Ok(Checkout { profile, unit_price_minor: price.unit_amount_minor })
}

/// R39: a partner buys for a customer it has an APPROVED relationship with:
/// channel PARTNER, the partner recorded on the subscription, billed to the
/// partner's own profile. No relationship (or an ended one) is NOT_FOUND for
/// the organization, and nothing changes. Repeats with the same key return the first.
pub async fn purchase_for_customer(
    state: &Services,
    actor: &Actor,
    input: PartnerPurchaseInput,
    key: Option<&str>,
) -> AppResult<Visible<subscription::Model>> {
    let partner = actor.partner()?.clone();
    if !partner.acts_for_customers() {
        return Err(AppError::Forbidden);
    }
    let key = idempotency::parse_key(key)?;
    let request = serde_json::to_value(&input).map_err(AppError::internal)?;
    let partner_id = partner.partner_id();
    let partner_org = organization::Entity::find_by_id(partner_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    let origin = Origin {
        channel: Channel::Partner,
        partner_name: Some(partner_org.name.clone()),
        partner_id: Some(partner_id.to_string()),
        partner_tenant_id: Some(partner_id),
        proposal_id: None,
        auto_renew: input.auto_renew,
    };
    let user_id = partner.tenant.user_id;
    let ids = idempotency::run_once(state, user_id, "purchaseForCustomer", key.as_deref(), &request, |txn| async {
        if !access::partner::link_active(&txn, partner_id, input.organization_id).await? {
            return Err(AppError::NotFound { entity: EntityKind::Organization });
        }
        let customer = organization::Entity::find_by_id(input.organization_id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
        let product = load_product(&txn, input.product_id).await?;
        let line =
            Line { product, term: input.term, quantity: input.quantity, negotiated: None, negotiated_terms: None };
        let checkout = check_partner_line(&txn, actor, partner_id, &customer, &line, input.billing_profile_id).await?;
        let buyer = Buyer { organization_id: customer.id, purchaser_id: user_id };
        let sub = create_subscription(state, &txn, actor, &buyer, &line, &checkout, &origin).await?;
        Ok((txn, vec![sub.id]))
    })
    .await?;
    let id = ids.first().copied().ok_or_else(|| AppError::internal("purchase returned no subscription"))?;
    let sub = subscription::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    access::subscription::check(&state.db, actor, sub, access::subscription::Access::View).await
}
