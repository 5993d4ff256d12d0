//! The billing run's invoice steps (R15, R31, R33, R44): which invoices are
//! due, issuing one, which cards await their charge at issue, marking
//! invoices overdue, and which subscriptions' payment is not current.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use entity::{
    billing_profile, charge,
    enums::{InvoiceStatus, PaymentMethodKind},
    invoice, invoice_line, organization, payment_method, product, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    due_date, invoice_counts, issue_date, method_summary, month_start, next_month_start, settle, snapshot, spend_totals,
};
use crate::error::EntityKind;
use crate::service::audit::AuditAction;
use crate::{
    billing::cards,
    db,
    domain::money,
    error::{AppError, AppResult},
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        credit_balance,
    },
};

/// One invoice to issue: a profile and a billed month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueInvoice {
    pub period_start: NaiveDate,
    pub billing_profile_id: Uuid,
}

/// R31: the (month, profile) pairs with uninvoiced charges dated in a month
/// that ended before `as_of`, oldest month first. A charge written late for a
/// month already invoiced (say a renewal retried after a failed run) goes on
/// the profile's next invoice instead.
pub async fn due_invoices(db: &impl ConnectionTrait, as_of: NaiveDate) -> AppResult<Vec<DueInvoice>> {
    let cutoff = month_start(as_of);
    let rows: Vec<(Uuid, NaiveDate)> = charge::Entity::find()
        .select_only()
        .column(charge::Column::BillingProfileId)
        .column(charge::Column::ChargeDate)
        .filter(charge::Column::InvoiceId.is_null())
        .filter(charge::Column::ChargeDate.lt(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    let months: BTreeSet<DueInvoice> = rows
        .into_iter()
        .map(|(billing_profile_id, date)| DueInvoice { period_start: month_start(date), billing_profile_id })
        .collect();
    let Some(earliest) = months.iter().map(|d| d.period_start).min() else { return Ok(Vec::new()) };
    let profiles: BTreeSet<Uuid> = months.iter().map(|d| d.billing_profile_id).collect();
    let issued: BTreeSet<(Uuid, NaiveDate)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::BillingProfileId)
        .column(invoice::Column::PeriodStart)
        .filter(invoice::Column::BillingProfileId.is_in(profiles))
        .filter(invoice::Column::PeriodStart.gte(earliest))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut due = BTreeSet::new();
    for mut item in months {
        while issued.contains(&(item.billing_profile_id, item.period_start)) {
            item.period_start = next_month_start(item.period_start);
        }
        // Otherwise it waits for the invoice of the month now running.
        if item.period_start < cutoff {
            due.insert(item);
        }
    }
    Ok(due.into_iter().collect())
}

/// The order of an invoice's lines, the same whenever the charges were
/// written (issue 26 item 1): by date; on one date the renewals first (a term
/// ends at the start of its day), by subscription, then the day's changes in
/// the order they were made.
fn line_order(c: &charge::Model) -> (NaiveDate, bool, Option<Uuid>, chrono::DateTime<chrono::Utc>, Uuid) {
    let renewal = c.kind == entity::enums::ChargeKind::Renewal;
    (c.charge_date, !renewal, renewal.then_some(c.subscription_id), c.created_at, c.id)
}

/// What issuing one invoice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {
    Invoice(Box<invoice::Model>),
    /// Already issued by an earlier (or concurrent) run: nothing done.
    AlreadyIssued,
    /// Issue 26 item 3: it cannot be issued (`reason`): nothing written; the
    /// run records the hold on the profile (`hold`) and goes on.
    Held {
        reason: String,
    },
}

