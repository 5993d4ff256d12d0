//! Buying (SPEC §3, §6): the customer agreement, purchases on every channel,
//! proposals. Checks run in the order of issue 3 and the first failure is
//! reported: agreement, market, currency, the buyer's right on the billing
//! profile (R2), a payment method on it, quantity.

use entity::{
    billing_profile, customer_agreement,
    enums::{BillingTerm, Channel, ChargeKind, PaymentMethodKind, PricingModel, ProposalStatus, SubscriptionStatus},
    organization, payment_method, product, proposal, proposal_line, self_service_agreement, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{Actor, OrgActor},
    db,
    domain::{
        markets,
        money::{self, Currency},
        terms,
    },
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::Window,
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        billing_profiles, catalog, charges, idempotency, subscriptions, validate,
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

/// R5, R18: a per-license line needs 1..=MAX_QUANTITY licenses; a flat-rate line takes none.
fn check_quantity(model: PricingModel, quantity: Option<i64>, field: &str) -> AppResult<()> {
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
struct Line {
    product: product::Model,
    term: BillingTerm,
    quantity: Option<i64>,
    /// R40: a negotiated unit price (minor units, currency) replacing the list price.
    negotiated: Option<(i64, String)>,
}

/// Everything checked about the buyer and the profile, shared by every line.
struct Checkout {
    profile: billing_profile::Model,
    /// The product's price for the term in the profile's currency (R11, R12).
    unit_price_minor: i64,
}

/// Shared by every purchase path: R11, the product is sold in the buying
/// organization's market and priced in the profile's currency; then R2, the
/// caller may buy with the profile (a profile they cannot view is NOT_FOUND).
async fn price_and_buy_right(
    txn: &DatabaseTransaction,
    actor: &Actor,
    line: &Line,
    buyer_country: &str,
    profile: &billing_profile::Model,
) -> AppResult<entity::product_price::Model> {
    let market = markets::market_for_country(buyer_country).ok_or(AppError::RegionNotSupported)?;
    if !catalog::sold_in(txn, line.product.id, market).await? {
        return Err(AppError::RegionNotSupported);
    }
    let price = catalog::price_for(txn, line.product.id, line.term, &profile.currency)
        .await?
        .ok_or_else(|| AppError::CurrencyNotSupported { currency: profile.currency.clone() })?;
    let rights = billing_profiles::rights(txn, actor, profile).await?;
    if !rights.view {
        return Err(AppError::NotFound { entity: EntityKind::BillingProfile });
    }
    if !rights.buy {
        return Err(AppError::Forbidden);
    }
    Ok(price)
}

/// R9–R12, R24, R25: the checks for one purchase, in the order of issue 3.
async fn check_line(
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
        // R24: eligible, and allowed by the organization's policy.
        if !line.product.self_service_eligible {
            return Err(AppError::NotSelfServiceEligible);
        }
        if !catalog::self_service_allowed(txn, org.organization_id, line.product.id).await? {
            return Err(AppError::SelfServiceNotAllowed);
        }
    }
    if !catalog::offers_term(txn, line.product.id, line.term).await? {
        return Err(AppError::validation("term", Invalid::NotAllowed));
    }
    // A profile of another organization is simply not there (R3).
    let profile = billing_profile::Entity::find_by_id(profile_id)
        .one(txn)
        .await?
        .filter(|p| p.organization_id == org.organization_id)
        .ok_or(AppError::NotFound { entity: EntityKind::BillingProfile })?;
    // R10: the organization's acceptance; a user's own covers only their self-service purchases.
    let agreed = match agreement_for(txn, org).await? {
        Some(agreement) => channel == Channel::SelfService || !agreement.self_service_only,
        None => false,
    };
    if !agreed {
        return Err(AppError::AgreementRequired);
    }
    let price = price_and_buy_right(txn, actor, line, &organization.country, &profile).await?;
    // R25: self-service purchases are paid from the buyer's own profile; org
    // purchases from an org profile (R1: plain users buy self-service only).
    let own_profile = profile.owner_user_id == Some(org.user_id);
    match channel {
        Channel::SelfService if !own_profile => return Err(AppError::Forbidden),
        Channel::Direct | Channel::Partner | Channel::Proposal if profile.owner_user_id.is_some() => {
            return Err(AppError::Forbidden);
        }
        _ => {}
    }
    // R12: a payment method on the profile (R25: a card for self-service).
    let method = match profile.current_payment_method_id {
        Some(id) => payment_method::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    match method {
        None => return Err(AppError::validation("billingProfileId.paymentMethod", Invalid::Required)),
        Some(m) if channel == Channel::SelfService && m.kind != PaymentMethodKind::CreditCard => {
            return Err(AppError::validation("billingProfileId.paymentMethod", Invalid::NotAllowed));
        }
        Some(_) => {}
    }
    // R5, R18: quantity last.
    check_quantity(line.product.pricing_model, line.quantity, "quantity")?;
    // R40: a negotiated price is in one currency; a profile billing in another cannot take it.
    let unit_price_minor = match &line.negotiated {
        None => price.unit_amount_minor,
        Some((amount, currency)) if *currency == profile.currency => *amount,
        Some(_) => return Err(AppError::CurrencyNotSupported { currency: profile.currency.clone() }),
    };
    Ok(Checkout { profile, unit_price_minor })
}

struct Origin {
    channel: Channel,
    partner_name: Option<String>,
    partner_id: Option<String>,
    /// R39: the partner tenant buying for the customer.
    partner_tenant_id: Option<Uuid>,
    proposal_id: Option<Uuid>,
    auto_renew: bool,
}

/// For whom and by whom a subscription is bought.
struct Buyer {
    organization_id: Uuid,
    purchaser_id: Uuid,
}

impl Buyer {
    fn of(org: &OrgActor) -> Buyer {
        Buyer { organization_id: org.organization_id, purchaser_id: org.user_id }
    }
}

/// Creates the subscription in PENDING_ACTIVATION with its first-term charge (R12, R30).
async fn create_subscription(
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

async fn load_product(db: &impl ConnectionTrait, id: Uuid) -> AppResult<product::Model> {
    product::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { entity: EntityKind::Product })
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
            let line = Line { product, term: input.term, quantity: input.quantity, negotiated: None };
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

/// R39: the checks for a partner's purchase, in the order of [`check_line`]:
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
    let profile = billing_profile::Entity::find_by_id(profile_id)
        .one(txn)
        .await?
        .filter(|p| p.organization_id == partner_id && p.owner_user_id.is_none())
        .ok_or(AppError::NotFound { entity: EntityKind::BillingProfile })?;
    if agreement_of(txn, customer.id).await?.is_none() {
        return Err(AppError::AgreementRequired);
    }
    let price = price_and_buy_right(txn, actor, line, &customer.country, &profile).await?;
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
        let line = Line { product, term: input.term, quantity: input.quantity, negotiated: None };
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

pub struct ProposalLineInput {
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub quantity: Option<i64>,
    /// R40: a negotiated unit price, as a decimal string and its currency.
    pub unit_price: Option<PriceInput>,
}

pub struct PriceInput {
    pub amount: String,
    pub currency: String,
}

pub struct NewProposal {
    pub organization_id: Uuid,
    pub title: String,
    /// R40: required of marketplace operators; optional for publishers.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub lines: Vec<ProposalLineInput>,
}

pub const MAX_PROPOSAL_LINES: usize = 20;

/// R7, R40: a negotiated unit price: a known currency and an exact,
/// non-negative amount within the documented bound.
fn negotiated_price(input: &PriceInput) -> AppResult<(i64, String)> {
    let currency = Currency::parse(input.currency.trim())
        .ok_or_else(|| AppError::validation("lines.unitPrice.currency", Invalid::BadFormat))?;
    let amount = money::parse_decimal(input.amount.trim(), currency)
        .filter(|a| *a >= 0)
        .ok_or_else(|| AppError::validation("lines.unitPrice.amount", Invalid::BadFormat))?;
    if amount > money::MAX_UNIT_PRICE_MINOR {
        let max = money::MAX_UNIT_PRICE_MINOR;
        return Err(AppError::validation("lines.unitPrice.amount", Invalid::OutOfRange { min: 0, max }));
    }
    Ok((amount, currency.code().to_owned()))
}

/// Who sends a proposal: a publisher, for its own products (R9), or a
/// marketplace operator, for products of any publishers (R40). Both are
/// tenants of the `publishers` table; the proposal is filed under it.
struct Sender {
    tenant_id: Uuid,
    user_id: Uuid,
    /// Only the publisher's own products (false for the marketplace).
    own_products_only: bool,
}

fn sender_of(actor: &Actor) -> AppResult<Sender> {
    match actor {
        Actor::Publisher(p) => Ok(Sender { tenant_id: p.publisher_id, user_id: p.user_id, own_products_only: true }),
        Actor::Operator(o) => Ok(Sender { tenant_id: o.marketplace_id, user_id: o.user_id, own_products_only: false }),
        Actor::Org(_) | Actor::Partner(_) => Err(AppError::Forbidden),
    }
}

/// A publisher proposes a bundle of its own products to one organization
/// (R9); a marketplace operator one of any publishers' products, with an
/// expiry and optionally negotiated prices (R40).
pub async fn create_proposal(
    state: &Services,
    actor: &Actor,
    input: NewProposal,
) -> AppResult<(proposal::Model, Vec<proposal_line::Model>)> {
    let sender = sender_of(actor)?;
    let NewProposal { organization_id, title, expires_at, lines } = input;
    let title = validate::required_text("title", &title, 200)?;
    if lines.is_empty() {
        return Err(AppError::validation("lines", Invalid::Required));
    }
    if lines.len() > MAX_PROPOSAL_LINES {
        return Err(AppError::validation("lines", Invalid::TooLong { max: MAX_PROPOSAL_LINES }));
    }
    let now = state.clock.now();
    match expires_at {
        None if matches!(actor, Actor::Operator(_)) => {
            return Err(AppError::validation("expiresAt", Invalid::Required));
        }
        Some(at) if at <= now => return Err(AppError::validation("expiresAt", Invalid::NotAllowed)),
        _ => {}
    }
    let mut prices = Vec::with_capacity(lines.len());
    for line in &lines {
        prices.push(line.unit_price.as_ref().map(negotiated_price).transpose()?);
    }
    let txn = db::begin_write(&state.db).await?;
    organization::Entity::find_by_id(organization_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    for line in &lines {
        let product = load_product(&txn, line.product_id).await?;
        if sender.own_products_only && product.publisher_id != sender.tenant_id {
            return Err(AppError::NotFound { entity: EntityKind::Product });
        }
        if !catalog::offers_term(&txn, product.id, line.term).await? {
            return Err(AppError::validation("lines.term", Invalid::NotAllowed));
        }
        check_quantity(product.pricing_model, line.quantity, "lines.quantity")?;
    }
    let proposal = proposal::ActiveModel {
        id: Set(Uuid::now_v7()),
        publisher_id: Set(sender.tenant_id),
        organization_id: Set(organization_id),
        title: Set(title.clone()),
        status: Set(ProposalStatus::Open),
        created_by: Set(sender.user_id),
        created_at: Set(now),
        accepted_by: Set(None),
        accepted_at: Set(None),
        expires_at: Set(expires_at),
        declined_by: Set(None),
        declined_at: Set(None),
        decline_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut saved = Vec::new();
    for (line, price) in lines.into_iter().zip(prices) {
        saved.push(
            proposal_line::ActiveModel {
                id: Set(Uuid::now_v7()),
                proposal_id: Set(proposal.id),
                product_id: Set(line.product_id),
                term: Set(line.term),
                quantity: Set(line.quantity),
                unit_price_minor: Set(price.as_ref().map(|(amount, _)| *amount)),
                currency: Set(price.map(|(_, currency)| currency)),
            }
            .insert(&txn)
            .await?,
        );
    }
    let entry = AuditEntry::new(AuditAction::ProposalCreate, "proposal", proposal.id)
        .after(json!({"title": title, "lines": saved.len(), "expiresAt": expires_at}));
    let scope = AuditScope {
        organization_id: Some(organization_id),
        publisher_id: Some(sender.tenant_id),
        actor_user_id: Some(sender.user_id),
    };
    audit::record(&txn, scope, now, entry).await?;
    txn.commit().await?;
    Ok((proposal, saved))
}

/// R40: what a proposal's state allows now: only an OPEN proposal whose
/// expiry (by the clock service) has not passed may be accepted or declined.
fn ensure_pending(proposal: &proposal::Model, now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    if proposal.status != ProposalStatus::Open {
        return Err(AppError::InvalidState { reason: proposal.status.into() });
    }
    if is_expired(proposal, now) {
        return Err(AppError::InvalidState { reason: crate::error::StateReason::ProposalExpired });
    }
    Ok(())
}

/// R40: an open proposal past its expiry.
pub fn is_expired(proposal: &proposal::Model, now: chrono::DateTime<chrono::Utc>) -> bool {
    proposal.status == ProposalStatus::Open && proposal.expires_at.is_some_and(|at| at <= now)
}

/// R40: a buying admin of the addressed organization declines an open
/// proposal with a reason. Anyone else is answered as for an unknown ID.
pub async fn decline_proposal(
    state: &Services,
    actor: &Actor,
    proposal_id: Uuid,
    reason: &str,
) -> AppResult<Visible<proposal::Model>> {
    let not_found = AppError::NotFound { entity: EntityKind::Proposal };
    let org = match actor {
        Actor::Org(org) => org,
        _ => return Err(AppError::Forbidden),
    };
    let txn = db::begin_write(&state.db).await?;
    let proposal = proposal::Entity::find_by_id(proposal_id).lock_exclusive().one(&txn).await?.ok_or(not_found)?;
    let proposal =
        access::proposal::check(actor, proposal).ok_or(AppError::NotFound { entity: EntityKind::Proposal })?;
    let reason = validate::required_text("reason", reason, 1000)?;
    let now = state.clock.now();
    ensure_pending(&proposal, now)?;
    let mut model: proposal::ActiveModel = proposal.get().clone().into();
    model.status = Set(ProposalStatus::Declined);
    model.declined_by = Set(Some(org.user_id));
    model.declined_at = Set(Some(now));
    model.decline_reason = Set(Some(reason.clone()));
    let updated = model.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::ProposalDecline, "proposal", updated.id)
        .before(json!({"status": ProposalStatus::Open.as_str()}))
        .after(json!({"status": ProposalStatus::Declined.as_str(), "reason": reason}));
    let scope = AuditScope {
        organization_id: Some(org.organization_id),
        publisher_id: Some(updated.publisher_id),
        actor_user_id: Some(org.user_id),
    };
    audit::record(&txn, scope, now, entry).await?;
    txn.commit().await?;
    proposal.updated(updated).ok_or(AppError::NotFound { entity: EntityKind::Proposal })
}

/// R9: accepting a proposal creates all its subscriptions or none.
pub async fn accept_proposal(
    state: &Services,
    actor: &Actor,
    proposal_id: Uuid,
    billing_profile_id: Uuid,
    auto_renew: bool,
    key: Option<&str>,
) -> AppResult<Vec<Visible<subscription::Model>>> {
    let org = actor.org()?.clone();
    let key = idempotency::parse_key(key)?;
    let request = json!({"proposalId": proposal_id, "billingProfileId": billing_profile_id, "autoRenew": auto_renew});
    let ids = idempotency::run_once(state, org.user_id, "acceptProposal", key.as_deref(), &request, |txn| async {
        let proposal = proposal::Entity::find_by_id(proposal_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|p| p.organization_id == org.organization_id)
            .ok_or(AppError::NotFound { entity: EntityKind::Proposal })?;
        let lines = proposal_line::Entity::find()
            .filter(proposal_line::Column::ProposalId.eq(proposal.id))
            .order_by_asc(proposal_line::Column::Id)
            .all(&txn)
            .await?;
        let origin = Origin {
            channel: Channel::Proposal,
            partner_name: None,
            partner_id: None,
            partner_tenant_id: None,
            proposal_id: Some(proposal.id),
            auto_renew,
        };
        let mut ids = Vec::new();
        for proposal_line in lines {
            let product = load_product(&txn, proposal_line.product_id).await?;
            let negotiated = proposal_line.unit_price_minor.zip(proposal_line.currency.clone());
            let line = Line { product, term: proposal_line.term, quantity: proposal_line.quantity, negotiated };
            let checkout = check_line(&txn, &org, actor, &line, billing_profile_id, Channel::Proposal).await?;
            ids.push(create_subscription(state, &txn, actor, &Buyer::of(&org), &line, &checkout, &origin).await?.id);
        }
        // R40: after the buyer's rights (R2) are proven, so that nobody else
        // learns the proposal's state; a refusal rolls everything back (R9).
        let now = state.clock.now();
        ensure_pending(&proposal, now)?;
        let mut model: proposal::ActiveModel = proposal.into();
        model.status = Set(ProposalStatus::Accepted);
        model.accepted_by = Set(Some(org.user_id));
        model.accepted_at = Set(Some(now));
        let proposal = model.update(&txn).await?;
        let entry =
            AuditEntry::new(AuditAction::ProposalAccept, "proposal", proposal.id).after(json!({"subscriptions": ids}));
        audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
        Ok((txn, ids))
    })
    .await?;
    let subs = subscription::Entity::find().filter(subscription::Column::Id.is_in(ids.clone())).all(&state.db).await?;
    // Keep the proposal's line order.
    let mut visible = Vec::with_capacity(ids.len());
    for sub in ids.iter().filter_map(|id| subs.iter().find(|s| s.id == *id).cloned()) {
        visible.push(access::subscription::check(&state.db, actor, sub, access::subscription::Access::View).await?);
    }
    Ok(visible)
}

/// Proposals addressed to the caller's organization (admins who may buy), or sent by the calling publisher.
pub async fn list_proposals(
    state: &Services,
    actor: &Actor,
    pending_only: bool,
    window: &Window,
) -> AppResult<crate::paging::Page<Visible<proposal::Model>>> {
    use crate::paging::{Direction::Desc, KeyKind, Keyset};
    if let Actor::Org(org) = actor
        && !access::proposal::org_may_see(org)
    {
        return Err(AppError::Forbidden);
    }
    let mut query = proposal::Entity::find().filter(access::proposal::visible(actor));
    if pending_only {
        // R40: open, and not past its expiry by the clock service.
        let now = state.clock.now();
        query = query.filter(proposal::Column::Status.eq(ProposalStatus::Open)).filter(
            sea_orm::Condition::any()
                .add(proposal::Column::ExpiresAt.is_null())
                .add(proposal::Column::ExpiresAt.gt(now)),
        );
    }
    let newest_first = Keyset::new("proposals:newest")
        .key(proposal::Column::CreatedAt.into_expr(), Desc, KeyKind::Time)
        .id(proposal::Column::Id.into_expr(), Desc);
    let mut page = crate::paging::fetch(&state.db, query, &newest_first, window).await?;
    let rows = std::mem::take(&mut page.items);
    Ok(page.with_items(rows.into_iter().filter_map(|p| access::proposal::check(actor, p)).collect()))
}

pub async fn proposal_lines(db: &impl ConnectionTrait, proposal_id: Uuid) -> AppResult<Vec<proposal_line::Model>> {
    Ok(proposal_line::Entity::find()
        .filter(proposal_line::Column::ProposalId.eq(proposal_id))
        .order_by_asc(proposal_line::Column::Id)
        .all(db)
        .await?)
}
