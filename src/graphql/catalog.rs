//! Catalog: products, prices, markets, self-service policy, proposals.

use super::enums::MapInto;
use super::enums::{BillingTerm, Market, PricingModel, ProposalStatus};
use crate::error::EntityKind;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{product, proposal, proposal_line};

use super::{
    actor,
    identity::{Organization, Publisher},
    loaders,
    loaders::{MarketsOfProduct, OrganizationId, PricesOfProduct, ProductId, PublisherId, SelfServicePolicyKey},
    pagination::{self, Page},
    parse_id, state,
    types::Money,
};
use crate::{
    access::Visible,
    auth::Actor,
    domain::markets,
    service::{catalog as svc, purchase},
};

pub struct Product(pub product::Model);

/// Issue 11: what a withdrawn price means for existing subscriptions.
#[derive(SimpleObject)]
pub struct RenewalWarning {
    /// Auto-renewing subscriptions whose term and currency have no price any more.
    pub subscriptions_not_renewing: u64,
    /// The warning in words.
    pub message: String,
}

/// One price of a product: per term and currency.
#[derive(SimpleObject)]
pub struct ProductPrice {
    /// The billing term this price is for.
    pub term: BillingTerm,
    /// Per license per term (PER_LICENSE) or per organization per term (FLAT_RATE).
    pub price: Money,
}

/// Something a publisher sells, with its prices and markets.
#[Object]
impl Product {
    /// Stable identifier of the product.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The product's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the product does.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Who sells it.
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        Ok(loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?.map(Publisher))
    }
    /// Per license or one flat rate.
    async fn pricing_model(&self) -> PricingModel {
        self.0.pricing_model.into()
    }
    /// The terms with at least one price.
    async fn offered_terms(&self, ctx: &Context<'_>) -> Result<Vec<BillingTerm>> {
        let prices = loaders(ctx)?.load_one(PricesOfProduct(self.0.id)).await?.unwrap_or_default();
        let mut terms: Vec<entity::enums::BillingTerm> = prices.iter().map(|p| p.term).collect();
        terms.sort_by_key(|t| t.months());
        terms.dedup();
        Ok(terms.map_into())
    }
    /// A price per offered term and currency.
    async fn prices(&self, ctx: &Context<'_>) -> Result<Vec<ProductPrice>> {
        let mut prices = loaders(ctx)?.load_one(PricesOfProduct(self.0.id)).await?.unwrap_or_default();
        prices.sort_by(|a, b| (a.term.months(), &a.currency).cmp(&(b.term.months(), &b.currency)));
        Ok(prices
            .into_iter()
            .map(|p| ProductPrice { term: p.term.into(), price: Money::new(p.unit_amount_minor, &p.currency) })
            .collect())
    }
    /// The markets the product is sold in.
    async fn markets(&self, ctx: &Context<'_>) -> Result<Vec<Market>> {
        let codes = loaders(ctx)?.load_one(MarketsOfProduct(self.0.id)).await?.unwrap_or_default();
        let mut list: Vec<markets::Market> = codes.iter().filter_map(|c| markets::Market::from_code(c)).collect();
        list.sort_by_key(|m| m.code());
        Ok(list.map_into())
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
    /// Whether users may buy it for themselves.
    async fn self_service_eligible(&self) -> bool {
        self.0.self_service_eligible
    }
    /// Whether the caller's organization allows self-service purchase of
    /// this product (null for publishers).
    async fn self_service_allowed(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        let Ok(org) = actor(ctx)?.org() else { return Ok(None) };
        let key = SelfServicePolicyKey { organization_id: org.organization_id, product_id: self.0.id };
        // The loader answers every key; a missing one is "no policy".
        let allowed = loaders(ctx)?.load_one(key).await?;
        Ok(Some(allowed.unwrap_or_else(|| crate::service::catalog::allowed_by_policy(None))))
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
    /// Set-up and activation happen in the publisher's portal.
    async fn portal_url(&self) -> &str {
        &self.0.portal_url
    }
    /// Where buyers get help.
    async fn support_url(&self) -> &str {
        &self.0.support_url
    }
    /// The publisher's support e-mail address for the product, if it gives one.
    async fn support_email(&self) -> Option<&str> {
        self.0.support_email.as_deref()
    }
    /// When the product was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the product was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A market a product may be sold in, with its countries.
#[derive(SimpleObject)]
pub struct MarketInfo {
    /// The market.
    pub market: Market,
    /// The market's name in words.
    pub name: String,
    /// ISO 3166-1 alpha-2 codes of the countries in the market.
    pub countries: Vec<String>,
}

/// One price of a product: per term and currency.
#[derive(InputObject)]
pub struct PriceInput {
    /// The billing term this price is for.
    pub term: BillingTerm,
    /// ISO 4217, e.g. "USD".
    pub currency: String,
    /// An exact amount as a decimal string, e.g. "12.50".
    pub amount: String,
}

/// A new product of the caller's publisher.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// The product's name, unique within the publisher.
    pub name: String,
    /// What the product does, shown in the catalog.
    #[graphql(default)]
    pub description: String,
    /// How it is priced: per license or one flat rate.
    pub pricing_model: PricingModel,
    /// At least one price; one per term and currency.
    pub prices: Vec<PriceInput>,
    /// Defaults to every market.
    pub markets: Option<Vec<Market>>,
    /// Whether users may buy it for themselves with their own card.
    #[graphql(default)]
    pub self_service_eligible: bool,
    /// Where buyers set the product up (https).
    pub portal_url: String,
    /// Where buyers get help (https).
    pub support_url: String,
    /// The support e-mail address buyers may write to.
    pub support_email: Option<String>,
}

/// Where people get help from the marketplace itself.
#[derive(SimpleObject)]
pub struct SupportContact {
    /// The support page.
    pub url: Option<String>,
    /// The support e-mail address.
    pub email: Option<String>,
}

/// Changes to a product; omitted values stay as they are.
#[derive(InputObject)]
pub struct UpdateProductInput {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// Replaces every price when given.
    pub prices: Option<Vec<PriceInput>>,
    /// The markets it is sold in from now on.
    pub markets: Option<Vec<Market>>,
    /// Whether users may buy it for themselves.
    pub self_service_eligible: Option<bool>,
    /// A new set-up address (https).
    pub portal_url: Option<String>,
    /// A new support address (https).
    pub support_url: Option<String>,
    /// A new support e-mail address; an empty text removes it.
    pub support_email: Option<String>,
}

/// Narrows `products`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Matches name or description.
    pub search: Option<String>,
    /// Only products with this pricing model.
    pub pricing_model: Option<PricingModel>,
    /// Only products users may (true) or may not (false) buy for themselves.
    pub self_service_eligible: Option<bool>,
    /// Only products sold in the caller's organization's market.
    pub available_in_my_market: Option<bool>,
    /// Only products of this publisher.
    pub publisher_id: Option<ID>,
    /// For partner users: only products sold in the market of this customer
    /// organization, which must have approved the partner; otherwise
    /// NOT_FOUND.
    pub customer_id: Option<ID>,
}