/// R31: issues the invoice of one profile for one month in one transaction:
/// the next number of the organization (gapless: the counter moves in the
/// same transaction), the lines in charge-date order, the charges linked to
/// it. R44: a negative subtotal is CREDITED and carried to the profile's
/// credit balance; a positive one first consumes that balance (one line per
/// source invoice), and a total left at zero is PAID at issue. The unique
/// (billing_profile_id, period_start) makes a rerun a no-op (R33).
///
/// Issue 26 item 1: issued, due and graced from `issued_on`, the day the run
/// actually issues it (a late run issues last month's invoice today, due 30
/// days from today), so no run marks overdue an invoice it has just issued.
pub async fn issue_one(state: &Services, due: DueInvoice, issued_on: NaiveDate) -> AppResult<Issued> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let existing = invoice::Entity::find()
        .filter(invoice::Column::BillingProfileId.eq(due.billing_profile_id))
        .filter(invoice::Column::PeriodStart.eq(due.period_start))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Ok(Issued::AlreadyIssued);
    }
    // The month's charges, and any written late for a month already invoiced.
    let mut charges = charge::Entity::find()
        .filter(charge::Column::BillingProfileId.eq(due.billing_profile_id))
        .filter(charge::Column::InvoiceId.is_null())
        .filter(charge::Column::ChargeDate.lt(next_month_start(due.period_start)))
        .all(&txn)
        .await?;
    charges.sort_by_key(line_order);
    if charges.is_empty() {
        return Ok(Issued::AlreadyIssued);
    }
    // Issue 11: checked; a total beyond the exact range is never clipped.
    // Issue 26 item 3: such an invoice is held, visibly, and the run goes on.
    let Ok(subtotal) = money::sum(charges.iter().map(|c| c.amount_minor)) else {
        return Ok(Issued::Held { reason: HELD_BEYOND_BOUNDS.to_owned() });
    };
    // Locked: issuing and refunds of one profile's credit balance queue (R44).
    let profile = billing_profile::Entity::find_by_id(due.billing_profile_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::BillingProfile })?;
    let currency = charges[0].currency.clone();
    if charges.iter().any(|c| c.currency != currency) {
        return Err(AppError::internal(format!("charges in several currencies on profile {}", profile.id)));
    }
    // Product names for the lines, in one query.
    let sub_ids: Vec<Uuid> = charges.iter().map(|c| c.subscription_id).collect::<BTreeSet<_>>().into_iter().collect();
    let subs = subscription::Entity::find().filter(subscription::Column::Id.is_in(sub_ids)).all(&txn).await?;
    let product_ids: Vec<Uuid> = subs.iter().map(|s| s.product_id).collect::<BTreeSet<_>>().into_iter().collect();
    let products: BTreeMap<Uuid, String> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let product_of: BTreeMap<Uuid, String> =
        subs.iter().map(|s| (s.id, products.get(&s.product_id).cloned().unwrap_or_default())).collect();
    // R31: numbers unique and gapless per organization. The row lock (PostgreSQL;
    // SQLite's write lock is already held) serializes the counter.
    let org = organization::Entity::find_by_id(profile.organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    let number = org.next_invoice_number;
    organization::Entity::update_many()
        .col_expr(organization::Column::NextInvoiceNumber, sea_orm::sea_query::Expr::value(number + 1))
        .filter(organization::Column::Id.eq(org.id))
        .filter(organization::Column::NextInvoiceNumber.eq(number))
        .exec(&txn)
        .await?;
    let method = cards::current_method(&txn, &profile).await?;
    let balance_before = credit_balance::balance(&txn, profile.id).await?;
    let applied = if subtotal > 0 { credit_balance::take(&txn, profile.id, subtotal).await? } else { Vec::new() };
    let applied_minor = money::sum(applied.iter().map(|a| a.amount_minor))?;
    let total = money::sub(subtotal, applied_minor)?;
    let carried = if subtotal < 0 { money::sub(0, subtotal)? } else { 0 };
    let status = if subtotal < 0 { InvoiceStatus::Credited } else { InvoiceStatus::Open };
    let issue = issued_on.max(issue_date(due.period_start));
    let mut model = invoice::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(profile.organization_id),
        billing_profile_id: Set(profile.id),
        number: Set(number),
        period_start: Set(due.period_start),
        issue_date: Set(issue),
        due_date: Set(due_date(issue)),
        subtotal_minor: Set(subtotal),
        total_minor: Set(if subtotal < 0 { subtotal } else { total }),
        currency: Set(currency),
        status: Set(status),
        payment_method_id: Set(method.as_ref().map(|m| m.id)),
        payment_method_summary: Set(method_summary(method.as_ref())),
        paid_at: Set(None),
        paid_by: Set(None),
        last_charge_attempt: Set(None),
        credit_applied_minor: Set(applied_minor),
        credit_carried_minor: Set(carried),
        credit_remaining_minor: Set(carried),
        created_at: Set(now),
    };
    if status == InvoiceStatus::Open && total == 0 {
        // R44: the credit balance paid it all.
        settle::apply(&mut model, &settle::Payment::Credit, now);
    }
    let inserted = model.insert(&txn).await;
    let invoice = match inserted {
        Ok(invoice) => invoice,
        // Another runner issued it first (only possible after a lost lease).
        Err(e) if db::is_unique_violation(&e) => return Ok(Issued::AlreadyIssued),
        Err(e) => return Err(e.into()),
    };
    let mut charge_lines = Vec::with_capacity(charges.len());
    for (position, c) in charges.iter().enumerate() {
        let line = invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(invoice.id),
            charge_id: Set(Some(c.id)),
            subscription_id: Set(Some(c.subscription_id)),
            product_name: Set(product_of.get(&c.subscription_id).cloned().unwrap_or_default()),
            description: Set(c.description.clone()),
            period_start: Set(c.period_start),
            period_end: Set(c.period_end),
            quantity: Set(c.quantity),
            unit_price_minor: Set(c.unit_price_minor),
            amount_minor: Set(c.amount_minor),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            source_invoice_id: Set(None),
        }
        .insert(&txn)
        .await?;
        charge_lines.push(line);
    }
    // R44: the credit consumed, one line per invoice it came from.
    for (offset, credit) in applied.iter().enumerate() {
        let amount = money::sub(0, credit.amount_minor)?;
        invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(invoice.id),
            charge_id: Set(None),
            subscription_id: Set(None),
            product_name: Set("Credit balance".to_owned()),
            description: Set(credit_balance::line_description(credit.source_number)),
            period_start: Set(due.period_start),
            period_end: Set(issue),
            quantity: Set(1),
            unit_price_minor: Set(amount),
            amount_minor: Set(amount),
            position: Set(i32::try_from(charges.len() + offset).unwrap_or(i32::MAX)),
            source_invoice_id: Set(Some(credit.source_invoice_id)),
        }
        .insert(&txn)
        .await?;
    }
    // R51: the organization's spend totals grow with the invoice's charge lines.
    spend_totals::add_issued(&txn, &profile, &invoice, &charge_lines).await?;
    // Issue 23: and so does its count of invoices, for the lists' totals.
    invoice_counts::add_issued(&txn, &profile, &invoice).await?;
    let linked = charge::Entity::update_many()
        .col_expr(charge::Column::InvoiceId, sea_orm::sea_query::Expr::value(invoice.id))
        .filter(charge::Column::Id.is_in(charges.iter().map(|c| c.id).collect::<Vec<_>>()))
        .filter(charge::Column::InvoiceId.is_null())
        .exec(&txn)
        .await?;
    if linked.rows_affected != charges.len() as u64 {
        return Err(AppError::internal("charges changed while issuing an invoice"));
    }
    let mut after = snapshot(&invoice);
    after["lines"] = json!(charges.len() + applied.len());
    let entry = AuditEntry::new(AuditAction::InvoiceIssue, "invoice", invoice.id).after(after);
    audit::record(&txn, AuditScope::org(invoice.organization_id, None), now, entry).await?;
    if profile.invoice_hold_reason.is_some() {
        // Issued at last: the hold ends (issue 26 item 3).
        let mut held: billing_profile::ActiveModel = profile.clone().into();
        held.invoice_hold_reason = Set(None);
        held.invoice_hold_period = Set(None);
        held.invoice_hold_since = Set(None);
        held.update(&txn).await?;
    }
    // R44: the balance change, on the profile's audit trail.
    credit_balance::record_issue(&txn, now, &invoice, balance_before, &applied).await?;
    txn.commit().await?;
    Ok(Issued::Invoice(Box::new(invoice)))
}

