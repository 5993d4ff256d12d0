//! How an invoice becomes PAID — one rule (`apply`), one audited write
//! (`settle`) — and the card payments behind it (R29, R31, R33, R34, R44).
//!
//! Paying now (`pay`) and the billing run's charge at issue
//! (`charge_at_issue`) move money the same way: a claim on the invoice's
//! card charge is committed first (one per invoice at a time; it holds the
//! idempotency key the processor sees), then the processor is called outside
//! any transaction, then the outcome is recorded with the claim's settlement
//! (`settle_card_charge`). A crash between claim and record leaves the claim
//! in doubt; whoever comes next — the next billing run, or the payer asking
//! again — finishes it with the same key, so a charge that reached the
//! processor is not taken twice and one that did not is not lost.

use chrono::NaiveDate;
use entity::{
    card_charge_claim,
    enums::{InvoiceStatus, PaymentMethodKind},
    invoice, payment_method,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{InvoiceView, NOT_FOUND, display_number, lines_of, snapshot};
use crate::service::audit::AuditAction;
use crate::{
    access::invoice::load as load_with_rights,
    auth::Actor,
    billing::{
        cards::{self, method_summary, stored_card},
        processor::{ChargeOutcome, Direction, PaymentRequest},
    },
    db,
    error::{AppError, AppResult, Invalid},
    fault::crash_point,
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        billing_profiles,
    },
};

/// How an invoice was paid: the one list of ways (R29, R31, R44).
pub(super) enum Payment<'a> {
    /// By card: now, by someone allowed to pay (`by`), or at issue by the
    /// billing run (`by` None). `reference` is the processor's.
    Card { method: &'a payment_method::Model, by: Option<Uuid>, reference: String },
    /// By check or wire transfer, marked paid by someone allowed to pay (R29).
    Offline { by: Uuid },
    /// Nothing was left to pay once the credit balance was used (R44), at issue.
    Credit,
}

impl Payment<'_> {
    fn action(&self) -> AuditAction {
        match self {
            Payment::Card { by: Some(_), .. } => AuditAction::InvoicePay,
            Payment::Card { by: None, .. } => AuditAction::InvoiceCardCharged,
            Payment::Offline { .. } => AuditAction::InvoiceMarkPaid,
            Payment::Credit => AuditAction::InvoiceIssue,
        }
    }
}

/// The one rule for settling an invoice: PAID, when, by whom and with what.
pub(super) fn apply(model: &mut invoice::ActiveModel, payment: &Payment<'_>, now: chrono::DateTime<chrono::Utc>) {
    model.status = Set(InvoiceStatus::Paid);
    model.paid_at = Set(Some(now));
    match payment {
        Payment::Card { method, by, .. } => {
            model.paid_by = Set(*by);
            model.payment_method_id = Set(Some(method.id));
            model.payment_method_summary = Set(method_summary(Some(method)));
        }
        Payment::Offline { by } => model.paid_by = Set(Some(*by)),
        Payment::Credit => model.paid_by = Set(None),
    }
}

/// Only OPEN and OVERDUE invoices are paid; a CREDITED one owes nothing (R44).
fn ensure_unpaid(invoice: &invoice::Model) -> AppResult<()> {
    if invoice.status.is_settled() { Err(AppError::InvalidState { reason: invoice.status.into() }) } else { Ok(()) }
}

