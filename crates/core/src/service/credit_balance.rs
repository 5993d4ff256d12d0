//! R44: a billing profile's credit balance. Money never appears or disappears:
//!
//! - An invoice whose credits exceed its charges is CREDITED: its negative
//!   total is carried to the profile's balance (`credit_carried_minor`), and
//!   the part not yet used is kept on that invoice (`credit_remaining_minor`).
//!   The balance is the sum of the remaining parts, so every unit of credit
//!   can be traced to the invoice it came from.
//! - The profile's next invoices consume it first, oldest credit first, with
//!   one line per source invoice, before any card is charged.
//! - Someone allowed to pay the profile's invoices (R2) may have the balance
//!   refunded to the profile's current card, once per idempotency key. Like
//!   every payment it is claimed first (the credit reserved and the refund
//!   row written in doubt, committed), then sent to the processor, then
//!   recorded; a crash in between is finished by the next request with the
//!   same key, or by the next billing run, with the same processor key.
//!
//! Every change runs in the caller's transaction with the profile's credit
//! rows locked, so two issuers or refunds of one profile queue.

use entity::{billing_profile, credit_refund, invoice};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    billing::{
        cards::{self, method_summary, stored_card},
        numbers::display_number,
        processor::{ChargeOutcome, Direction, PaymentRequest},
    },
    db,
    domain::money,
    error::{AppError, AppResult, Invalid},
    fault::crash_point,
    service::Services,
    service::{
        audit::{self, AuditAction, AuditEntry, AuditScope},
        billing_profiles, idempotency,
    },
};

/// The profile's credit balance in minor units (≥ 0): the unused credit of its
/// CREDITED invoices.
pub async fn balance(db: &impl ConnectionTrait, billing_profile_id: Uuid) -> AppResult<i64> {
    let remaining: Vec<i64> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::CreditRemainingMinor)
        .filter(invoice::Column::BillingProfileId.eq(billing_profile_id))
        .filter(invoice::Column::CreditRemainingMinor.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(money::sum(remaining)?)
}

/// The invoices still holding credit, oldest first, locked for the transaction.
async fn sources(db: &impl ConnectionTrait, billing_profile_id: Uuid) -> AppResult<Vec<invoice::Model>> {
    Ok(invoice::Entity::find()
        .filter(invoice::Column::BillingProfileId.eq(billing_profile_id))
        .filter(invoice::Column::CreditRemainingMinor.gt(0))
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Number)
        .lock_exclusive()
        .all(db)
        .await?)
}

/// Lowers one source invoice's remaining credit from `from` to `to`; the
/// condition on the old value makes a lost race an error, never a double use.
async fn set_remaining(db: &impl ConnectionTrait, source: &invoice::Model, to: i64) -> AppResult<()> {
    let updated = invoice::Entity::update_many()
        .col_expr(invoice::Column::CreditRemainingMinor, Expr::value(to))
        .filter(invoice::Column::Id.eq(source.id))
        .filter(invoice::Column::CreditRemainingMinor.eq(source.credit_remaining_minor))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::internal("a credit balance changed while it was being used"));
    }
    Ok(())
}

/// Credit taken from one earlier invoice.
#[derive(Debug, Clone)]
pub struct Applied {
    pub source_invoice_id: Uuid,
    pub source_number: i64,
    pub amount_minor: i64,
}

/// Consumes up to `due_minor` of the profile's balance, oldest credit first.
pub async fn take(db: &impl ConnectionTrait, billing_profile_id: Uuid, due_minor: i64) -> AppResult<Vec<Applied>> {
    let mut left = due_minor;
    let mut applied = Vec::new();
    for source in sources(db, billing_profile_id).await? {
        if left <= 0 {
            break;
        }
        let amount = left.min(source.credit_remaining_minor);
        set_remaining(db, &source, money::sub(source.credit_remaining_minor, amount)?).await?;
        left = money::sub(left, amount)?;
        applied.push(Applied { source_invoice_id: source.id, source_number: source.number, amount_minor: amount });
    }
    Ok(applied)
}

/// How a credit line's text begins; the invoice PDF translates it.
pub const CREDIT_LINE_PREFIX: &str = "Credit balance from invoice ";

/// The words of a credit line (R44: it names the invoice the credit came from).
pub fn line_description(source_number: i64) -> String {
    format!("{CREDIT_LINE_PREFIX}{}", display_number(source_number))
}

