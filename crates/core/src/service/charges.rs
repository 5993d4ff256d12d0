//! R30: charge and credit rows. Every amount is computed here, exactly, in
//! integer minor units, rounded half to even once per line.

use chrono::NaiveDate;
use entity::{charge, enums::ChargeKind, subscription};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::{
    domain::{money, terms},
    error::AppResult,
};

/// Billed quantity: the seat count, or 1 for flat rate (R30: "× 1 for flat rate").
pub fn billed_quantity(sub: &subscription::Model) -> i64 {
    sub.quantity.unwrap_or(1)
}

pub struct NewCharge<'a> {
    pub subscription: &'a subscription::Model,
    pub kind: ChargeKind,
    pub description: String,
    pub charge_date: NaiveDate,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
    /// Set for charges the billing run may try to write twice (R33).
    pub dedupe_key: Option<String>,
}

/// A full term at the subscription's unit price.
pub fn full_term<'a>(
    sub: &'a subscription::Model,
    kind: ChargeKind,
    start: NaiveDate,
    end: NaiveDate,
    product: &str,
) -> AppResult<NewCharge<'a>> {
    let quantity = billed_quantity(sub);
    Ok(NewCharge {
        subscription: sub,
        kind,
        description: format!("{product} — {} term", sub.term.as_str().to_lowercase()),
        charge_date: start,
        period_start: start,
        period_end: end,
        quantity,
        unit_price_minor: sub.unit_price_minor,
        // Issue 11: checked; an overflow fails the operation, never clips.
        amount_minor: money::line_amount(sub.unit_price_minor, quantity)?,
        dedupe_key: Some(format!("sub:{}:term:{}", sub.id, sub.term_number)),
    })
}

/// A pro-rata change of `changed_quantity` licenses on `date` for the rest of
/// the current term: a charge when positive, a credit (negative) when negative.
pub fn pro_rata<'a>(
    sub: &'a subscription::Model,
    kind: ChargeKind,
    date: NaiveDate,
    changed_quantity: i64,
    product: &str,
) -> AppResult<NewCharge<'a>> {
    let (s, e) = (sub.current_term_start, sub.current_term_end);
    let magnitude = terms::prorated_amount(
        sub.unit_price_minor,
        changed_quantity.checked_abs().ok_or(money::Overflow)?,
        date,
        s,
        e,
    )?;
    let amount = if changed_quantity < 0 { -magnitude } else { magnitude };
    let what = match kind {
        ChargeKind::QuantityIncrease => "licenses added",
        ChargeKind::QuantityDecrease => "licenses removed",
        ChargeKind::CancellationCredit => "cancellation credit",
        _ => "adjustment",
    };
    Ok(NewCharge {
        subscription: sub,
        kind,
        description: format!(
            "{product} — {what}, {date} to {e} ({} of {} days)",
            (e - date).num_days().max(0),
            (e - s).num_days()
        ),
        charge_date: date,
        period_start: date.max(s),
        period_end: e,
        quantity: changed_quantity,
        unit_price_minor: sub.unit_price_minor,
        amount_minor: amount,
        dedupe_key: None,
    })
}

pub async fn insert(
    db: &impl ConnectionTrait,
    charge: NewCharge<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<charge::Model> {
    let sub = charge.subscription;
    Ok(charge::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(sub.organization_id),
        subscription_id: Set(sub.id),
        billing_profile_id: Set(sub.billing_profile_id),
        kind: Set(charge.kind),
        description: Set(charge.description),
        charge_date: Set(charge.charge_date),
        period_start: Set(charge.period_start),
        period_end: Set(charge.period_end),
        quantity: Set(charge.quantity),
        unit_price_minor: Set(charge.unit_price_minor),
        amount_minor: Set(charge.amount_minor),
        currency: Set(sub.currency.clone()),
        dedupe_key: Set(charge.dedupe_key),
        invoice_id: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?)
}