/// Settles an unpaid invoice in the caller's transaction, with its audit
/// event (R36): every way of paying an open invoice comes through here.
async fn settle(
    txn: &impl ConnectionTrait,
    invoice: &invoice::Model,
    payment: Payment<'_>,
    actor: Option<&Actor>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<invoice::Model> {
    ensure_unpaid(invoice)?;
    let before = snapshot(invoice);
    let mut model: invoice::ActiveModel = invoice.clone().into();
    apply(&mut model, &payment, now);
    let invoice = model.update(txn).await?;
    let mut after = snapshot(&invoice);
    if let Payment::Card { reference, .. } = &payment {
        after["processorReference"] = json!(reference);
    }
    let entry = AuditEntry::new(payment.action(), "invoice", invoice.id).before(before).after(after);
    audit::record(txn, AuditScope::org(invoice.organization_id, actor), now, entry).await?;
    Ok(invoice)
}

// ---------------------------------------------------------------------------
// Paid by hand (R29)
// ---------------------------------------------------------------------------

/// R2 (pay right), R29: records that a check or wire transfer paid the invoice.
pub async fn mark_paid(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (invoice, profile, rights) = load_with_rights(&txn, actor, id, true).await?;
    billing_profiles::require(rights.pay_invoices)?;
    ensure_unpaid(&invoice)?;
    let method = cards::current_method(&txn, &profile).await?;
    if method.as_ref().map(|m| m.kind) != Some(PaymentMethodKind::CheckOrWire) {
        // Card profiles pay with payInvoice.
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    }
    let paid = settle(&txn, &invoice, Payment::Offline { by: actor.user_id() }, Some(actor), now).await?;
    let invoice = invoice.updated(paid).ok_or(NOT_FOUND)?;
    let lines = lines_of(&txn, vec![invoice.id]).await?;
    txn.commit().await?;
    Ok(InvoiceView { invoice, lines })
}

// ---------------------------------------------------------------------------
// Card payments: claim → commit → processor → record (R31, R33, R34)
// ---------------------------------------------------------------------------

/// The result of one card charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardCharge {
    Approved,
    Declined,
    /// Already settled (by an earlier or concurrent attempt), or nothing left
    /// to charge: not charged again.
    Skipped,
}

impl CardCharge {
    fn label(self) -> &'static str {
        match self {
            CardCharge::Approved => "approved",
            CardCharge::Declined => "declined",
            CardCharge::Skipped => "skipped",
        }
    }
}

/// What came of sending a claimed charge.
enum Attempt {
    Sent(ChargeOutcome),
    /// Paid meanwhile (e.g. by hand): nothing sent.
    NothingToCharge,
    /// The claim names no usable card: nothing sent.
    NoCard,
}

/// R2 (pay right), R31, R34: charges the profile's current card for an unpaid
/// invoice — claim, commit, processor, record. A decline is PAYMENT_DECLINED
/// and changes nothing the caller can see. A charge left in doubt by a crash
/// is finished first, with its own key, before a new one is claimed.
pub async fn pay(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let today = state.clock.today();
    // One charge in doubt at most (a crash, or a concurrent request): finish it.
    let pending = card_charge_claim::Entity::find_by_id(id).one(&state.db).await?;
    if pending.is_some_and(|claim| claim.settled_at.is_none()) {
        // Rights first: nobody learns of (or settles) an invoice they may not pay.
        let (_, _, rights) = load_with_rights(&state.db, actor, id, false).await?;
        billing_profiles::require(rights.pay_invoices)?;
        settle_card_charge(state, id, today, Some(actor)).await?;
        let (invoice, _, _) = load_with_rights(&state.db, actor, id, false).await?;
        if invoice.status == InvoiceStatus::Paid {
            // The charge in doubt went through: it was this payment.
            let lines = lines_of(&state.db, vec![invoice.id]).await?;
            return Ok(InvoiceView { invoice, lines });
        }
    }
    if claim_payment(state, actor, id).await? {
        crash_point("charge-claimed");
    }
    // Ours, or one a concurrent request claimed a moment ago (same key): sent once.
    let outcome = settle_card_charge(state, id, today, Some(actor)).await?;
    let (invoice, _, _) = load_with_rights(&state.db, actor, id, false).await?;
    match (outcome, invoice.status) {
        (CardCharge::Declined, _) => Err(AppError::PaymentDeclined),
        (_, InvoiceStatus::Paid) => {
            let lines = lines_of(&state.db, vec![invoice.id]).await?;
            Ok(InvoiceView { invoice, lines })
        }
        (_, status) => Err(AppError::InvalidState { reason: status.into() }),
    }
}

