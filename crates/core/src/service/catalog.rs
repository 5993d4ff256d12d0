//! The catalog (SPEC §2): publishers' products with terms, prices per
//! currency and markets; customers browse it; admins set self-service policy (R24).

use std::collections::{BTreeSet, HashMap, HashSet};

use entity::{
    enums::{BillingTerm, PricingModel},
    organization, product, product_market, product_price, product_price_history, self_service_policy,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    db,
    domain::{
        markets::{self, Market},
        money::{self, Currency},
    },
    error::{AppError, AppResult, EntityKind, Invalid},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        validate,
    },
};

pub struct PriceInput {
    pub term: BillingTerm,
    pub currency: String,
    /// Decimal string in the currency's minor unit, e.g. "12.50" (R7).
    pub amount: String,
}

pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub pricing_model: Option<PricingModel>,
    pub prices: Option<Vec<PriceInput>>,
    pub markets: Option<Vec<Market>>,
    pub self_service_eligible: Option<bool>,
    pub portal_url: Option<String>,
    pub support_url: Option<String>,
    /// The support e-mail address; an empty text removes it.
    pub support_email: Option<String>,
}

#[derive(Default)]
pub struct ProductFilter {
    pub search: Option<String>,
    pub pricing_model: Option<PricingModel>,
    pub self_service_eligible: Option<bool>,
    pub available_in_my_market: Option<bool>,
    pub publisher_id: Option<Uuid>,
    /// R39: a partner's view: products sold in this customer's market.
    pub customer_id: Option<Uuid>,
}

struct CleanPrice {
    term: BillingTerm,
    currency: &'static str,
    amount_minor: i64,
}

fn clean_prices(prices: &[PriceInput]) -> AppResult<Vec<CleanPrice>> {
    if prices.is_empty() {
        return Err(AppError::validation("prices", Invalid::Required));
    }
    if prices.len() > 100 {
        return Err(AppError::validation("prices", Invalid::TooLong { max: 100 }));
    }
    let mut seen = HashSet::new();
    let mut clean = Vec::new();
    for price in prices {
        let currency = Currency::parse(price.currency.trim())
            .ok_or_else(|| AppError::validation("prices.currency", Invalid::BadFormat))?;
        let amount_minor = money::parse_decimal(price.amount.trim(), currency)
            .filter(|a| *a >= 0)
            .ok_or_else(|| AppError::validation("prices.amount", Invalid::BadFormat))?;
        // Issue 11: a documented bound, so line amounts and totals stay exact.
        if amount_minor > money::MAX_UNIT_PRICE_MINOR {
            let max = money::MAX_UNIT_PRICE_MINOR;
            return Err(AppError::validation("prices.amount", Invalid::OutOfRange { min: 0, max }));
        }
        if !seen.insert((price.term, currency.code())) {
            return Err(AppError::validation("prices", Invalid::Duplicate));
        }
        clean.push(CleanPrice { term: price.term, currency: currency.code(), amount_minor });
    }
    Ok(clean)
}

fn clean_markets(markets: &[Market]) -> AppResult<BTreeSet<&'static str>> {
    let set: BTreeSet<&'static str> = markets.iter().map(|m| m.code()).collect();
    if set.is_empty() {
        return Err(AppError::validation("markets", Invalid::Required));
    }
    Ok(set)
}

