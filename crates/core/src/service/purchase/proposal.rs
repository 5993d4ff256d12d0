//! Proposals (R9, R40): a publisher, or the marketplace's sales staff, offers
//! an organization a bundle of products; the buying admins accept it (all its
//! subscriptions or none) or decline it. Who may see, accept and decline one
//! is `access::proposal`: every path loads the proposal through it.

use entity::{
    enums::{BillingTerm, Channel, ProposalStatus},
    organization, proposal, proposal_line, subscription,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

use super::{
    checkout::{Buyer, Line, Origin, check_quantity, create_subscription, load_product},
    direct::check_line,
};
use crate::error::EntityKind;
use crate::service::audit::AuditAction;
use crate::{
    access::{self, Visible},
    auth::Actor,
    db,
    domain::money::{self, Currency},
    error::{AppError, AppResult, Invalid},
    paging::Window,
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        catalog, idempotency, validate,
    },
};

pub struct ProposalLineInput {
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub quantity: Option<i64>,
    /// R40: a negotiated unit price, as a decimal string and its currency.
    pub unit_price: Option<PriceInput>,
    /// Issue 26 item 5: how many terms the negotiated price holds (default 1,
    /// the first term; 1 to `MAX_PRICE_TERMS`). Only with `unit_price`.
    pub price_terms: Option<i32>,
}

/// The longest a negotiated price may hold, in terms.
pub const MAX_PRICE_TERMS: i32 = 120;

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
        let price = line.unit_price.as_ref().map(negotiated_price).transpose()?;
        let terms = match (&price, line.price_terms) {
            (None, Some(_)) => return Err(AppError::validation("lines.priceTerms", Invalid::NotAllowed)),
            (None, None) => None,
            (Some(_), None) => Some(1),
            (Some(_), Some(n)) if (1..=MAX_PRICE_TERMS).contains(&n) => Some(n),
            (Some(_), Some(_)) => {
                let max = i64::from(MAX_PRICE_TERMS);
                return Err(AppError::validation("lines.priceTerms", Invalid::OutOfRange { min: 1, max }));
            }
        };
        prices.push(price.map(|(amount, currency)| (amount, currency, terms)));
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
                unit_price_minor: Set(price.as_ref().map(|(amount, _, _)| *amount)),
                price_terms: Set(price.as_ref().and_then(|(_, _, terms)| *terms)),
                currency: Set(price.map(|(_, currency, _)| currency)),
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
    let org = actor.org()?;
    let txn = db::begin_write(&state.db).await?;
    // The read's rule (R40): a proposal the caller cannot list is not there.
    let proposal = access::proposal::load(&txn, actor, proposal_id, true).await?;
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
    proposal.updated(updated).ok_or(access::proposal::NOT_FOUND)
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
        // Issue 19: the same rule as the proposals list (R40: the buying
        // admins), so a plain user with a billing-profile role gets NOT_FOUND
        // for a real ID exactly as for a random one, and nothing changes.
        let proposal = access::proposal::load(&txn, actor, proposal_id, true).await?.into_inner();
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
            let negotiated_terms = proposal_line.price_terms;
            let line = Line {
                product,
                term: proposal_line.term,
                quantity: proposal_line.quantity,
                negotiated,
                negotiated_terms,
            };
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
    let mut query = proposal::Entity::find();
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
    access::proposal::page(&state.db, actor, query, &newest_first, window).await
}

pub async fn proposal_lines(db: &impl ConnectionTrait, proposal_id: Uuid) -> AppResult<Vec<proposal_line::Model>> {
    Ok(proposal_line::Entity::find()
        .filter(proposal_line::Column::ProposalId.eq(proposal_id))
        .order_by_asc(proposal_line::Column::Id)
        .all(db)
        .await?)
}
