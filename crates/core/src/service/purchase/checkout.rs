//! What every channel shares: the line being bought, the shared price and
//! buy-right check (R2, R11, R12), the quantity rule (R5, R18) and the
//! creation of the subscription with its first-term charge (R12, R30).

use entity::{
    billing_profile,
    enums::{BillingTerm, Channel, ChargeKind, PricingModel, SubscriptionStatus},
    product, subscription,
};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::error::EntityKind;
use crate::service::audit::AuditAction;
use crate::{
    access::billing_profile::ProfileRights,
    auth::{Actor, OrgActor},
    domain::{markets, terms},
    error::{AppError, AppResult, Invalid},
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        catalog, charges, subscriptions,
    },
};

/// R5, R18: a per-license line needs 1..=MAX_QUANTITY licenses; a flat-rate line takes none.
pub(super) fn check_quantity(model: PricingModel, quantity: Option<i64>, field: &str) -> AppResult<()> {
    match (model, quantity) {
        (PricingModel::PerLicense, None) => Err(AppError::validation(field, Invalid::Required)),
        (PricingModel::PerLicense, Some(q)) if !(1..=subscriptions::MAX_QUANTITY).contains(&q) => {
            Err(AppError::validation(field, Invalid::OutOfRange { min: 1, max: subscriptions::MAX_QUANTITY }))
        }
        (PricingModel::FlatRate, Some(_)) => Err(AppError::validation(field, Invalid::NotAllowed)),
        _ => Ok(()),
    }
}

/// One line to buy, already tied to its product.
pub(super) struct Line {
    pub product: product::Model,
    pub term: BillingTerm,
    pub quantity: Option<i64>,
    /// R40: a negotiated unit price (minor units, currency) replacing the list price.
    pub negotiated: Option<(i64, String)>,
    /// Issue 26 item 5: how many terms the negotiated price holds.
    pub negotiated_terms: Option<i32>,
}

/// Everything checked about the buyer and the profile, shared by every line.
pub(super) struct Checkout {
    pub profile: billing_profile::Model,
    /// The product's price for the term in the profile's currency (R11, R12).
    pub unit_price_minor: i64,
}

/// Shared by every purchase path, the one price and buy-right check: R11,
/// the product is sold in the buying organization's market and priced in the
/// profile's currency; then R2, the caller may buy with the profile.
/// `profile` was loaded through `access::billing_profile::load` (a profile
/// the caller cannot view is NOT_FOUND there); `rights` are the caller's on it.
pub(super) async fn price_and_buy_right(
    txn: &DatabaseTransaction,
    line: &Line,
    buyer_country: &str,
    profile: &billing_profile::Model,
    rights: ProfileRights,
) -> AppResult<entity::product_price::Model> {
    let market = markets::market_for_country(buyer_country).ok_or(AppError::RegionNotSupported)?;
    if !catalog::sold_in(txn, line.product.id, market).await? {
        return Err(AppError::RegionNotSupported);
    }
    let price = catalog::price_for(txn, line.product.id, line.term, &profile.currency)
        .await?
        .ok_or_else(|| AppError::CurrencyNotSupported { currency: profile.currency.clone() })?;
    if !rights.view {
        return Err(AppError::NotFound { entity: EntityKind::BillingProfile });
    }
    if !rights.buy {
        return Err(AppError::Forbidden);
    }
    Ok(price)
}

pub(super) struct Origin {
    pub channel: Channel,
    pub partner_name: Option<String>,
    pub partner_id: Option<String>,
    /// R39: the partner tenant buying for the customer.
    pub partner_tenant_id: Option<Uuid>,
    pub proposal_id: Option<Uuid>,
    pub auto_renew: bool,
}

/// For whom and by whom a subscription is bought.
pub(super) struct Buyer {
    pub organization_id: Uuid,
    pub purchaser_id: Uuid,
}

impl Buyer {
    pub(super) fn of(org: &OrgActor) -> Buyer {
        Buyer { organization_id: org.organization_id, purchaser_id: org.user_id }
    }
}

/// Creates the subscription in PENDING_ACTIVATION with its first-term charge (R12, R30).
pub(super) async fn create_subscription(
    state: &Services,
    txn: &DatabaseTransaction,
    actor: &Actor,
    buyer: &Buyer,
    line: &Line,
    checkout: &Checkout,
    origin: &Origin,
) -> AppResult<subscription::Model> {
    let unit_price_minor = checkout.unit_price_minor;
    let now = state.clock.now();
    let today = state.clock.today();
    let term_end = terms::term_end(today, line.term.months(), 1);
    let sub = subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(buyer.organization_id),
        product_id: Set(line.product.id),
        billing_profile_id: Set(checkout.profile.id),
        purchaser_id: Set(buyer.purchaser_id),
        channel: Set(origin.channel),
        partner_name: Set(origin.partner_name.clone()),
        partner_id: Set(origin.partner_id.clone()),
        partner_tenant_id: Set(origin.partner_tenant_id),
        proposal_id: Set(origin.proposal_id),
        pricing_model: Set(line.product.pricing_model),
        term: Set(line.term),
        quantity: Set(line.quantity),
        assigned_count: Set(0),
        unit_price_minor: Set(unit_price_minor),
        negotiated_terms: Set(line.negotiated.as_ref().map(|_| line.negotiated_terms.unwrap_or(1))),
        currency: Set(checkout.profile.currency.clone()),
        status: Set(SubscriptionStatus::PendingActivation),
        disabled_reason: Set(None),
        disabled_at: Set(None),
        disabled_message: Set(None),
        cancel_reason: Set(None),
        cancel_feedback: Set(None),
        auto_renew: Set(origin.auto_renew),
        start_date: Set(today),
        term_number: Set(1),
        current_term_start: Set(today),
        current_term_end: Set(term_end),
        activated_at: Set(None),
        setup_completed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    charges::insert(txn, charges::full_term(&sub, ChargeKind::FirstTerm, today, term_end, &line.product.name)?, now)
        .await?;
    let entry = AuditEntry::new(AuditAction::SubscriptionPurchase, "subscription", sub.id).after(json!({
        "product": line.product.id, "channel": origin.channel.as_str(), "term": line.term.as_str(),
        "quantity": sub.quantity, "unitPriceMinor": unit_price_minor, "currency": sub.currency,
        "billingProfileId": sub.billing_profile_id, "autoRenew": sub.auto_renew,
    }));
    audit::record(txn, AuditScope::org(buyer.organization_id, Some(actor)), now, entry).await?;
    Ok(sub)
}

pub(super) async fn load_product(db: &impl ConnectionTrait, id: Uuid) -> AppResult<product::Model> {
    product::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { entity: EntityKind::Product })
}