fn prices(input: Vec<PriceInput>) -> Vec<svc::PriceInput> {
    input.into_iter().map(|p| svc::PriceInput { term: p.term.into(), currency: p.currency, amount: p.amount }).collect()
}

/// A proposal the caller may see (its organization's buying admins, its publisher).
pub struct Proposal(pub Visible<proposal::Model>);

pub struct ProposalLine(pub proposal_line::Model);

/// One product offered in a proposal.
#[Object]
impl ProposalLine {
    /// The product offered.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(Product))
    }
    /// The billing term offered.
    async fn term(&self) -> BillingTerm {
        self.0.term.into()
    }
    /// Null for flat-rate products.
    async fn quantity(&self) -> Option<i64> {
        self.0.quantity
    }
    /// The negotiated price of one license (or of the flat-rate product) per
    /// term, used instead of the list price when the proposal is accepted
    ///. Null when the list price applies.
    async fn unit_price(&self) -> Option<Money> {
        let amount = self.0.unit_price_minor?;
        Some(Money::new(amount, self.0.currency.as_deref()?))
    }
    /// How many terms the negotiated `unitPrice` holds (1:
    /// the first term only); later terms renew at the list price then in
    /// force. Null without a negotiated price.
    async fn price_terms(&self) -> Option<i32> {
        self.0.price_terms
    }
}