/// `pay`'s claim, committed: the caller's rights, an unpaid invoice, a card
/// on the profile, and no other charge of the invoice in doubt. False when a
/// concurrent request claimed it first.
async fn claim_payment(state: &Services, actor: &Actor, id: Uuid) -> AppResult<bool> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (invoice, profile, rights) = load_with_rights(&txn, actor, id, true).await?;
    billing_profiles::require(rights.pay_invoices)?;
    ensure_unpaid(&invoice)?;
    let Some(method) = cards::current_method(&txn, &profile).await? else {
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    };
    if stored_card(&method).is_none() {
        // Check or wire: paid outside, then marked paid (R29).
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    }
    let claim = card_charge_claim::ActiveModel {
        invoice_id: Set(invoice.id),
        // A new attempt, a new key: a retry of this one reuses it.
        idempotency_key: Set(format!("pay:{}:{}", invoice.id, Uuid::now_v7())),
        claimed_at: Set(now),
        settled_at: Set(None),
        outcome: Set(None),
        payment_method_id: Set(Some(method.id)),
        requested_by: Set(Some(actor.user_id())),
    };
    let earlier = card_charge_claim::Entity::find_by_id(invoice.id).one(&txn).await?;
    match earlier {
        None => {
            claim.insert(&txn).await?;
        }
        Some(_) => {
            // Re-arm a settled claim; one in doubt (claimed meanwhile) stays.
            let rearmed = card_charge_claim::Entity::update_many()
                .set(claim)
                .filter(card_charge_claim::Column::InvoiceId.eq(invoice.id))
                .filter(card_charge_claim::Column::SettledAt.is_not_null())
                .exec(&txn)
                .await?;
            if rearmed.rows_affected != 1 {
                txn.rollback().await?;
                return Ok(false);
            }
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// R31, R33: the billing run charges the card named on the invoice at issue,
/// at most once: claim (committed), then `settle_card_charge`.
pub async fn charge_at_issue(state: &Services, invoice_id: Uuid, as_of: NaiveDate) -> AppResult<CardCharge> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let claimed = invoice::Entity::update_many()
        .col_expr(invoice::Column::LastChargeAttempt, Expr::value(as_of))
        .filter(invoice::Column::Id.eq(invoice_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::LastChargeAttempt.is_null())
        .exec(&txn)
        .await?;
    // Tried already, or someone is paying it now (payInvoice's claim).
    if claimed.rows_affected != 1 || card_charge_claim::Entity::find_by_id(invoice_id).one(&txn).await?.is_some() {
        txn.rollback().await?;
        return Ok(CardCharge::Skipped);
    }
    card_charge_claim::ActiveModel {
        invoice_id: Set(invoice_id),
        idempotency_key: Set(invoice_id.to_string()),
        claimed_at: Set(now),
        settled_at: Set(None),
        outcome: Set(None),
        payment_method_id: Set(None),
        requested_by: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    crash_point("charge-claimed");
    settle_card_charge(state, invoice_id, as_of, None).await
}

/// R33: card charges claimed but never settled (a crash between the claim
/// and recording the outcome), oldest first.
pub async fn unsettled_card_charges(db: &impl ConnectionTrait) -> AppResult<Vec<Uuid>> {
    Ok(card_charge_claim::Entity::find()
        .select_only()
        .column(card_charge_claim::Column::InvoiceId)
        .filter(card_charge_claim::Column::SettledAt.is_null())
        .order_by_asc(card_charge_claim::Column::ClaimedAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// Sends a claimed charge to the processor (with the claim's idempotency
/// key, outside any transaction) and records the outcome with the claim's
/// settlement, once. The card is the one the claim names (`payInvoice`) or
/// else the invoice's (charge at issue). `actor` is who is finishing it
/// (None: the billing run).
pub async fn settle_card_charge(
    state: &Services,
    invoice_id: Uuid,
    as_of: NaiveDate,
    actor: Option<&Actor>,
) -> AppResult<CardCharge> {
    let Some(claim) = card_charge_claim::Entity::find_by_id(invoice_id).one(&state.db).await? else {
        return Ok(CardCharge::Skipped);
    };
    if claim.settled_at.is_some() {
        return Ok(CardCharge::Skipped);
    }
    let invoice = invoice::Entity::find_by_id(invoice_id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    let method = cards::method(&state.db, claim.payment_method_id.or(invoice.payment_method_id)).await?;
    let attempt = match method.as_ref().and_then(stored_card) {
        _ if invoice.status.is_settled() => Attempt::NothingToCharge,
        Some(card) => {
            let request = PaymentRequest {
                direction: Direction::Charge,
                card: &card,
                amount_minor: invoice.total_minor,
                currency: &invoice.currency,
                today: as_of,
                idempotency_key: claim.idempotency_key.clone(),
            };
            Attempt::Sent(state.processor.process(&request).await)
        }
        None => Attempt::NoCard,
    };
    crash_point("charge-sent");
    record_card_charge(state, &claim, method.as_ref(), attempt, actor).await
}

/// The record step: the outcome and the claim's settlement in one transaction.
async fn record_card_charge(
    state: &Services,
    claim: &card_charge_claim::Model,
    method: Option<&payment_method::Model>,
    attempt: Attempt,
    actor: Option<&Actor>,
) -> AppResult<CardCharge> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let invoice = invoice::Entity::find_by_id(claim.invoice_id).lock_exclusive().one(&txn).await?.ok_or(NOT_FOUND)?;
    let scope = AuditScope::org(invoice.organization_id, actor);
    // Only the billing run's declines are audited: a declined payInvoice changes nothing.
    let by_run = claim.requested_by.is_none();
    let result = match (attempt, method) {
        (Attempt::Sent(ChargeOutcome::Approved { reference }), Some(method)) if !invoice.status.is_settled() => {
            let payment = Payment::Card { method, by: claim.requested_by, reference };
            settle(&txn, &invoice, payment, actor, now).await?;
            CardCharge::Approved
        }
        (Attempt::Sent(ChargeOutcome::Approved { reference }), _) => {
            tracing::error!(invoice = %invoice.id, %reference, "a card charge was approved for an invoice already settled");
            CardCharge::Skipped
        }
        (Attempt::NothingToCharge, _) => CardCharge::Skipped,
        (Attempt::Sent(ChargeOutcome::Declined { reason }), _) => {
            if by_run {
                declined(&txn, scope, &invoice, reason.as_str(), now).await?;
            }
            CardCharge::Declined
        }
        (Attempt::NoCard, _) => {
            if by_run {
                declined(&txn, scope, &invoice, "no card", now).await?;
            }
            CardCharge::Declined
        }
    };
    let done = card_charge_claim::Entity::update_many()
        .col_expr(card_charge_claim::Column::SettledAt, Expr::value(now))
        .col_expr(card_charge_claim::Column::Outcome, Expr::value(result.label()))
        .filter(card_charge_claim::Column::InvoiceId.eq(claim.invoice_id))
        .filter(card_charge_claim::Column::IdempotencyKey.eq(claim.idempotency_key.as_str()))
        .filter(card_charge_claim::Column::SettledAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        // Another runner settled it first; its outcome stands.
        txn.rollback().await?;
        return Ok(CardCharge::Skipped);
    }
    txn.commit().await?;
    Ok(result)
}

async fn declined(
    txn: &impl ConnectionTrait,
    scope: AuditScope,
    invoice: &invoice::Model,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let entry = AuditEntry::new(AuditAction::InvoiceCardDeclined, "invoice", invoice.id)
        .after(json!({"number": display_number(invoice.number), "reason": reason, "status": invoice.status.as_str()}));
    audit::record(txn, scope, now, entry).await
}