/// Why an invoice whose total leaves the exact range is held (issue 26 item 3).
pub const HELD_BEYOND_BOUNDS: &str = "The invoice cannot be issued: its total is beyond the largest amount an invoice can hold. \
     Lower the quantities or split the subscriptions over several billing profiles; the billing run \
     tries again every day.";

/// Issue 26 item 3: records on the profile that its invoice for `due` cannot
/// be issued, with the reason and the day it was first held, and raises
/// INVOICE_HELD (audit event and event) — once per hold, not every day.
/// True when the hold is new.
pub async fn hold(state: &Services, due: DueInvoice, as_of: NaiveDate, reason: &str) -> AppResult<bool> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let profile = billing_profile::Entity::find_by_id(due.billing_profile_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::BillingProfile })?;
    if profile.invoice_hold_period == Some(due.period_start) && profile.invoice_hold_reason.as_deref() == Some(reason) {
        return Ok(false);
    }
    let before = json!({"invoiceHold": profile.invoice_hold_reason.as_ref().map(|r| json!({"periodStart": profile.invoice_hold_period, "reason": r}))});
    let mut model: billing_profile::ActiveModel = profile.into();
    model.invoice_hold_reason = Set(Some(reason.to_owned()));
    model.invoice_hold_period = Set(Some(due.period_start));
    model.invoice_hold_since = Set(Some(as_of));
    let profile = model.update(&txn).await?;
    let after = json!({"periodStart": due.period_start, "since": as_of, "reason": reason});
    let entry = AuditEntry::new(AuditAction::BillingProfileInvoiceHeld, "billing_profile", profile.id)
        .before(before)
        .after(after);
    audit::record(&txn, AuditScope::org(profile.organization_id, None), now, entry).await?;
    txn.commit().await?;
    Ok(true)
}