/// A publisher's offer of products to one organization.
#[Object]
impl Proposal {
    /// Stable identifier of the proposal.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// A short title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Open until accepted.
    async fn status(&self) -> ProposalStatus {
        self.0.status.into()
    }
    /// The publisher that sent it; null for a proposal from the marketplace's sales staff.
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        let sender = loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?;
        Ok(sender.filter(|p| !p.is_marketplace).map(Publisher))
    }
    /// True when the marketplace's own sales staff sent it, bundling products of any publishers.
    #[graphql(name = "fromMarketplace")]
    async fn sent_by_marketplace(&self, ctx: &Context<'_>) -> Result<bool> {
        let sender = loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?;
        Ok(sender.is_some_and(|p| p.is_marketplace))
    }
    /// After this moment the proposal can no longer be accepted. Null: it does not expire.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// True when the proposal is still OPEN but its expiry has passed: it can no longer be accepted.
    async fn expired(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(purchase::is_expired(&self.0, state(ctx)?.clock.now()))
    }
    /// When the customer declined it.
    async fn declined_at(&self) -> Option<DateTime<Utc>> {
        self.0.declined_at
    }
    /// The reason the customer gave for declining it.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }
    /// Who the offer is for.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.organization_id)).await?.map(Organization))
    }
    /// The products offered.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ProposalLine>> {
        Ok(purchase::proposal_lines(&state(ctx)?.db, self.0.id).await?.into_iter().map(ProposalLine).collect())
    }
    /// When it was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was accepted; null while open.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
}

/// One product to offer in a proposal.
#[derive(InputObject)]
pub struct ProposalLineInput {
    /// The product, one of the publisher's own.
    pub product_id: ID,
    /// The billing term offered.
    pub term: BillingTerm,
    /// Required for per-license products; omit for flat rate.
    pub quantity: Option<i64>,
    /// A negotiated price per license (or for the flat-rate product) per term,
    /// replacing the list price. The customer's billing profile must
    /// bill in this currency to accept.
    pub unit_price: Option<PriceAmountInput>,
    /// How many terms the negotiated `unitPrice` holds, 1 to
    /// 120 (default 1: the first term); later terms renew at the list price
    /// then in force. Only with `unitPrice`.
    pub price_terms: Option<i32>,
}

/// An exact amount of money.
#[derive(InputObject)]
pub struct PriceAmountInput {
    /// The amount as text in the currency's unit, e.g. "9.50".
    pub amount: String,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
}

