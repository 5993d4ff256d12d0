//! Purchases by the organization's own people (SPEC §3, §6): the DIRECT
//! channel (and PARTNER with a partner's name only), bought by billing
//! managers on an org profile, and SELF_SERVICE, bought by any user on their
//! own profile (R24, R25, in `self_service`). One entry point,
//! `purchaseSubscription`; the checks run in the order of issue 3 and the
//! first failure is reported: agreement, market, currency, the buyer's right
//! on the billing profile (R2), a payment method on it, quantity.

use entity::{
    enums::{BillingTerm, Channel},
    organization, subscription,
};
use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::{
    agreement::agreement_for,
    checkout::{Buyer, Checkout, Line, Origin, check_quantity, create_subscription, load_product, price_and_buy_right},
    self_service,
};
use crate::error::EntityKind;
use crate::{
    access::{self, Visible},
    auth::{Actor, OrgActor},
    error::{AppError, AppResult, Invalid},
    service::{Services, catalog, idempotency, validate},
};

#[derive(Debug, Clone, serde::Serialize)]
pub struct PurchaseInput {
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub quantity: Option<i64>,
    pub billing_profile_id: Uuid,
    pub auto_renew: bool,
    pub channel: Channel,
    pub partner_name: Option<String>,
    pub partner_id: Option<String>,
}

/// R9–R12, R24, R25: the checks for one purchase, in the order of issue 3.
/// Shared by the direct, self-service and proposal paths.
pub(super) async fn check_line(
    txn: &DatabaseTransaction,
    org: &OrgActor,
    actor: &Actor,
    line: &Line,
    profile_id: Uuid,
    channel: Channel,
) -> AppResult<Checkout> {
    let organization = organization::Entity::find_by_id(org.organization_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    if channel == Channel::SelfService {
        self_service::check_product(txn, org, &line.product).await?;
    }
    if !catalog::offers_term(txn, line.product.id, line.term).await? {
        return Err(AppError::validation("term", Invalid::NotAllowed));
    }
    // The profile through the read's rule: one of another organization, or
    // one the caller may not view, is simply not there (R3, R37).
    let (profile, rights) = access::billing_profile::load(txn, actor, profile_id).await?;
    // R10: the organization's acceptance; a user's own covers only their self-service purchases.
    let agreed = match agreement_for(txn, org).await? {
        Some(agreement) => channel == Channel::SelfService || !agreement.self_service_only,
        None => false,
    };
    if !agreed {
        return Err(AppError::AgreementRequired);
    }
    let price = price_and_buy_right(txn, line, &organization.country, &profile, rights).await?;
    self_service::check_profile_fits(channel, org, &profile)?;
    self_service::check_payment_method(txn, channel, &profile).await?;
    // R5, R18: quantity last.
    check_quantity(line.product.pricing_model, line.quantity, "quantity")?;
    // R40: a negotiated price is in one currency; a profile billing in another cannot take it.
    let unit_price_minor = match &line.negotiated {
        None => price.unit_amount_minor,
        Some((amount, currency)) if *currency == profile.currency => *amount,
        Some(_) => return Err(AppError::CurrencyNotSupported { currency: profile.currency.clone() }),
    };
    Ok(Checkout { profile: profile.into_inner(), unit_price_minor })
}

/// R12, R13: buy one subscription; repeats with the same key return the first.
pub async fn purchase(
    state: &Services,
    actor: &Actor,
    input: PurchaseInput,
    key: Option<&str>,
) -> AppResult<Visible<subscription::Model>> {
    let org = actor.org()?.clone();
    let key = idempotency::parse_key(key)?;
    let channel = input.channel;
    if channel == Channel::Proposal {
        return Err(AppError::validation("channel", Invalid::NotAllowed));
    }
    let (partner_name, partner_id) = if channel == Channel::Partner {
        let name = validate::required_text("partnerName", input.partner_name.as_deref().unwrap_or(""), 200)?;
        (Some(name), validate::optional_text("partnerId", input.partner_id.as_deref(), 100)?)
    } else {
        (None, None)
    };
    let request = serde_json::to_value(&input).map_err(AppError::internal)?;
    let origin = Origin {
        channel,
        partner_name,
        partner_id,
        partner_tenant_id: None,
        proposal_id: None,
        auto_renew: input.auto_renew,
    };
    let ids =
        idempotency::run_once(state, org.user_id, "purchaseSubscription", key.as_deref(), &request, |txn| async {
            let product = load_product(&txn, input.product_id).await?;
            let line =
                Line { product, term: input.term, quantity: input.quantity, negotiated: None, negotiated_terms: None };
            let checkout = check_line(&txn, &org, actor, &line, input.billing_profile_id, channel).await?;
            let sub = create_subscription(state, &txn, actor, &Buyer::of(&org), &line, &checkout, &origin).await?;
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