/// Replaces the product's prices and, issue 26 item 1, records every price
/// that changed (or was withdrawn) in the price history, in force for
/// renewals from the day after `now`: a renewal due today may already have
/// been taken at the old price by today's run, so "today" stays as it was
/// whenever the run computes it.
async fn write_prices(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    prices: &[CleanPrice],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let old: HashMap<(BillingTerm, String), i64> = product_price::Entity::find()
        .filter(product_price::Column::ProductId.eq(product_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| ((p.term, p.currency), p.unit_amount_minor))
        .collect();
    let new: HashMap<(BillingTerm, String), i64> =
        prices.iter().map(|p| ((p.term, p.currency.to_owned()), p.amount_minor)).collect();
    product_price::Entity::delete_many().filter(product_price::Column::ProductId.eq(product_id)).exec(db).await?;
    for price in prices {
        product_price::ActiveModel {
            id: Set(Uuid::now_v7()),
            product_id: Set(product_id),
            term: Set(price.term),
            currency: Set(price.currency.to_owned()),
            unit_amount_minor: Set(price.amount_minor),
        }
        .insert(db)
        .await?;
    }
    let effective_from = now.date_naive().succ_opt().unwrap_or(chrono::NaiveDate::MAX);
    let mut keys: Vec<&(BillingTerm, String)> =
        old.keys().chain(new.keys()).collect::<HashSet<_>>().into_iter().collect();
    keys.sort_by_key(|(term, currency)| (term.as_str(), currency.clone()));
    for key in keys {
        let (before, after) = (old.get(key), new.get(key));
        if before == after {
            continue;
        }
        product_price_history::ActiveModel {
            id: Set(Uuid::now_v7()),
            product_id: Set(product_id),
            term: Set(key.0),
            currency: Set(key.1.clone()),
            unit_amount_minor: Set(after.copied()),
            effective_from: Set(effective_from),
            changed_at: Set(Some(now)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A renewal price asked for: a product's price for one term and currency
/// in force on a day (also the DataLoader's key for it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PriceAsked {
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub currency: String,
    pub on: chrono::NaiveDate,
}

/// Issue 26 item 1: the price of a renewal at term end `on` — the latest
/// price effective on or before that day, as it was then, whenever asked;
/// None when there was none (or it was withdrawn).
pub async fn price_in_force(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    term: BillingTerm,
    currency: &str,
    on: chrono::NaiveDate,
) -> AppResult<Option<i64>> {
    let asked = PriceAsked { product_id, term, currency: currency.to_owned(), on };
    Ok(prices_in_force(db, std::slice::from_ref(&asked)).await?.pop().flatten())
}

/// [`price_in_force`] for each of `asked`, in order, from one query (a page
/// of renewals asks for fifty).
pub async fn prices_in_force(db: &impl ConnectionTrait, asked: &[PriceAsked]) -> AppResult<Vec<Option<i64>>> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let products: BTreeSet<Uuid> = asked.iter().map(|a| a.product_id).collect();
    let rows = product_price_history::Entity::find()
        .filter(product_price_history::Column::ProductId.is_in(products))
        .all(db)
        .await?;
    // Compared here rather than in SQL: a handful of rows per product, and
    // the same on both engines. Several changes on one day: the last one (v7
    // ids are in creation order).
    Ok(asked
        .iter()
        .map(|a| {
            rows.iter()
                .filter(|r| r.product_id == a.product_id && r.term == a.term && r.currency == a.currency)
                .filter(|r| r.effective_from <= a.on)
                .max_by_key(|r| (r.effective_from, r.id))
                .and_then(|r| r.unit_amount_minor)
        })
        .collect())
}

async fn write_markets(db: &impl ConnectionTrait, product_id: Uuid, markets: &BTreeSet<&'static str>) -> AppResult<()> {
    product_market::Entity::delete_many().filter(product_market::Column::ProductId.eq(product_id)).exec(db).await?;
    for market in markets {
        product_market::ActiveModel { product_id: Set(product_id), market: Set((*market).to_owned()) }
            .insert(db)
            .await?;
    }
    Ok(())
}

fn snapshot(p: &product::Model, prices: &[CleanPrice], markets: &BTreeSet<&'static str>) -> serde_json::Value {
    json!({
        "name": p.name, "pricingModel": p.pricing_model.as_str(), "selfServiceEligible": p.self_service_eligible,
        "portalUrl": p.portal_url, "supportUrl": p.support_url, "supportEmail": p.support_email,
        "prices": prices.iter().map(|c| json!({"term": c.term.as_str(), "currency": c.currency, "amountMinor": c.amount_minor})).collect::<Vec<_>>(),
        "markets": markets.iter().collect::<Vec<_>>(),
    })
}

/// A product's support e-mail address: none when absent or empty.
fn support_email(value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(email) => Ok(Some(validate::email("supportEmail", email)?)),
        None => Ok(None),
    }
}

/// R4: a publisher lists a product.
pub async fn create_product(state: &Services, actor: &Actor, input: ProductInput) -> AppResult<product::Model> {
    let publisher = actor.publisher()?;
    let name = validate::required_text("name", input.name.as_deref().unwrap_or(""), 200)?;
    let description = validate::optional_text("description", input.description.as_deref(), 2000)?.unwrap_or_default();
    let pricing_model = input.pricing_model.ok_or_else(|| AppError::validation("pricingModel", Invalid::Required))?;
    let prices = clean_prices(input.prices.as_deref().unwrap_or(&[]))?;
    let markets = clean_markets(input.markets.as_deref().unwrap_or(&Market::ALL))?;
    let portal_url = validate::url("portalUrl", input.portal_url.as_deref().unwrap_or(""))?;
    let support_url = validate::url("supportUrl", input.support_url.as_deref().unwrap_or(""))?;
    let support_email = support_email(input.support_email.as_deref())?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let model = product::ActiveModel {
        id: Set(Uuid::now_v7()),
        publisher_id: Set(publisher.publisher_id),
        name: Set(name),
        description: Set(description),
        pricing_model: Set(pricing_model),
        self_service_eligible: Set(input.self_service_eligible.unwrap_or(false)),
        portal_url: Set(portal_url),
        support_url: Set(support_url),
        support_email: Set(support_email),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    write_prices(&txn, model.id, &prices, now).await?;
    write_markets(&txn, model.id, &markets).await?;
    let entry =
        AuditEntry::new(AuditAction::ProductCreate, "product", model.id).after(snapshot(&model, &prices, &markets));
    audit::record(&txn, AuditScope::publisher(publisher.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok(model)
}

/// The publisher's own product, or NOT_FOUND (R3).
async fn own_product(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<product::Model> {
    let publisher = actor.publisher()?;
    product::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.publisher_id == publisher.publisher_id)
        .ok_or(AppError::NotFound { entity: EntityKind::Product })
}

/// Changes apply to future purchases and renewals (R17); existing
/// subscriptions keep their unit price until their term ends.
pub async fn update_product(
    state: &Services,
    actor: &Actor,
    id: Uuid,
    input: ProductInput,
) -> AppResult<product::Model> {
    let publisher = actor.publisher()?;
    let current = own_product(&state.db, actor, id).await?;
    if input.pricing_model.is_some_and(|m| m != current.pricing_model) {
        // Seat-based and site-based subscriptions cannot be converted into each other.
        return Err(AppError::validation("pricingModel", Invalid::NotAllowed));
    }
    let prices = input.prices.as_deref().map(clean_prices).transpose()?;
    let markets = input.markets.as_deref().map(clean_markets).transpose()?;
    let mut model: product::ActiveModel = current.clone().into();
    if let Some(name) = input.name.as_deref() {
        model.name = Set(validate::required_text("name", name, 200)?);
    }
    if let Some(description) = input.description.as_deref() {
        model.description = Set(validate::optional_text("description", Some(description), 2000)?.unwrap_or_default());
    }
    if let Some(url) = input.portal_url.as_deref() {
        model.portal_url = Set(validate::url("portalUrl", url)?);
    }
    if let Some(url) = input.support_url.as_deref() {
        model.support_url = Set(validate::url("supportUrl", url)?);
    }
    if input.support_email.is_some() {
        model.support_email = Set(support_email(input.support_email.as_deref())?);
    }
    if let Some(eligible) = input.self_service_eligible {
        model.self_service_eligible = Set(eligible);
    }
    let now = state.clock.now();
    model.updated_at = Set(now);
    let txn = db::begin_write(&state.db).await?;
    let updated = model.update(&txn).await?;
    if let Some(prices) = &prices {
        write_prices(&txn, id, prices, now).await?;
    }
    if let Some(markets) = &markets {
        write_markets(&txn, id, markets).await?;
    }
    let entry = AuditEntry::new(AuditAction::ProductUpdate, "product", id)
        .before(json!({"name": current.name, "selfServiceEligible": current.self_service_eligible}))
        .after(snapshot(&updated, prices.as_deref().unwrap_or(&[]), markets.as_ref().unwrap_or(&BTreeSet::new())));
    audit::record(&txn, AuditScope::publisher(publisher.publisher_id, actor), now, entry).await?;
    txn.commit().await?;
    Ok(updated)
}

pub async fn publisher_products(state: &Services, actor: &Actor, window: &Window) -> AppResult<Page<product::Model>> {
    let publisher = actor.publisher()?;
    let query = product::Entity::find().filter(product::Column::PublisherId.eq(publisher.publisher_id));
    crate::paging::fetch(&state.db, query, &by_name(), window).await
}

/// Products A to Z by name (then id): the catalog's one order.
fn by_name() -> Keyset {
    Keyset::new("products:name")
        .key(product::Column::Name.into_expr(), Direction::Asc, KeyKind::Text)
        .id(product::Column::Id.into_expr(), Direction::Asc)
}

async fn org_market(db: &impl ConnectionTrait, organization_id: Uuid) -> AppResult<Option<Market>> {
    let org = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    Ok(markets::market_for_country(&org.country))
}

/// The catalog as customers (and publishers) see it.
pub async fn list_products(
    state: &Services,
    actor: &Actor,
    filter: ProductFilter,
    window: &Window,
) -> AppResult<Page<product::Model>> {
    let mut query = product::Entity::find();
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > 200 {
            return Err(AppError::validation("filter.search", Invalid::TooLong { max: 200 }));
        }
        let escaped = validate::like_literal(&search.to_lowercase());
        let pattern = format!("%{escaped}%");
        let mut any = Condition::any();
        // Any word of the name, folded (issue 13); the description as before.
        if let Some(terms) = crate::service::search::owners_matching(entity::search::PRODUCT, None, search) {
            any = any.add(product::Column::Id.in_subquery(terms));
        }
        query = query.filter(
            any.add(
                Expr::expr(Func::lower(Expr::col(product::Column::Name)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            )
            .add(
                Expr::expr(Func::lower(Expr::col(product::Column::Description)))
                    .like(LikeExpr::new(pattern).escape('\\')),
            ),
        );
    }
    if let Some(model) = filter.pricing_model {
        query = query.filter(product::Column::PricingModel.eq(model));
    }
    if let Some(eligible) = filter.self_service_eligible {
        query = query.filter(product::Column::SelfServiceEligible.eq(eligible));
    }
    if let Some(publisher_id) = filter.publisher_id {
        query = query.filter(product::Column::PublisherId.eq(publisher_id));
    }
    let market_of = match filter.customer_id {
        // R39: only a partner with an approved relationship looks at a customer's market.
        Some(customer) => {
            let partner = actor.partner()?;
            if !crate::access::partner::link_active(&state.db, partner.partner_id(), customer).await? {
                return Err(AppError::NotFound { entity: EntityKind::Organization });
            }
            Some(customer)
        }
        None if filter.available_in_my_market == Some(true) => Some(actor.org()?.organization_id),
        None => None,
    };
    if let Some(organization_id) = market_of {
        let Some(market) = org_market(&state.db, organization_id).await? else {
            return Ok(Page::empty());
        };
        let in_market = Query::select()
            .column(product_market::Column::ProductId)
            .from(product_market::Entity)
            .and_where(product_market::Column::Market.eq(market.code()))
            .to_owned();
        query = query.filter(product::Column::Id.in_subquery(in_market));
    }
    crate::paging::fetch(&state.db, query, &by_name(), window).await
}

pub async fn get_product(state: &Services, _actor: &Actor, id: Uuid) -> AppResult<product::Model> {
    product::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound { entity: EntityKind::Product })
}

/// R24, the one policy default: an organization that set no policy for a
/// product allows its self-service purchase; otherwise its policy decides.
pub fn allowed_by_policy(policy: Option<&self_service_policy::Model>) -> bool {
    policy.is_none_or(|p| p.allowed)
}

/// R24: whether the organization allows self-service purchase of a product (`allowed_by_policy`).
pub async fn self_service_allowed(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    product_id: Uuid,
) -> AppResult<bool> {
    let policy = self_service_policy::Entity::find_by_id((organization_id, product_id)).one(db).await?;
    Ok(allowed_by_policy(policy.as_ref()))
}

/// R24: GLOBAL_ADMIN and BILLING_ADMIN set the policy per product; future purchases only.
pub async fn set_self_service_policy(
    state: &Services,
    actor: &Actor,
    product_id: Uuid,
    allowed: bool,
) -> AppResult<product::Model> {
    let org = actor.org()?;
    if !org.is_billing_manager() {
        return Err(AppError::Forbidden);
    }
    let product = get_product(state, actor, product_id).await?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let before = self_service_allowed(&txn, org.organization_id, product_id).await?;
    self_service_policy::Entity::insert(self_service_policy::ActiveModel {
        organization_id: Set(org.organization_id),
        product_id: Set(product_id),
        allowed: Set(allowed),
        updated_by: Set(org.user_id),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([self_service_policy::Column::OrganizationId, self_service_policy::Column::ProductId])
            .update_columns([
                self_service_policy::Column::Allowed,
                self_service_policy::Column::UpdatedBy,
                self_service_policy::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::SelfServicePolicySet, "product", product_id)
        .before(json!({"allowed": before}))
        .after(json!({"allowed": allowed}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(product)
}

/// The price of `term` in `currency`, if the product offers it.
pub async fn price_for(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    term: BillingTerm,
    currency: &str,
) -> AppResult<Option<product_price::Model>> {
    Ok(product_price::Entity::find()
        .filter(product_price::Column::ProductId.eq(product_id))
        .filter(product_price::Column::Term.eq(term))
        .filter(product_price::Column::Currency.eq(currency))
        .one(db)
        .await?)
}

pub async fn offers_term(db: &impl ConnectionTrait, product_id: Uuid, term: BillingTerm) -> AppResult<bool> {
    Ok(product_price::Entity::find()
        .filter(product_price::Column::ProductId.eq(product_id))
        .filter(product_price::Column::Term.eq(term))
        .count(db)
        .await?
        > 0)
}

pub async fn sold_in(db: &impl ConnectionTrait, product_id: Uuid, market: Market) -> AppResult<bool> {
    Ok(product_market::Entity::find_by_id((product_id, market.code().to_owned())).one(db).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R24 (issue 19: one policy default): no policy is allowed; a policy decides.
    #[test]
    fn r24_no_policy_means_allowed() {
        let policy = |allowed| self_service_policy::Model {
            organization_id: Uuid::nil(),
            product_id: Uuid::nil(),
            allowed,
            updated_by: Uuid::nil(),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        };
        assert!(allowed_by_policy(None));
        assert!(allowed_by_policy(Some(&policy(true))));
        assert!(!allowed_by_policy(Some(&policy(false))));
    }
}
