//! Listing and showing invoices to the people who may see their billing
//! profile (R2, R3, R32).

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use entity::{enums::InvoiceStatus, invoice, invoice_line};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::InvoiceView;
use crate::{
    access::{self, invoice::load as load_with_rights},
    auth::Actor,
    error::{AppError, AppResult, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{Services, billing_profiles},
};

/// R32: the longest date range the list accepts.
pub const MAX_RANGE_MONTHS: u32 = 24;

/// The lines of `invoice_ids`, by invoice, in position order: one statement.
/// Issue 23: read from the (invoice_id, position) index however many lines
/// the table holds. On PostgreSQL each invoice's lines are a LATERAL
/// subquery fenced with OFFSET 0 over the list of IDs, so the planner keeps
/// one index range per invoice rather than scanning every line of every
/// invoice once a page asks for a few dozen; SQLite reads an IN list through
/// the index anyway.
pub async fn lines_of(db: &impl ConnectionTrait, invoice_ids: Vec<Uuid>) -> AppResult<Vec<invoice_line::Model>> {
    use sea_orm::{FromQueryResult, Statement};
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        let ids: Vec<String> = (1..=invoice_ids.len()).map(|i| format!("(${i}::uuid)")).collect();
        let sql = format!(
            "SELECT l.* FROM (VALUES {}) AS ld_ids (id) CROSS JOIN LATERAL \
             (SELECT * FROM invoice_lines WHERE invoice_lines.invoice_id = ld_ids.id OFFSET 0) AS l \
             ORDER BY l.invoice_id, l.position",
            ids.join(", ")
        );
        let values: Vec<sea_orm::Value> = invoice_ids.into_iter().map(Into::into).collect();
        let statement = Statement::from_sql_and_values(backend, sql, values);
        return Ok(invoice_line::Model::find_by_statement(statement).all(db).await?);
    }
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(invoice_ids))
        .order_by_asc(invoice_line::Column::InvoiceId)
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// The list period (R32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    #[default]
    Past3Months,
    Past6Months,
    /// A from–to range (both required).
    Custom,
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub period: Period,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub billing_profile_id: Option<Uuid>,
    pub status: Option<InvoiceStatus>,
}

/// What an invoice list is sorted by (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceSort {
    /// Issue date, then number.
    IssueDate,
    /// Currency code, then total: amounts in different currencies are not
    /// comparable, so each currency's invoices stay together.
    Total,
}

/// The default: newest first (issue date, then number, descending).
pub const NEWEST_FIRST: (InvoiceSort, Direction) = (InvoiceSort::IssueDate, Direction::Desc);

fn keyset((sort, direction): (InvoiceSort, Direction)) -> Keyset {
    let keyset = Keyset::new(format!("invoices:{sort:?}:{direction:?}"));
    let keyset = match sort {
        InvoiceSort::IssueDate => keyset.key(invoice::Column::IssueDate.into_expr(), direction, KeyKind::Date).key(
            invoice::Column::Number.into_expr(),
            direction,
            KeyKind::Int,
        ),
        InvoiceSort::Total => keyset.key(invoice::Column::Currency.into_expr(), direction, KeyKind::Text).key(
            invoice::Column::TotalMinor.into_expr(),
            direction,
            KeyKind::Int,
        ),
    };
    keyset.id(invoice::Column::Id.into_expr(), direction)
}

/// How far past today the PAST_N_MONTHS periods reach (issue 13).
const FUTURE_MONTHS_SHOWN: u32 = 12;

