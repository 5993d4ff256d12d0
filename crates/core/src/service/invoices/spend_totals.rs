//! R51: the spend totals kept per organization, billed month, product and
//! currency (`spend_totals`), so `spendByProduct` reads a few hundred rows
//! instead of adding up every invoice line of the period. Issuing an
//! invoice of one of the organization's own billing profiles adds its
//! charge lines in the same transaction; a self-service buyer's invoices
//! are theirs alone (R38) and carried credit lines (R44) are not spend, so
//! neither is kept here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{billing_profile, invoice, invoice_line, spend_total};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{domain::money, error::AppResult};

/// Adds `invoice`'s charge lines to its organization's totals (the same
/// sums the migration's backfill makes from the lines) — nothing for a
/// self-service buyer's profile. One statement; the rows are written in key
/// order, so two runners issuing at once lock them in the same order.
pub(super) async fn add_issued(
    txn: &impl ConnectionTrait,
    profile: &billing_profile::Model,
    invoice: &invoice::Model,
    charge_lines: &[invoice_line::Model],
) -> AppResult<()> {
    if profile.owner_user_id.is_some() {
        return Ok(());
    }
    let mut per_product: BTreeMap<&str, i64> = BTreeMap::new();
    for line in charge_lines.iter().filter(|l| l.source_invoice_id.is_none()) {
        let total = per_product.entry(line.product_name.as_str()).or_default();
        *total = money::add(*total, line.amount_minor)?;
    }
    if per_product.is_empty() {
        return Ok(());
    }
    let rows = per_product.into_iter().map(|(product, amount)| spend_total::ActiveModel {
        organization_id: Set(invoice.organization_id),
        month: Set(invoice.period_start),
        product_name: Set(product.to_owned()),
        currency: Set(invoice.currency.clone()),
        amount_minor: Set(amount),
    });
    let kept = Expr::col((spend_total::Entity, spend_total::Column::AmountMinor));
    let added = Expr::col((Alias::new("excluded"), spend_total::Column::AmountMinor));
    spend_total::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                spend_total::Column::OrganizationId,
                spend_total::Column::Month,
                spend_total::Column::ProductName,
                spend_total::Column::Currency,
            ])
            .value(spend_total::Column::AmountMinor, kept.add(added))
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The organization's totals for the billed months from `from` to `to`.
pub async fn of_organization(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<spend_total::Model>> {
    Ok(spend_total::Entity::find()
        .filter(spend_total::Column::OrganizationId.eq(organization_id))
        .filter(spend_total::Column::Month.gte(from))
        .filter(spend_total::Column::Month.lte(to))
        .all(db)
        .await?)
}
