//! R51 (issue 22 item 2): where the money goes — per subscription purchased,
//! assigned and used in the last 30 and 90 days; the dormant assignments;
//! spend per product and month from the invoices; the renewals ahead with
//! their forecast amounts. For organization admins (the audit log's
//! readers), each row under the rule of its subscription or invoice (R37):
//! the lists are the caller's visible subscriptions and invoices, nothing
//! else.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{enums::SubscriptionStatus, invoice, invoice_line, license_assignment, subscription, user};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::Actor,
    domain::money,
    error::{AppError, AppResult, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::Services,
};

/// Admins only: GLOBAL, BILLING and LICENSE admins (like the audit log).
fn admin(actor: &Actor) -> AppResult<()> {
    access::notice::may_read_log(actor).map(|_| ())
}

/// One subscription's seats.
#[derive(Debug, Clone)]
pub struct Utilization {
    pub subscription: Visible<subscription::Model>,
    /// Licenses bought (None: flat rate, unlimited).
    pub purchased: Option<i64>,
    pub assigned: i64,
    pub used_30_days: i64,
    pub used_90_days: i64,
}

#[derive(FromQueryResult)]
struct UsedCount {
    subscription_id: Uuid,
    used: i64,
}

/// Active assignments used since `since`, per subscription of `ids` (one statement).
async fn used_since(state: &Services, ids: &[Uuid], since: DateTime<Utc>) -> AppResult<HashMap<Uuid, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(license_assignment::Entity::find()
        .select_only()
        .column(license_assignment::Column::SubscriptionId)
        .column_as(license_assignment::Column::Id.count(), "used")
        .filter(license_assignment::Column::SubscriptionId.is_in(ids.to_vec()))
        .filter(license_assignment::Column::Active.eq(true))
        .filter(license_assignment::Column::LastUsedAt.gte(since))
        .group_by(license_assignment::Column::SubscriptionId)
        .into_model::<UsedCount>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.subscription_id, c.used))
        .collect())
}

fn by_term_end() -> Keyset {
    Keyset::new("subscriptions:term_end")
        .key(subscription::Column::CurrentTermEnd.into_expr(), Direction::Asc, KeyKind::Date)
        .id(subscription::Column::Id.into_expr(), Direction::Asc)
}

/// R51: purchased / assigned / used per visible subscription, those ending
/// soonest first; two grouped statements count the page's uses.
pub async fn utilization(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<Utilization>> {
    admin(actor)?;
    let now = state.clock.now();
    let page =
        access::subscription::page(&state.db, actor, subscription::Entity::find(), &by_term_end(), window).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|s| s.id).collect();
    let since_30 = now - Duration::days(30);
    let since_90 = now - Duration::days(90);
    let used_30 = used_since(state, &ids, since_30).await?;
    let used_90 = used_since(state, &ids, since_90).await?;
    let counts: HashMap<Uuid, (i64, i64)> = ids
        .iter()
        .map(|id| (*id, (used_30.get(id).copied().unwrap_or(0), used_90.get(id).copied().unwrap_or(0))))
        .collect();
    Ok(page.map(|sub| {
        let (used_30_days, used_90_days) = counts.get(&sub.id).copied().unwrap_or_default();
        Utilization {
            purchased: sub.quantity,
            assigned: sub.assigned_count,
            used_30_days,
            used_90_days,
            subscription: sub,
        }
    }))
}

/// An assignment nobody used for a while.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Dormant {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub user_id: Uuid,
    pub user_name: String,
    pub user_email: String,
    pub assigned_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// R51: active assignments of the caller's visible subscriptions not used
