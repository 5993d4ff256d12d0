//! R51: utilization, dormant licenses, spend and the renewals ahead, for
//! organization admins (each row under its subscription's or invoice's rule).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    actor,
    pagination::{self, Page},
    parse_id, state,
    subscriptions::Subscription,
    types::Money,
};
use crate::{error::EntityKind, service::utilization as svc};

/// One subscription's seats: bought, assigned and used.
#[derive(SimpleObject)]
pub struct SubscriptionUtilization {
    /// The subscription.
    pub subscription: Subscription,
    /// Licenses bought; null for a flat rate (unlimited).
    pub purchased: Option<i64>,
    /// Licenses assigned now.
    pub assigned: i64,
    /// Assigned licenses used in the last 30 days.
    pub used_last_30_days: i64,
    /// Assigned licenses used in the last 90 days.
    pub used_last_90_days: i64,
}

/// An assigned license nobody used for a while.
#[derive(SimpleObject)]
pub struct DormantLicense {
    /// The assignment's identifier.
    pub id: ID,
    /// The subscription the license belongs to.
    pub subscription_id: ID,
    /// The person holding it.
    pub user_id: ID,
    /// The holder's name.
    pub user_name: String,
    /// The holder's e-mail address.
    pub user_email: String,
    /// When it was assigned.
    pub assigned_at: DateTime<Utc>,
    /// When it was last used; null if never.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What one product cost in one month, from the invoices.
#[derive(SimpleObject)]
pub struct ProductSpend {
    /// The product's name as invoiced.
    pub product_name: String,
    /// The first day of the month of the invoices' billing period.
    pub month: NaiveDate,
    /// The invoiced amount, in the invoices' currency.
    pub amount: Money,
}

/// A renewal ahead and what it will cost.
#[derive(SimpleObject)]
pub struct RenewalForecast {
    /// The subscription that renews.
    pub subscription: Subscription,
    /// The day it renews (its term end).
    pub date: NaiveDate,
    /// Licenses it renews with (1 for a flat rate).
    pub quantity: i64,
    /// The price per license now.
    pub unit_price: Money,
    /// The price per license the renewal takes; null when it will not renew.
    pub next_unit_price: Option<Money>,
    /// Whether it renews by itself.
    pub auto_renew: bool,
    /// The renewal's amount (quantity times the next price), in the subscription's currency; null when it will not renew.
    pub forecast: Option<Money>,
    /// How much the price per license changes at renewal; null when it does not.
    pub price_change: Option<Money>,
}

#[derive(Default)]
pub struct UtilizationQuery;

#[Object]
impl UtilizationQuery {
    /// Per subscription the caller may see: licenses bought, assigned and
    /// used in the last 30 and 90 days, those ending soonest first (admins).
    async fn subscription_utilization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<SubscriptionUtilization>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::utilization(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(
            rows.map(|u| SubscriptionUtilization {
                purchased: u.purchased,
                assigned: u.assigned,
                used_last_30_days: u.used_30_days,
                used_last_90_days: u.used_90_days,
                subscription: Subscription(u.subscription),
            }),
            |u| u.subscription.0.id,
        ))
    }

    /// Assigned licenses of the caller's visible subscriptions not used for
    /// `days` days, longest unused first (admins).
    async fn dormant_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Unused for at least this many days (1 to 3650, default 30).", default = 30)] days: i64,
        #[graphql(desc = "Only this subscription's licenses.")] subscription_id: Option<ID>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<DormantLicense>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let subscription_id = subscription_id.map(|id| parse_id(&id, EntityKind::Subscription)).transpose()?;
        let rows = svc::dormant(state(ctx)?, actor(ctx)?, days, subscription_id, &window).await?;
        Ok(pagination::page(
            rows.map(|d| DormantLicense {
                id: ID(d.id.to_string()),
                subscription_id: ID(d.subscription_id.to_string()),
                user_id: ID(d.user_id.to_string()),
                user_name: d.user_name,
                user_email: d.user_email,
                assigned_at: d.assigned_at,
                last_used_at: d.last_used_at,
            }),
            |d| uuid::Uuid::parse_str(&d.id).unwrap_or_default(),
        ))
    }

    /// Spend per product and month from the invoices the caller may see
    /// (admins), over at most 24 months of billing periods.
    async fn spend_by_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "First billing period day included.")] from: NaiveDate,
        #[graphql(desc = "Last billing period day included.")] to: NaiveDate,
    ) -> Result<Vec<ProductSpend>> {
        Ok(svc::spend(state(ctx)?, actor(ctx)?, from, to)
            .await?
            .into_iter()
            .map(|s| ProductSpend {
                amount: Money::new(s.amount_minor, &s.currency),
                product_name: s.product_name,
                month: s.month,
            })
            .collect())
    }

    /// The caller's visible active subscriptions that renew or end within
    /// `days` days, soonest first, with the forecast amount (admins).
    async fn renewal_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How far ahead, 1 to 366 days (default 90).", default = 90)] days: i64,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<RenewalForecast>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::renewals(state(ctx)?, actor(ctx)?, days, &window).await?;
        Ok(pagination::page(
            rows.map(|r| {
                let currency = r.subscription.currency.clone();
                RenewalForecast {
                    date: r.date,
                    quantity: r.quantity,
                    unit_price: Money::new(r.unit_price_minor, &currency),
                    next_unit_price: r.next_unit_price_minor.map(|p| Money::new(p, &currency)),
                    auto_renew: r.subscription.auto_renew,
                    forecast: r.forecast_minor().map(|p| Money::new(p, &currency)),
                    price_change: r.price_change_minor().map(|p| Money::new(p, &currency)),
                    subscription: Subscription(r.subscription),
                }
            }),
            |r| r.subscription.0.id,
        ))
    }
}