/// One change of a profile's credit balance, for the audit log (R36, R44).
pub struct BalanceChange {
    pub profile_id: Uuid,
    pub action: AuditAction,
    pub before_minor: i64,
    pub after_minor: i64,
    /// Extra fields merged into the event's `after` (source invoice, refund…).
    pub details: serde_json::Value,
}

/// Writes the audit event of a balance change on the billing profile.
pub async fn record_change(
    db: &impl ConnectionTrait,
    scope: AuditScope,
    now: chrono::DateTime<chrono::Utc>,
    change: BalanceChange,
) -> AppResult<()> {
    let mut after = json!({"creditBalanceMinor": change.after_minor});
    if let (Some(target), Some(extra)) = (after.as_object_mut(), change.details.as_object()) {
        target.extend(extra.clone());
    }
    let entry = AuditEntry::new(change.action, "billing_profile", change.profile_id)
        .before(json!({"creditBalanceMinor": change.before_minor}))
        .after(after);
    audit::record(db, scope, now, entry).await
}

/// The balance changes an issued invoice made: credit carried to the balance
/// (a CREDITED invoice) or taken from it (`applied`, per source invoice).
pub async fn record_issue(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
    invoice: &invoice::Model,
    balance_before: i64,
    applied: &[Applied],
) -> AppResult<()> {
    let scope = || AuditScope::org(invoice.organization_id, None);
    let number = display_number(invoice.number);
    let carried = invoice.credit_carried_minor;
    if carried > 0 {
        let change = BalanceChange {
            profile_id: invoice.billing_profile_id,
            action: AuditAction::BillingProfileCreditCarried,
            before_minor: balance_before,
            after_minor: money::add(balance_before, carried)?,
            details: json!({"fromInvoice": number, "carriedMinor": carried, "currency": invoice.currency}),
        };
        record_change(db, scope(), now, change).await?;
    }
    let used = invoice.credit_applied_minor;
    if used > 0 {
        let sources: Vec<_> = applied
            .iter()
            .map(|a| json!({"invoice": display_number(a.source_number), "amountMinor": a.amount_minor}))
            .collect();
        let change = BalanceChange {
            profile_id: invoice.billing_profile_id,
            action: AuditAction::BillingProfileCreditApplied,
            before_minor: balance_before,
            after_minor: money::sub(balance_before, used)?,
            details: json!({"toInvoice": number, "appliedMinor": used, "sources": sources, "currency": invoice.currency}),
        };
        record_change(db, scope(), now, change).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Refunds: claim → commit → processor → record
// ---------------------------------------------------------------------------

/// Credit a refund in doubt holds back from one source invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Reserved {
    invoice_id: Uuid,
    amount_minor: i64,
}

/// R44: refunds the whole balance to the profile's current card. Needs the
/// right to pay the profile's invoices (R2). The same key on the same profile
/// returns the first refund and refunds nothing more (a refund left in doubt
/// by a crash is finished with it); an empty balance is INVALID_STATE; a
/// decline is PAYMENT_DECLINED and changes nothing.
pub async fn refund(
    state: &Services,
    actor: &Actor,
    billing_profile_id: Uuid,
    key: &str,
) -> AppResult<credit_refund::Model> {
    let key = idempotency::parse_key(Some(key))?.ok_or(AppError::validation("idempotencyKey", Invalid::Required))?;
    let claim = claim_refund(state, actor, billing_profile_id, key).await?;
    if claim.reserved_sources.is_none() {
        return Ok(claim);
    }
    crash_point("refund-claimed");
    finish_refund(state, claim, Some(actor)).await
}

/// The claim, committed: the credit reserved (each source's remaining credit
/// set to zero, what it held kept on the refund row) and the refund row in
/// doubt. An earlier request's row with the same key is returned as it is.
async fn claim_refund(
    state: &Services,
    actor: &Actor,
    billing_profile_id: Uuid,
    key: String,
) -> AppResult<credit_refund::Model> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    // The profile row is locked: refunds and invoice issuing of one profile queue
    // (PostgreSQL; SQLite's write transaction is already exclusive).
    let (profile, rights) = billing_profiles::load_for_change(&txn, actor, billing_profile_id).await?;
    billing_profiles::require(rights.pay_invoices)?;
    let profile: &billing_profile::Model = &profile;
    let earlier = credit_refund::Entity::find()
        .filter(credit_refund::Column::BillingProfileId.eq(profile.id))
        .filter(credit_refund::Column::IdempotencyKey.eq(key.as_str()))
        .one(&txn)
        .await?;
    if let Some(earlier) = earlier {
        return Ok(earlier);
    }
    let sources = sources(&txn, profile.id).await?;
    let amount = money::sum(sources.iter().map(|s| s.credit_remaining_minor))?;
    if amount <= 0 {
        return Err(AppError::NoCreditBalance);
    }
    let method = cards::current_method(&txn, profile).await?;
    let Some(method) = method.filter(|m| stored_card(m).is_some()) else {
        // Refunds go to a card; a check-or-wire profile has none on file.
        return Err(AppError::validation("billingProfileId.paymentMethod", Invalid::NotAllowed));
    };
    let reserved: Vec<Reserved> =
        sources.iter().map(|s| Reserved { invoice_id: s.id, amount_minor: s.credit_remaining_minor }).collect();
    for source in &sources {
        set_remaining(&txn, source, 0).await?;
    }
    let claim = credit_refund::ActiveModel {
        // Set when the processor approves.
        processor_reference: Set(String::new()),
        reserved_sources: Set(Some(serde_json::to_string(&reserved).map_err(AppError::internal)?)),
        transfer_date: Set(None),
        ..refund_row(profile, key, amount, &method, actor, now)
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(claim)
}

/// Longest transfer reference kept (a bank's or the check's number).
pub const MAX_TRANSFER_REFERENCE: usize = 100;

/// Issue 26 item 4, R44: a check-or-wire profile's whole credit balance
/// refunded by a transfer made outside, recorded by a billing manager
/// (BILLING_ADMIN, or GLOBAL_ADMIN who acts as one, R1) with its reference
/// and the day it was sent (not after today). In one transaction: the credit
/// taken off its source invoices, the refund row, the audit event. The same
/// key on the same profile returns the first refund and records nothing
/// more, like the card refund. No balance: INVALID_STATE; a card
/// profile: VALIDATION_FAILED (`billingProfileId.paymentMethod`; its balance
/// goes back to the card with `refund`).
pub async fn record_transfer_refund(
    state: &Services,
    actor: &Actor,
    billing_profile_id: Uuid,
    key: &str,
    reference: &str,
    transfer_date: chrono::NaiveDate,
) -> AppResult<credit_refund::Model> {
    let key = idempotency::parse_key(Some(key))?.ok_or(AppError::validation("idempotencyKey", Invalid::Required))?;
    let reference = crate::service::validate::required_text("reference", reference, MAX_TRANSFER_REFERENCE)?;
    let today = state.clock.today();
    if transfer_date > today {
        return Err(AppError::validation("transferDate", Invalid::NotAllowed));
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (profile, _) = billing_profiles::load_for_change(&txn, actor, billing_profile_id).await?;
    if !actor.org().is_ok_and(|o| o.is_billing_manager()) {
        return Err(AppError::Forbidden);
    }
    let profile: &billing_profile::Model = &profile;
    let earlier = credit_refund::Entity::find()
        .filter(credit_refund::Column::BillingProfileId.eq(profile.id))
        .filter(credit_refund::Column::IdempotencyKey.eq(key.as_str()))
        .one(&txn)
        .await?;
    if let Some(earlier) = earlier {
        return Ok(earlier);
    }
    let method = cards::current_method(&txn, profile).await?;
    let Some(method) = method.filter(|m| m.kind == entity::enums::PaymentMethodKind::CheckOrWire) else {
        return Err(AppError::validation("billingProfileId.paymentMethod", Invalid::NotAllowed));
    };
    let sources = sources(&txn, profile.id).await?;
    let amount = money::sum(sources.iter().map(|s| s.credit_remaining_minor))?;
    if amount <= 0 {
        return Err(AppError::NoCreditBalance);
    }
    for source in &sources {
        set_remaining(&txn, source, 0).await?;
    }
    let refund = credit_refund::ActiveModel {
        processor_reference: Set(reference),
        reserved_sources: Set(None),
        transfer_date: Set(Some(transfer_date)),
        ..refund_row(profile, key, amount, &method, actor, now)
    }
    .insert(&txn)
    .await?;
    let details = json!({
        "refundId": refund.id,
        "refundedMinor": refund.amount_minor,
        "currency": refund.currency,
        "paymentMethod": refund.payment_method_summary,
        "transferReference": refund.processor_reference,
        "transferDate": transfer_date,
    });
    let change = BalanceChange {
        profile_id: refund.billing_profile_id,
        action: AuditAction::BillingProfileCreditRefund,
        before_minor: amount,
        after_minor: 0,
        details,
    };
    record_change(&txn, AuditScope::org(refund.organization_id, Some(actor)), now, change).await?;
    txn.commit().await?;
    Ok(refund)
}

/// R44: refunds left in doubt (a crash between claim and record), oldest first.
pub async fn refunds_in_doubt(db: &impl ConnectionTrait) -> AppResult<Vec<credit_refund::Model>> {
    Ok(credit_refund::Entity::find()
        .filter(credit_refund::Column::ReservedSources.is_not_null())
        .order_by_asc(credit_refund::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Sends a claimed refund to the processor (its key names the request, so a
/// retry refunds once) and records the outcome: approved, the refund and its
/// audit event; declined, the reserved credit back on its source invoices
/// and the claim gone, as if never asked. `actor` is who finishes it (None:
/// the billing run).
pub async fn finish_refund(
    state: &Services,
    claim: credit_refund::Model,
    actor: Option<&Actor>,
) -> AppResult<credit_refund::Model> {
    let method = cards::method(&state.db, Some(claim.payment_method_id)).await?;
    let outcome = match method.as_ref().and_then(stored_card) {
        Some(card) => {
            let request = PaymentRequest {
                direction: Direction::Refund,
                card: &card,
                amount_minor: claim.amount_minor,
                currency: &claim.currency,
                today: state.clock.today(),
                idempotency_key: format!("refund:{}:{}", claim.billing_profile_id, claim.idempotency_key),
            };
            Some(state.processor.process(&request).await)
        }
        None => None,
    };
    crash_point("refund-sent");
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    // Locked like the claim: issuing and refunds of one profile queue.
    billing_profile::Entity::find_by_id(claim.billing_profile_id).lock_exclusive().one(&txn).await?;
    let Some(current) = credit_refund::Entity::find_by_id(claim.id).one(&txn).await? else {
        // Declined and undone by a concurrent attempt.
        return Err(AppError::PaymentDeclined);
    };
    let Some(reserved) = current.reserved_sources.clone() else {
        // Recorded by a concurrent attempt: its outcome stands.
        return Ok(current);
    };
    let reserved: Vec<Reserved> = serde_json::from_str(&reserved).map_err(AppError::internal)?;
    let reference = match outcome {
        Some(ChargeOutcome::Approved { reference }) => reference,
        Some(ChargeOutcome::Declined { .. }) | None => {
            for r in &reserved {
                let restored = invoice::Entity::update_many()
                    .col_expr(invoice::Column::CreditRemainingMinor, Expr::value(r.amount_minor))
                    .filter(invoice::Column::Id.eq(r.invoice_id))
                    .filter(invoice::Column::CreditRemainingMinor.eq(0))
                    .exec(&txn)
                    .await?;
                if restored.rows_affected != 1 {
                    return Err(AppError::internal("reserved credit changed while a refund was in doubt"));
                }
            }
            credit_refund::Entity::delete_by_id(current.id).exec(&txn).await?;
            txn.commit().await?;
            return Err(AppError::PaymentDeclined);
        }
    };
    let mut model: credit_refund::ActiveModel = current.into();
    model.processor_reference = Set(reference);
    model.reserved_sources = Set(None);
    let refund = model.update(&txn).await?;
    let details = json!({
        "refundId": refund.id,
        "refundedMinor": refund.amount_minor,
        "currency": refund.currency,
        "paymentMethod": refund.payment_method_summary,
        "processorReference": refund.processor_reference,
    });
    let scope = match actor {
        Some(actor) => AuditScope::org(refund.organization_id, Some(actor)),
        None => {
            AuditScope { actor_user_id: Some(refund.requested_by), ..AuditScope::org(refund.organization_id, None) }
        }
    };
    let change = BalanceChange {
        profile_id: refund.billing_profile_id,
        action: AuditAction::BillingProfileCreditRefund,
        before_minor: refund.amount_minor,
        after_minor: 0,
        details,
    };
    record_change(&txn, scope, now, change).await?;
    txn.commit().await?;
    Ok(refund)
}

/// The columns every refund of a profile's whole balance has, card or
/// transfer alike; the caller sets how the money went back.
fn refund_row(
    profile: &billing_profile::Model,
    key: String,
    amount: i64,
    method: &entity::payment_method::Model,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> credit_refund::ActiveModel {
    credit_refund::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(profile.organization_id),
        billing_profile_id: Set(profile.id),
        idempotency_key: Set(key),
        amount_minor: Set(amount),
        currency: Set(profile.currency.clone()),
        payment_method_id: Set(method.id),
        payment_method_summary: Set(method_summary(Some(method))),
        requested_by: Set(actor.user_id()),
        created_at: Set(now),
        ..Default::default()
    }
}