/// in the last `days` days (never used counts as unused since assignment),
/// longest unused first.
pub async fn dormant(
    state: &Services,
    actor: &Actor,
    days: i64,
    subscription_id: Option<Uuid>,
    window: &Window,
) -> AppResult<Page<Dormant>> {
    admin(actor)?;
    if !(1..=3650).contains(&days) {
        return Err(AppError::validation("days", Invalid::OutOfRange { min: 1, max: 3650 }));
    }
    if let Some(id) = subscription_id {
        // R3: a subscription the caller cannot see answers NOT_FOUND.
        crate::service::subscriptions::get(state, actor, id).await?;
    }
    let cutoff = state.clock.now() - Duration::days(days);
    let visible = Query::select()
        .column(subscription::Column::Id)
        .from(subscription::Entity)
        .cond_where(access::subscription::visible(actor))
        .to_owned();
    // Dormant: last used before the cutoff, or never used and assigned before
    // it — one range of the dormant index's expression.
    let last_activity = Expr::cust("COALESCE(license_assignments.last_used_at, license_assignments.assigned_at)");
    let dormant_anywhere = license_assignment::Entity::find()
        .filter(license_assignment::Column::Active.eq(true))
        .filter(last_activity.clone().lt(cutoff));
    let mut dormant = dormant_anywhere.clone().filter(license_assignment::Column::SubscriptionId.in_subquery(visible));
    if let Some(id) = subscription_id {
        dormant = dormant.filter(license_assignment::Column::SubscriptionId.eq(id));
    }
    // The total counts assignments alone (every one has its user), without
    // the join the page needs for names.
    let counted = |rows: sea_orm::Select<license_assignment::Entity>| {
        crate::paging::count_of(rows.select_only().column(license_assignment::Column::Id))
    };
    let count = window.count.then(|| match (subscription_id, access::subscription::coverage(actor)) {
        // An admin who sees the whole organization but a few subscriptions:
        // its dormant assignments from one index range, less those of the
        // subscriptions hidden from them — not every dormant row hashed
        // against the caller's subscriptions.
        (None, access::subscription::Coverage::Organization { organization_id, hidden }) => {
            let whole = counted(
                dormant_anywhere.clone().filter(license_assignment::Column::OrganizationId.eq(organization_id)),
            );
            let hidden_ids = Query::select()
                .column(subscription::Column::Id)
                .from(subscription::Entity)
                .cond_where(hidden)
                .to_owned();
            let hidden =
                counted(dormant_anywhere.filter(license_assignment::Column::SubscriptionId.in_subquery(hidden_ids)));
            crate::paging::count_less(whole, hidden)
        }
        _ => counted(dormant.clone()),
    });
    let query = dormant
        .select_only()
        .column(license_assignment::Column::Id)
        .column(license_assignment::Column::SubscriptionId)
        .column(license_assignment::Column::UserId)
        .column(license_assignment::Column::AssignedAt)
        .column(license_assignment::Column::LastUsedAt)
        .column_as(user::Column::Name, "user_name")
        .column_as(user::Column::Email, "user_email")
        .join(
            JoinType::InnerJoin,
            license_assignment::Entity::belongs_to(user::Entity)
                .from(license_assignment::Column::UserId)
                .to(user::Column::Id)
                .into(),
        );
    let keyset = Keyset::new("assignments:dormant")
        .key(last_activity, Direction::Asc, KeyKind::Time)
        .id(license_assignment::Column::Id.into_expr(), Direction::Asc);
    crate::paging::fetch_counted::<_, Dormant>(&state.db, query, &keyset, window, count).await
}

/// One row of spend: a product's invoiced amount in one month and currency.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Spend {
    pub product_name: String,
    pub month: NaiveDate,
    pub currency: String,
    pub amount_minor: i64,
}

#[derive(FromQueryResult)]
struct SpendRow {
    product_name: String,
    period_start: NaiveDate,
    currency: String,
    amount_minor: i64,
}

/// A period bound planned for its value (`db::planned_bound`; a formatted
/// date is digits, dashes and a sign, so it is always written in).
fn period_bound(day: NaiveDate) -> Expr {
    crate::db::planned_bound(day.format("%Y-%m-%d").to_string())
}

