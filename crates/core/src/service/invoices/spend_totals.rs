//! R51: the spend totals kept per organization, billed month, product and
//! currency (`spend_totals`), so `spendByProduct` reads a few hundred rows
//! instead of adding up every invoice line of the period. Issuing an
//! invoice of one of the organization's own billing profiles adds its
//! charge lines in the same transaction; a self-service buyer's invoices
//! are theirs alone (R38) and carried credit lines (R44) are not spend, so
//! neither is kept here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{billing_profile, invoice, spend_total};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{domain::money, error::AppResult};

/// Adds `invoice`'s charge lines, given as (product name, amount), to its
/// organization's totals — nothing for a self-service buyer's profile. One
/// statement; the rows are written in key order, so two runners issuing at
/// once lock them in the same order.
pub(super) async fn add_issued<'a>(
    txn: &impl ConnectionTrait,
    profile: &billing_profile::Model,
    invoice: &invoice::Model,
    lines: impl IntoIterator<Item = (&'a str, i64)>,
) -> AppResult<()> {
    if profile.owner_user_id.is_some() {
        return Ok(());
    }
    let mut per_product: BTreeMap<&str, i64> = BTreeMap::new();
    for (product, amount) in lines {
        let total = per_product.entry(product).or_default();
        *total = money::add(*total, amount)?;
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
        .order_by_asc(spend_total::Column::Month)
        .all(db)
        .await?)
}
