//! Catalog: products, prices, markets, self-service policy, proposals.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{
    enums::{BillingTerm, PricingModel, ProposalStatus},
    product, proposal, proposal_line,
};

use super::{
    actor,
    identity::{Organization, Publisher},
    loaders,
    loaders::{MarketsOfProduct, OrganizationId, PricesOfProduct, ProductId, PublisherId, SelfServicePolicyKey},
    pagination::{self, Page, Window},
    parse_id, state,
    types::Money,
};
use crate::{
    access::Visible,
    auth::Actor,
    domain::markets::{self, Market},
    service::{catalog as svc, purchase},
};

pub struct Product(pub product::Model);

/// Issue 11: what a withdrawn price means for existing subscriptions.
#[derive(SimpleObject)]
pub struct RenewalWarning {
    /// Auto-renewing subscriptions whose term and currency have no price any more.
    pub subscriptions_not_renewing: u64,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct ProductPrice {
    pub term: BillingTerm,
    /// Per license per term (PER_LICENSE) or per organization per term (FLAT_RATE).
    pub price: Money,
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        Ok(loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?.map(Publisher))
    }
    async fn pricing_model(&self) -> PricingModel {
        self.0.pricing_model
    }
    /// R6: the terms with at least one price.
    async fn offered_terms(&self, ctx: &Context<'_>) -> Result<Vec<BillingTerm>> {
        let prices = loaders(ctx)?.load_one(PricesOfProduct(self.0.id)).await?.unwrap_or_default();
        let mut terms: Vec<BillingTerm> = prices.iter().map(|p| p.term).collect();
        terms.sort_by_key(|t| t.months());
        terms.dedup();
        Ok(terms)
    }
    /// R6: a price per offered term and currency.
    async fn prices(&self, ctx: &Context<'_>) -> Result<Vec<ProductPrice>> {
        let mut prices = loaders(ctx)?.load_one(PricesOfProduct(self.0.id)).await?.unwrap_or_default();
        prices.sort_by(|a, b| (a.term.months(), &a.currency).cmp(&(b.term.months(), &b.currency)));
        Ok(prices
            .into_iter()
            .map(|p| ProductPrice { term: p.term, price: Money::new(p.unit_amount_minor, &p.currency) })
            .collect())
    }
    /// R8: the markets the product is sold in.
    async fn markets(&self, ctx: &Context<'_>) -> Result<Vec<Market>> {
        let codes = loaders(ctx)?.load_one(MarketsOfProduct(self.0.id)).await?.unwrap_or_default();
        let mut list: Vec<Market> = codes.iter().filter_map(|c| Market::from_code(c)).collect();
        list.sort_by_key(|m| m.code());
        Ok(list)
    }
    /// Whether the caller's organization's country is in one of the product's markets.
    async fn available_in_my_market(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        let Ok(org) = actor(ctx)?.org() else { return Ok(None) };
        let Some(organization) = loaders(ctx)?.load_one(OrganizationId(org.organization_id)).await? else {
            return Ok(None);
        };
        let Some(market) = markets::market_for_country(&organization.country) else { return Ok(Some(false)) };
        let codes = loaders(ctx)?.load_one(MarketsOfProduct(self.0.id)).await?.unwrap_or_default();
        Ok(Some(codes.iter().any(|c| c == market.code())))
    }
    async fn self_service_eligible(&self) -> bool {
        self.0.self_service_eligible
    }
    /// R24: whether the caller's organization allows self-service purchase of
    /// this product (null for publishers).
    async fn self_service_allowed(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        let Ok(org) = actor(ctx)?.org() else { return Ok(None) };
        let key = SelfServicePolicyKey { organization_id: org.organization_id, product_id: self.0.id };
        Ok(Some(loaders(ctx)?.load_one(key).await?.unwrap_or(true)))
    }
    /// For the product's publisher only: a warning when auto-renewing
    /// subscriptions use a price that is no longer offered (for their term and
    /// currency); they will end NOT_RENEWABLE at term end. Select it on the
    /// `updateProduct` result to see what a price change does.
    async fn renewal_warning(&self, ctx: &Context<'_>) -> Result<Option<RenewalWarning>> {
        let count = crate::service::renewal::warning_for_publisher(state(ctx)?, actor(ctx)?, &self.0).await?;
        Ok(count.map(|n| RenewalWarning {
            subscriptions_not_renewing: n,
            message: format!(
                "{n} auto-renewing subscription(s) use a price that is no longer offered; they will not renew at their term end."
            ),
        }))
    }
    /// Set-up and activation happen in the publisher's portal (R14).
    async fn portal_url(&self) -> &str {
        &self.0.portal_url
    }
    async fn support_url(&self) -> &str {
        &self.0.support_url
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct MarketInfo {
    pub market: Market,
    pub name: String,
    /// ISO 3166-1 alpha-2 codes of the countries in the market (R8).
    pub countries: Vec<String>,
}

#[derive(InputObject)]
pub struct PriceInput {
    pub term: BillingTerm,
    /// ISO 4217, e.g. "USD".
    pub currency: String,
    /// Decimal string, e.g. "12.50" (R7).
    pub amount: String,
}

#[derive(InputObject)]
pub struct CreateProductInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub pricing_model: PricingModel,
    pub prices: Vec<PriceInput>,
    /// Defaults to every market.
    pub markets: Option<Vec<Market>>,
    #[graphql(default)]
    pub self_service_eligible: bool,
    pub portal_url: String,
    pub support_url: String,
}

#[derive(InputObject)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Replaces every price when given.
    pub prices: Option<Vec<PriceInput>>,
    pub markets: Option<Vec<Market>>,
    pub self_service_eligible: Option<bool>,
    pub portal_url: Option<String>,
    pub support_url: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Matches name or description.
    pub search: Option<String>,
    pub pricing_model: Option<PricingModel>,
    pub self_service_eligible: Option<bool>,
    /// Only products sold in the caller's organization's market.
    pub available_in_my_market: Option<bool>,
    pub publisher_id: Option<ID>,
    /// For partner users: only products sold in the market of this customer
    /// organization, which must have approved the partner [R39]; otherwise
    /// NOT_FOUND.
    pub customer_id: Option<ID>,
}

