//! Invoices (R31, R32), one file per job:
//!
//! - `queries`: listing and showing them to the people who may see their
//!   billing profile (R2, R3, R32);
//! - `settle`: the one way an invoice becomes PAID — paid now by card, marked
//!   paid (check or wire), charged at issue by the billing run, or paid by
//!   credit at issue (R29, R31, R44) — and the card payments behind it, each
//!   claimed, committed, sent to the processor, then recorded;
//! - `issue`: the billing run's invoice steps: issuing a month's charges,
//!   marking invoices overdue, finding subscriptions whose payment is not
//!   current (R15, R31, R33, R44);
//! - `pdf`: assembling the PDF document (R32);
//! - `spend_totals`: what each organization was invoiced per product and
//!   month, kept as invoices are issued (R51);
//! - `invoice_counts`: how many invoices each organization was issued per
//!   day, kept the same way, for the lists' totals (issue 23).
//!
//! This module holds what they share: the calendar, the view, the snapshot.

mod invoice_counts;
mod issue;
pub mod links;
mod pdf;
mod queries;
mod settle;
pub mod spend_totals;

use chrono::{Datelike, Months, NaiveDate};
use entity::{invoice, invoice_line};
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::billing::{
    cards::{method_summary, stored_card},
    numbers::display_number,
};
use crate::error::EntityKind;
use crate::{access::Visible, error::AppError};
pub use issue::{
    DueInvoice, HELD_BEYOND_BOUNDS, Issued, awaiting_card_charge, due_invoices, held_count, hold, issue_one,
    mark_overdue, subscriptions_not_current,
};
pub use pdf::{PdfLanguage, pdf, pdf_by_link};
pub use queries::{
    InvoiceFilter, InvoiceSort, MAX_RANGE_MONTHS, NEWEST_FIRST, Period, get, issue_range, lines_of, list,
};
pub use settle::{CardCharge, charge_at_issue, mark_paid, pay, settle_card_charge, unsettled_card_charges};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Invoice };

/// R31: due 30 days after issue.
pub const PAYMENT_TERM_DAYS: u64 = 30;

/// Where the PDF of an invoice is served (same authorization as `invoice(id)`).
pub fn pdf_path(id: Uuid) -> String {
    format!("/invoices/{id}.pdf")
}

/// An invoice with its lines, as the caller may see it.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub invoice: Visible<invoice::Model>,
    pub lines: Vec<invoice_line::Model>,
}

// ---------------------------------------------------------------------------
// Calendar helpers (R31)
// ---------------------------------------------------------------------------

pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

pub fn next_month_start(date: NaiveDate) -> NaiveDate {
    month_start(date).checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX)
}

/// The last day of the month `period_start` begins.
pub fn period_end(period_start: NaiveDate) -> NaiveDate {
    next_month_start(period_start).pred_opt().unwrap_or(period_start)
}

/// R31: issued on the first day of the month after the billed one.
pub fn issue_date(period_start: NaiveDate) -> NaiveDate {
    next_month_start(period_start)
}

pub fn due_date(issue: NaiveDate) -> NaiveDate {
    issue.checked_add_days(chrono::Days::new(PAYMENT_TERM_DAYS)).unwrap_or(NaiveDate::MAX)
}

/// Issue 26 item 2: the credit balance an invoice used, per source invoice:
/// (its display number, the negative amount), in line order. The API and the
/// PDF show the same rows.
pub async fn credits_applied(
    db: &impl sea_orm::ConnectionTrait,
    lines: &[invoice_line::Model],
) -> crate::error::AppResult<Vec<(String, i64)>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let sources: Vec<Uuid> = lines.iter().filter_map(|l| l.source_invoice_id).collect();
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let numbers: std::collections::HashMap<Uuid, i64> = invoice::Entity::find()
        .filter(invoice::Column::Id.is_in(sources))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i.number))
        .collect();
    Ok(lines
        .iter()
        .filter_map(|l| {
            let source = l.source_invoice_id?;
            Some((numbers.get(&source).map(|n| display_number(*n)).unwrap_or_default(), l.amount_minor))
        })
        .collect())
}

/// The public view of an invoice for audit snapshots (R36): no card data.
fn snapshot(i: &invoice::Model) -> Value {
    json!({
        "number": display_number(i.number),
        "billingProfileId": i.billing_profile_id,
        "periodStart": i.period_start,
        "issueDate": i.issue_date,
        "dueDate": i.due_date,
        "totalMinor": i.total_minor,
        "currency": i.currency,
        "status": i.status.as_str(),
        "paymentMethod": i.payment_method_summary,
        "paidAt": i.paid_at,
        "creditAppliedMinor": i.credit_applied_minor,
        "creditCarriedMinor": i.credit_carried_minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn r31_calendar() {
        assert_eq!(month_start(d(2026, 3, 17)), d(2026, 3, 1));
        assert_eq!(issue_date(d(2026, 12, 1)), d(2027, 1, 1));
        assert_eq!(period_end(d(2028, 2, 1)), d(2028, 2, 29));
        assert_eq!(due_date(d(2026, 4, 1)), d(2026, 5, 1));
        assert_eq!(display_number(42), "LD-000042");
    }
}