/// The issue dates the filter covers, inclusive (R32). A from–to range wins
/// over the period; past N months count back from today.
pub fn issue_range(filter: &InvoiceFilter, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            if from > to {
                return Err(AppError::validation("filter.from", Invalid::RangeOrder));
            }
            let limit = from.checked_add_months(Months::new(MAX_RANGE_MONTHS)).unwrap_or(NaiveDate::MAX);
            if to > limit {
                return Err(AppError::validation("filter.to", Invalid::RangeTooLong { max_months: MAX_RANGE_MONTHS }));
            }
            Ok((from, to))
        }
        (Some(_), None) => Err(AppError::validation("filter.to", Invalid::Required)),
        (None, Some(_)) => Err(AppError::validation("filter.from", Invalid::Required)),
        (None, None) => {
            let months = match filter.period {
                Period::Past3Months => 3,
                Period::Past6Months => 6,
                Period::Custom => return Err(AppError::validation("filter.from", Invalid::Required)),
            };
            let from = today.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
            // Invoices dated after today (a billing run for a coming date, e.g.
            // `billing run --date` next month's 1st) are shown too (issue 13).
            let to = today.checked_add_months(Months::new(FUTURE_MONTHS_SHOWN)).unwrap_or(today);
            Ok((from, to))
        }
    }
}

/// R32: the caller's invoices in the period, in `order` (by default newest
/// first: issue date, then number).
pub async fn list(
    state: &Services,
    actor: &Actor,
    filter: InvoiceFilter,
    order: (InvoiceSort, Direction),
    window: &Window,
) -> AppResult<Page<InvoiceView>> {
    let (from, to) = issue_range(&filter, state.clock.today())?;
    if actor.billing_org().is_err() {
        return Ok(Page::empty());
    }
    let mut query =
        invoice::Entity::find().filter(invoice::Column::IssueDate.gte(from)).filter(invoice::Column::IssueDate.lte(to));
    if let Some(profile_id) = filter.billing_profile_id {
        // R3: a profile the caller cannot see is NOT_FOUND, not an empty list.
        billing_profiles::load_visible(&state.db, actor, profile_id).await?;
        query = query.filter(invoice::Column::BillingProfileId.eq(profile_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status));
    }
    // With no profile or status asked for, a caller who covers the whole
    // organization reads the total from the kept counts (issue 23).
    let total = match access::invoice::coverage(actor) {
        access::invoice::Coverage::Organization { organization_id, also }
            if window.count && filter.billing_profile_id.is_none() && filter.status.is_none() =>
        {
            Some(super::invoice_counts::total(organization_id, from, to, also))
        }
        _ => None,
    };
    let mut page = access::invoice::page(&state.db, actor, query, &keyset(order), window, total).await?;
    let invoices = std::mem::take(&mut page.items);
    let mut lines: HashMap<Uuid, Vec<invoice_line::Model>> = HashMap::new();
    for line in lines_of(&state.db, invoices.iter().map(|i| i.id).collect()).await? {
        lines.entry(line.invoice_id).or_default().push(line);
    }
    let views = invoices
        .into_iter()
        .map(|invoice| {
            let lines = lines.remove(&invoice.id).unwrap_or_default();
            InvoiceView { invoice, lines }
        })
        .collect();
    Ok(page.with_items(views))
}

/// R32: one invoice with its lines (R3: NOT_FOUND unless the caller can view its profile).
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let (invoice, _, _) = load_with_rights(&state.db, actor, id, false).await?;
    let lines = lines_of(&state.db, vec![invoice.id]).await?;
    Ok(InvoiceView { invoice, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn r32_issue_range() {
        let today = d(2026, 8, 15);
        let f = |period, from, to| InvoiceFilter { period, from, to, billing_profile_id: None, status: None };
        assert_eq!(issue_range(&f(Period::Past3Months, None, None), today), Ok((d(2026, 5, 15), d(2027, 8, 15))));
        assert_eq!(issue_range(&f(Period::Past6Months, None, None), today), Ok((d(2026, 2, 15), d(2027, 8, 15))));
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2025, 1, 1)), Some(d(2027, 1, 1))), today),
            Ok((d(2025, 1, 1), d(2027, 1, 1)))
        );
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2025, 1, 1)), Some(d(2027, 1, 2))), today),
            Err(AppError::validation("filter.to", Invalid::RangeTooLong { max_months: 24 }))
        );
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2026, 2, 1)), Some(d(2026, 1, 1))), today),
            Err(AppError::validation("filter.from", Invalid::RangeOrder))
        );
        assert!(issue_range(&f(Period::Custom, None, None), today).is_err());
        assert!(issue_range(&f(Period::Past3Months, Some(today), None), today).is_err());
    }
}