/// R51: spend per product and month (the invoice's billing period) from the
/// invoices the caller may see, in each invoice's currency; at most 24
/// months. A billing manager sees every invoice of the organization's own
/// profiles: those come from the totals kept as invoices are issued; the
/// rest (their own self-service invoices, or a license admin's profiles
/// with a role) are added up from the lines.
pub async fn spend(state: &Services, actor: &Actor, from: NaiveDate, to: NaiveDate) -> AppResult<Vec<Spend>> {
    admin(actor)?;
    if to < from || (to - from).num_days() > 731 {
        return Err(AppError::validation("to", Invalid::OutOfRange { min: 0, max: 24 }));
    }
    let mut rows = Vec::new();
    let lines_of = match access::invoice::coverage(actor) {
        access::invoice::Coverage::Organization { organization_id, also } => {
            let kept = crate::service::invoices::spend_totals::of_organization(&state.db, organization_id, from, to);
            rows.extend(kept.await?.into_iter().map(|t| SpendRow {
                product_name: t.product_name,
                period_start: t.month,
                currency: t.currency,
                amount_minor: t.amount_minor,
            }));
            also
        }
        access::invoice::Coverage::Only(visible) => visible,
    };
    rows.extend(
        invoice_line::Entity::find()
            .select_only()
            .column(invoice_line::Column::ProductName)
            .column(invoice::Column::PeriodStart)
            .column(invoice::Column::Currency)
            .column_as(Expr::cust("CAST(COALESCE(SUM(invoice_lines.amount_minor), 0) AS BIGINT)"), "amount_minor")
            .join(
                JoinType::InnerJoin,
                invoice_line::Entity::belongs_to(invoice::Entity)
                    .from(invoice_line::Column::InvoiceId)
                    .to(invoice::Column::Id)
                    .into(),
            )
            .filter(lines_of)
            .filter(invoice_line::Column::SourceInvoiceId.is_null())
            .filter(Expr::col((invoice::Entity, invoice::Column::PeriodStart)).gte(period_bound(from)))
            .filter(Expr::col((invoice::Entity, invoice::Column::PeriodStart)).lte(period_bound(to)))
            .group_by(invoice_line::Column::ProductName)
            .group_by(invoice::Column::PeriodStart)
            .group_by(invoice::Column::Currency)
            .into_model::<SpendRow>()
            .all(&state.db)
            .await?,
    );
    // Periods start on any day: fold them into calendar months.
    let mut months: BTreeMap<(NaiveDate, String, String), i64> = BTreeMap::new();
    for row in rows {
        let month = row.period_start.with_day0(0).unwrap_or(row.period_start);
        let amount = months.entry((month, row.product_name, row.currency)).or_default();
        *amount = money::add(*amount, row.amount_minor)?;
    }
    Ok(months
        .into_iter()
        .map(|((month, product_name, currency), amount_minor)| Spend { product_name, month, currency, amount_minor })
        .collect())
}

/// One renewal ahead.
#[derive(Debug, Clone)]
pub struct Renewal {
    pub subscription: Visible<subscription::Model>,
    pub date: NaiveDate,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// None when it will not renew (auto-renew off, or no price).
    pub next_unit_price_minor: Option<i64>,
}

impl Renewal {
    pub fn forecast_minor(&self) -> Option<i64> {
        self.next_unit_price_minor.map(|p| p.saturating_mul(self.quantity))
    }
    pub fn price_change_minor(&self) -> Option<i64> {
        self.next_unit_price_minor.map(|p| p - self.unit_price_minor).filter(|d| *d != 0)
    }
}

/// R51: the caller's visible active subscriptions whose term ends within
/// `days` days (1–366), soonest first, with the price the renewal takes.
pub async fn renewals(state: &Services, actor: &Actor, days: i64, window: &Window) -> AppResult<Page<Renewal>> {
    admin(actor)?;
    if !(1..=366).contains(&days) {
        return Err(AppError::validation("days", Invalid::OutOfRange { min: 1, max: 366 }));
    }
    let today = state.clock.today();
    let query = subscription::Entity::find()
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::CurrentTermEnd.gt(today))
        .filter(subscription::Column::CurrentTermEnd.lte(today + Duration::days(days)));
    let page = access::subscription::page(&state.db, actor, query, &by_term_end(), window).await?;
    let subs: Vec<&subscription::Model> = page.items.iter().map(|sub| sub.get()).collect();
    let next = crate::service::subscriptions::next_renewal_prices(&state.db, &subs).await?;
    let items: Vec<_> = page.items.iter().cloned().zip(next).collect();
    Ok(page.with_items(
        items
            .into_iter()
            .map(|(sub, next)| Renewal {
                date: sub.current_term_end,
                quantity: sub.quantity.unwrap_or(1),
                unit_price_minor: sub.unit_price_minor,
                next_unit_price_minor: next,
                subscription: sub,
            })
            .collect(),
    ))
}