/// A publisher's offer to one organization.
#[derive(InputObject)]
pub struct CreateProposalInput {
    /// The organization the proposal is for.
    pub organization_id: ID,
    /// A short title the customer sees.
    pub title: String,
    /// After this moment the proposal can no longer be accepted.
    /// Required from the marketplace's sales staff; optional for publishers.
    pub expires_at: Option<DateTime<Utc>>,
    /// The products offered, at least one.
    pub lines: Vec<ProposalLineInput>,
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The catalog, filtered; paginated.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the products must meet.")] filter: Option<ProductFilter>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<Product>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let publisher_id = match filter.publisher_id {
            Some(id) => Some(parse_id(&id, EntityKind::Publisher)?),
            None => None,
        };
        let customer_id = match filter.customer_id {
            Some(id) => Some(parse_id(&id, EntityKind::Organization)?),
            None => None,
        };
        let filter = svc::ProductFilter {
            search: filter.search,
            pricing_model: filter.pricing_model.map_into(),
            self_service_eligible: filter.self_service_eligible,
            available_in_my_market: filter.available_in_my_market,
            publisher_id,
            customer_id,
        };
        let rows = svc::list_products(state(ctx)?, actor(ctx)?, filter, &window).await?;
        Ok(pagination::page(rows.map(Product), |p| p.0.id))
    }

    /// One product by its identifier (NOT_FOUND if unknown).
    async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product's identifier.")] id: ID,
    ) -> Result<Product> {
        let id = parse_id(&id, EntityKind::Product)?;
        Ok(Product(svc::get_product(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// The marketplace's own support contact ("Need help? Contact us"), as
    /// the operator configured it; both fields null when none is configured.
    async fn marketplace_support(&self, ctx: &Context<'_>) -> Result<SupportContact> {
        actor(ctx)?;
        let support = &state(ctx)?.config.support;
        Ok(SupportContact { url: support.url.clone(), email: support.email.clone() })
    }

    /// The twelve markets and the countries they cover.
    async fn markets(&self) -> Vec<MarketInfo> {
        markets::Market::ALL
            .iter()
            .map(|m| MarketInfo {
                market: (*m).into(),
                name: m.display_name().to_owned(),
                countries: m.countries().into_iter().map(str::to_owned).collect(),
            })
            .collect()
    }

    /// The calling publisher's products.
    async fn publisher_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<Product>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::publisher_products(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(rows.map(Product), |p| p.0.id))
    }

    /// Proposals to the caller's organization (admins who buy), sent by the
    /// calling publisher, or sent by the marketplace's sales staff (for an operator).
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only proposals that can still be accepted: open and not expired.")] pending_only: Option<
            bool,
        >,
    ) -> Result<Page<Proposal>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let pending_only = pending_only.unwrap_or(false);
        let rows = purchase::list_proposals(state(ctx)?, actor(ctx)?, pending_only, &window).await?;
        Ok(pagination::page(rows.map(Proposal), |p| p.0.id))
    }
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// A publisher lists a product.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new product's name, pricing and links.")] input: CreateProductInput,
    ) -> Result<Product> {
        let input = svc::ProductInput {
            name: Some(input.name),
            description: Some(input.description),
            pricing_model: Some(input.pricing_model.into()),
            prices: Some(prices(input.prices)),
            markets: input.markets.map(MapInto::map_into),
            self_service_eligible: Some(input.self_service_eligible),
            portal_url: Some(input.portal_url),
            support_url: Some(input.support_url),
            support_email: input.support_email,
        };
        Ok(Product(svc::create_product(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Changes apply to future purchases and renewals.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product to change.")] id: ID,
        #[graphql(desc = "The values to change; omitted ones stay as they are.")] input: UpdateProductInput,
    ) -> Result<Product> {
        let id = parse_id(&id, EntityKind::Product)?;
        let input = svc::ProductInput {
            name: input.name,
            description: input.description,
            pricing_model: None,
            prices: input.prices.map(prices),
            markets: input.markets.map(MapInto::map_into),
            self_service_eligible: input.self_service_eligible,
            portal_url: input.portal_url,
            support_url: input.support_url,
            support_email: input.support_email,
        };
        Ok(Product(svc::update_product(state(ctx)?, actor(ctx)?, id, input).await?))
    }

    /// Allow or forbid self-service purchases of a product in the caller's organization.
    async fn set_self_service_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The product the policy is for.")] product_id: ID,
        #[graphql(desc = "True to let the organization's users buy it for themselves.")] allowed: bool,
    ) -> Result<Product> {
        let id = parse_id(&product_id, EntityKind::Product)?;
        Ok(Product(svc::set_self_service_policy(state(ctx)?, actor(ctx)?, id, allowed).await?))
    }

    /// A publisher proposes a bundle of its products to one organization;
    /// A marketplace operator one of any publishers' products, with an
    /// expiry and optionally negotiated prices.
    async fn create_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization, the products offered and, from the marketplace, the expiry.")]
        input: CreateProposalInput,
    ) -> Result<Proposal> {
        let organization_id = parse_id(&input.organization_id, EntityKind::Organization)?;
        let mut lines = Vec::new();
        for line in input.lines {
            lines.push(purchase::ProposalLineInput {
                product_id: parse_id(&line.product_id, EntityKind::Product)?,
                term: line.term.into(),
                quantity: line.quantity,
                unit_price: line.unit_price.map(|p| purchase::PriceInput { amount: p.amount, currency: p.currency }),
                price_terms: line.price_terms,
            });
        }
        let actor: &Actor = actor(ctx)?;
        let input = purchase::NewProposal { organization_id, title: input.title, expires_at: input.expires_at, lines };
        let (proposal, _) = purchase::create_proposal(state(ctx)?, actor, input).await?;
        let proposal = crate::access::proposal::check(actor, proposal)
            .ok_or(crate::error::AppError::NotFound { entity: EntityKind::Proposal })?;
        Ok(Proposal(proposal))
    }

    /// A buying admin of the organization turns down an open proposal,
    /// giving a reason; it can no longer be accepted.
    async fn decline_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal to decline.")] proposal_id: ID,
        #[graphql(desc = "Why, in words, for the sender.")] reason: String,
    ) -> Result<Proposal> {
        let id = parse_id(&proposal_id, EntityKind::Proposal)?;
        Ok(Proposal(purchase::decline_proposal(state(ctx)?, actor(ctx)?, id, &reason).await?))
    }
}