/// How many billing profiles have an invoice held now (for `/metrics`).
pub async fn held_count(db: &impl ConnectionTrait) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(billing_profile::Entity::find()
        .filter(billing_profile::Column::InvoiceHoldReason.is_not_null())
        .count(db)
        .await?)
}

/// Open invoices issued on or before `as_of` whose card has not been tried yet.
pub async fn awaiting_card_charge(db: &impl ConnectionTrait, as_of: NaiveDate) -> AppResult<Vec<Uuid>> {
    let cards = Query::select()
        .column(payment_method::Column::Id)
        .from(payment_method::Entity)
        .and_where(payment_method::Column::Kind.eq(PaymentMethodKind::CreditCard))
        .to_owned();
    Ok(invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::LastChargeAttempt.is_null())
        .filter(invoice::Column::IssueDate.lte(as_of))
        .filter(invoice::Column::TotalMinor.gt(0))
        .filter(invoice::Column::PaymentMethodId.in_subquery(cards))
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Number)
        .into_tuple()
        .all(db)
        .await?)
}

/// R31: open invoices past their due date become OVERDUE, one transaction each.
pub async fn mark_overdue(state: &Services, as_of: NaiveDate) -> AppResult<u64> {
    let ids: Vec<Uuid> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::DueDate.lt(as_of))
        .order_by_asc(invoice::Column::DueDate)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut marked = 0;
    for id in ids {
        let now = state.clock.now();
        let txn = db::begin_write(&state.db).await?;
        let Some(invoice) = invoice::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else { continue };
        if invoice.status != InvoiceStatus::Open || invoice.due_date >= as_of {
            continue;
        }
        let before = snapshot(&invoice);
        let mut model: invoice::ActiveModel = invoice.into();
        model.status = Set(InvoiceStatus::Overdue);
        let invoice = model.update(&txn).await?;
        let entry = AuditEntry::new(AuditAction::InvoiceOverdue, "invoice", invoice.id)
            .before(before)
            .after(snapshot(&invoice));
        audit::record(&txn, AuditScope::org(invoice.organization_id, None), now, entry).await?;
        txn.commit().await?;
        marked += 1;
    }
    Ok(marked)
}

/// R15: subscriptions (not yet disabled) with a charge on an invoice still
/// unpaid when the grace period after its due date has ended on `as_of`.
pub async fn subscriptions_not_current(
    db: &impl ConnectionTrait,
    as_of: NaiveDate,
    grace_days: i64,
) -> AppResult<Vec<Uuid>> {
    let grace = chrono::Days::new(u64::try_from(grace_days).unwrap_or(0));
    // as_of > due_date + grace  ⇔  due_date < as_of − grace
    let Some(latest_due) = as_of.checked_sub_days(grace) else { return Ok(Vec::new()) };
    let unpaid = Query::select()
        .column(invoice::Column::Id)
        .from(invoice::Entity)
        .and_where(invoice::Column::Status.is_not_in([InvoiceStatus::Paid, InvoiceStatus::Credited]))
        .and_where(invoice::Column::DueDate.lt(latest_due))
        .to_owned();
    let subs = Query::select()
        .column(charge::Column::SubscriptionId)
        .from(charge::Entity)
        .and_where(charge::Column::InvoiceId.in_subquery(unpaid))
        .to_owned();
    Ok(subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::Id.in_subquery(subs))
        .filter(subscription::Column::Status.ne(entity::enums::SubscriptionStatus::Disabled))
        .order_by_asc(subscription::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