fn prices(input: Vec<PriceInput>) -> Vec<svc::PriceInput> {
    input.into_iter().map(|p| svc::PriceInput { term: p.term, currency: p.currency, amount: p.amount }).collect()
}

/// A proposal the caller may see (R9, R40: its organization's buying admins, its publisher).
pub struct Proposal(pub Visible<proposal::Model>);

pub struct ProposalLine(pub proposal_line::Model);

#[Object]
impl ProposalLine {
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(Product))
    }
    async fn term(&self) -> BillingTerm {
        self.0.term
    }
    /// Null for flat-rate products.
    async fn quantity(&self) -> Option<i64> {
        self.0.quantity
    }
}

#[Object]
impl Proposal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> ProposalStatus {
        self.0.status
    }
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        Ok(loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?.map(Publisher))
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.organization_id)).await?.map(Organization))
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ProposalLine>> {
        Ok(purchase::proposal_lines(&state(ctx)?.db, self.0.id).await?.into_iter().map(ProposalLine).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
}

#[derive(InputObject)]
pub struct ProposalLineInput {
    pub product_id: ID,
    pub term: BillingTerm,
    /// Required for per-license products; omit for flat rate.
    pub quantity: Option<i64>,
}

#[derive(InputObject)]
pub struct CreateProposalInput {
    pub organization_id: ID,
    pub title: String,
    pub lines: Vec<ProposalLineInput>,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The catalog (R4), filtered; paginated.
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Product>> {
        let window = Window::parse(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let publisher_id = match filter.publisher_id {
            Some(id) => Some(parse_id(&id, "publisher")?),
            None => None,
        };
        let customer_id = match filter.customer_id {
            Some(id) => Some(parse_id(&id, "organization")?),
            None => None,
        };
        let filter = svc::ProductFilter {
            search: filter.search,
            pricing_model: filter.pricing_model,
            self_service_eligible: filter.self_service_eligible,
            available_in_my_market: filter.available_in_my_market,
            publisher_id,
            customer_id,
        };
        let (rows, total) = svc::list_products(state(ctx)?, actor(ctx)?, filter, window).await?;
        Ok(pagination::page(rows.into_iter().map(Product).collect(), window, total))
    }

    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Product> {
        let id = parse_id(&id, "product")?;
        Ok(Product(svc::get_product(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// R8: the twelve markets and the countries they cover.
    async fn markets(&self) -> Vec<MarketInfo> {
        Market::ALL
            .iter()
            .map(|m| MarketInfo {
                market: *m,
                name: m.display_name().to_owned(),
                countries: m.countries().into_iter().map(str::to_owned).collect(),
            })
            .collect()
    }

    /// The calling publisher's products.
    async fn publisher_products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Product>> {
        let window = Window::parse(first, after.as_deref())?;
        let (rows, total) = svc::publisher_products(state(ctx)?, actor(ctx)?, window).await?;
        Ok(pagination::page(rows.into_iter().map(Product).collect(), window, total))
    }

    /// Proposals to the caller's organization (admins who buy), or sent by the calling publisher.
    async fn proposals(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Page<Proposal>> {
        let window = Window::parse(first, after.as_deref())?;
        let (rows, total) = purchase::list_proposals(state(ctx)?, actor(ctx)?, window).await?;
        Ok(pagination::page(rows.into_iter().map(Proposal).collect(), window, total))
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// R4: a publisher lists a product.
    async fn create_product(&self, ctx: &Context<'_>, input: CreateProductInput) -> Result<Product> {
        let input = svc::ProductInput {
            name: Some(input.name),
            description: Some(input.description),
            pricing_model: Some(input.pricing_model),
            prices: Some(prices(input.prices)),
            markets: input.markets,
            self_service_eligible: Some(input.self_service_eligible),
            portal_url: Some(input.portal_url),
            support_url: Some(input.support_url),
        };
        Ok(Product(svc::create_product(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Changes apply to future purchases and renewals (R17).
    async fn update_product(&self, ctx: &Context<'_>, id: ID, input: UpdateProductInput) -> Result<Product> {
        let id = parse_id(&id, "product")?;
        let input = svc::ProductInput {
            name: input.name,
            description: input.description,
            pricing_model: None,
            prices: input.prices.map(prices),
            markets: input.markets,
            self_service_eligible: input.self_service_eligible,
            portal_url: input.portal_url,
            support_url: input.support_url,
        };
        Ok(Product(svc::update_product(state(ctx)?, actor(ctx)?, id, input).await?))
    }

    /// R24: allow or forbid self-service purchases of a product in the caller's organization.
    async fn set_self_service_policy(&self, ctx: &Context<'_>, product_id: ID, allowed: bool) -> Result<Product> {
        let id = parse_id(&product_id, "product")?;
        Ok(Product(svc::set_self_service_policy(state(ctx)?, actor(ctx)?, id, allowed).await?))
    }

    /// R9: a publisher proposes a bundle of its products to one organization.
    async fn create_proposal(&self, ctx: &Context<'_>, input: CreateProposalInput) -> Result<Proposal> {
        let organization_id = parse_id(&input.organization_id, "organization")?;
        let mut lines = Vec::new();
        for line in input.lines {
            lines.push(purchase::ProposalLineInput {
                product_id: parse_id(&line.product_id, "product")?,
                term: line.term,
                quantity: line.quantity,
            });
        }
        let actor: &Actor = actor(ctx)?;
        let (proposal, _) = purchase::create_proposal(state(ctx)?, actor, organization_id, &input.title, lines).await?;
        let proposal = crate::access::proposal::check(actor, proposal)
            .ok_or(crate::error::AppError::NotFound { entity: "proposal" })?;
        Ok(Proposal(proposal))
    }
}
