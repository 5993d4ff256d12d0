//! Issue 23 (c): the number of invoices kept per organization and issue date
//! (`invoice_counts`), so an invoice list's `totalCount` adds up a few rows
//! per month instead of counting every invoice of the period against the
//! caller's profiles. Issuing an invoice of one of the organization's own
//! billing profiles adds one in the same transaction; a self-service buyer's
//! invoices are theirs alone (R38), so they are not kept here and a
//! caller's own are counted from the invoices.

use chrono::NaiveDate;
use entity::{billing_profile, invoice, invoice_count};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement},
};
use uuid::Uuid;

use crate::error::AppResult;

/// Counts `invoice`, just issued, for its organization (the same rows the
/// migration's backfill makes) — nothing for a self-service buyer's profile.
pub(super) async fn add_issued(
    txn: &impl ConnectionTrait,
    profile: &billing_profile::Model,
    invoice: &invoice::Model,
) -> AppResult<()> {
    if profile.owner_user_id.is_some() {
        return Ok(());
    }
    let row = invoice_count::ActiveModel {
        organization_id: Set(invoice.organization_id),
        issue_date: Set(invoice.issue_date),
        invoices: Set(1),
    };
    let kept = Expr::col((invoice_count::Entity, invoice_count::Column::Invoices));
    let added = Expr::col((Alias::new("excluded"), invoice_count::Column::Invoices));
    invoice_count::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([invoice_count::Column::OrganizationId, invoice_count::Column::IssueDate])
                .value(invoice_count::Column::Invoices, kept.add(added))
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// A statement selecting how many invoices issued from `from` to `to`
/// (inclusive) a caller covering the whole of `organization_id` sees: the
/// kept counts plus the invoices matching `also` (their own self-service
/// profiles', see `access::invoice::coverage`).
pub fn total(organization_id: Uuid, from: NaiveDate, to: NaiveDate, also: Condition) -> SelectStatement {
    let kept = Query::select()
        .expr(Expr::cust("CAST(COALESCE(SUM(invoice_counts.invoices), 0) AS BIGINT)"))
        .from(invoice_count::Entity)
        .and_where(invoice_count::Column::OrganizationId.eq(organization_id))
        .and_where(invoice_count::Column::IssueDate.gte(from))
        .and_where(invoice_count::Column::IssueDate.lte(to))
        .to_owned();
    let theirs = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(invoice::Entity)
        .cond_where(also)
        .and_where(invoice::Column::IssueDate.gte(from))
        .and_where(invoice::Column::IssueDate.lte(to))
        .to_owned();
    Query::select()
        .expr(Expr::SubQuery(None, Box::new(kept.into())).add(Expr::SubQuery(None, Box::new(theirs.into()))))
        .to_owned()
}
