//! Reading subscriptions: filters, order, and the queries.

use crate::graphql::enums::MapInto;
use crate::graphql::enums::{BillingTerm, Channel, SubscriptionStatus};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::{
    actor, loaders,
    loaders::{AssignedUsersOfSubscription, BillingProfileId, ProductId, PublisherId},
    pagination::{self, Page, SortDirection},
    parse_id, state,
};
use crate::{
    error::EntityKind,
    service::{licenses, purchase, purchase_tokens, subscriptions as svc},
};

use super::{CustomerAgreement, License, PublisherSubscription, Subscription};

/// Narrows `subscriptions`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct SubscriptionFilter {
    /// Only subscriptions with this status.
    pub status: Option<SubscriptionStatus>,
    /// true: only self-service purchases; false: none of them.
    pub self_service: Option<bool>,
    /// Only subscriptions to this product.
    pub product_id: Option<ID>,
    /// Only subscriptions bought by this user.
    pub purchaser_id: Option<ID>,
    /// Only subscriptions billed to this billing profile. A profile the
    /// caller cannot view is NOT_FOUND, never its subscriptions.
    pub billing_profile_id: Option<ID>,
}

/// What a list of subscriptions can be sorted by. Each order ends with the
/// subscription's id, so equal values keep one order across pages.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionOrderField {
    /// When it was bought (the default order is this field, newest first).
    CreatedAt,
    /// The product's name.
    ProductName,
    /// The status, alphabetically by its name: ACTIVE, DISABLED, PENDING_ACTIVATION.
    Status,
    /// The last day of the current term.
    TermEnd,
}

/// The order of `subscriptions`: a field and a direction, e.g.
/// `{field: TERM_END, direction: ASC}` for the terms ending soonest first.
#[derive(InputObject)]
pub struct SubscriptionOrder {
    /// What to sort by.
    pub field: SubscriptionOrderField,
    /// Which way; ASC if not given.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<SubscriptionOrder> for (svc::SubscriptionSort, crate::paging::Direction) {
    fn from(o: SubscriptionOrder) -> Self {
        let field = match o.field {
            SubscriptionOrderField::CreatedAt => svc::SubscriptionSort::CreatedAt,
            SubscriptionOrderField::ProductName => svc::SubscriptionSort::ProductName,
            SubscriptionOrderField::Status => svc::SubscriptionSort::Status,
            SubscriptionOrderField::TermEnd => svc::SubscriptionSort::TermEnd,
        };
        (field, o.direction.into())
    }
}

/// What to buy.
#[derive(InputObject)]
pub struct PurchaseSubscriptionInput {
    /// The product to buy.
    pub product_id: ID,
    /// Monthly or annual; the product needs a price for it in the profile's currency.
    pub term: BillingTerm,
    /// PER_LICENSE only: at least 1. Omit for FLAT_RATE.
    pub quantity: Option<i64>,
    /// The billing profile that pays.
    pub billing_profile_id: ID,
    /// Whether it renews at the end of each term.
    #[graphql(default = true)]
    pub auto_renew: bool,
    /// How it is bought.
    #[graphql(default_with = "Channel::Direct")]
    pub channel: Channel,
    /// Required for channel PARTNER.
    pub partner_name: Option<String>,
    /// The partner's own identifier, for channel PARTNER.
    pub partner_id: Option<String>,
    /// Repeat with the same key to get the first result, charged once.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct SubscriptionQuery;

/// What the selection of a subscriptions page reads from its products and
/// billing profiles (`nodes` or `edges { node }`).
fn along(ctx: &Context<'_>) -> svc::Along {
    let look = ctx.look_ahead();
    let nodes = [look.field("nodes"), look.field("edges").field("node")];
    let any = |fields: &[&str]| nodes.iter().any(|n| fields.iter().any(|f| n.field(f).exists()));
    svc::Along {
        product: any(&["product", "portalUrl", "supportUrl", "supportEmail"]),
        billing_profile: any(&["billingProfile"]),
        holders: any(&["assignedUsers"]),
    }
}

/// A subscription's link to the publisher's portal carrying a one-time
/// purchase token. Share it only with the person who activates the app.
#[derive(SimpleObject)]
pub struct ActivationLink {
    /// The product's portal address with the `purchaseToken` query parameter.
    pub url: String,
    /// After this moment the token no longer works; ask for a new link.
    pub expires_at: DateTime<Utc>,
}

#[Object]
impl SubscriptionQuery {
    /// For the product's publisher, the subscription a purchase token from
    /// a portal link identifies (product, customer name, quantity, term; no
    /// billing data). Does not use the token up. An expired, used, replaced or
    /// another publisher's token is NOT_FOUND.
    async fn resolve_purchase_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the portal link's `purchaseToken` parameter.")] token: String,
    ) -> Result<PublisherSubscription> {
        Ok(PublisherSubscription(purchase_tokens::resolve(state(ctx)?, actor(ctx)?, &token).await?))
    }

    /// Subscriptions the caller may see, newest first unless
    /// `orderBy` says otherwise.
    async fn subscriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions the subscriptions must meet.")] filter: Option<SubscriptionFilter>,
        #[graphql(desc = "How to sort; newest first (CREATED_AT, DESC) if not given.")] order_by: Option<
            SubscriptionOrder,
        >,
        #[graphql(desc = "How many subscriptions to return: 1 to 100, 20 if not given.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor` or `pageInfo.endCursor` of the previous \
                          page, made with the same `orderBy`).")]
        after: Option<String>,
    ) -> Result<Page<Subscription>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = svc::SubscriptionFilter {
            status: filter.status.map_into(),
            self_service: filter.self_service,
            product_id: filter.product_id.as_ref().map(|id| parse_id(id, EntityKind::Product)).transpose()?,
            purchaser_id: filter.purchaser_id.as_ref().map(|id| parse_id(id, EntityKind::User)).transpose()?,
            billing_profile_id: filter
                .billing_profile_id
                .as_ref()
                .map(|id| parse_id(id, EntityKind::BillingProfile))
                .transpose()?,
        };
        let order = order_by.map_or(svc::NEWEST_FIRST, Into::into);
        let along = along(ctx);
        let (state, actor) = (state(ctx)?, actor(ctx)?);
        // Issue 23: the page's products, publishers and billing profiles come in
        // its own statement, and its holders in one more; the request's loaders
        // are seeded with them, so the nested fields (each still under its own
        // rule) ask nothing more, however the runtime interleaves them.
        let rows = if !along.product && !along.billing_profile {
            svc::list(state, actor, filter, order, &window).await?.map(|s| (s, svc::Related::default()))
        } else {
            svc::list_with_related(state, actor, filter, order, &window, along).await?
        };
        let loaders = loaders(ctx)?;
        if along.holders {
            let ids: Vec<uuid::Uuid> =
                rows.items.iter().filter(|(s, _)| !licenses::is_history(s)).map(|(s, _)| s.id).collect();
            let mut held: std::collections::HashMap<uuid::Uuid, Vec<entity::user::Model>> =
                ids.iter().map(|id| (*id, Vec::new())).collect();
            for (subscription_id, holder) in svc::holders_of(&state.db, &ids).await? {
                held.entry(subscription_id).or_default().push(holder);
            }
            loaders.feed_many(held.into_iter().map(|(id, users)| (AssignedUsersOfSubscription(id), users))).await;
        }
        let mut products = Vec::new();
        let mut publishers = Vec::new();
        let mut profiles = Vec::new();
        let rows = rows.map(|(sub, related)| {
            let svc::Related { product, publisher, billing_profile } = related;
            products.extend(product.map(|p| (ProductId(p.id), p)));
            publishers.extend(publisher.map(|p| (PublisherId(p.id), p)));
            profiles.extend(billing_profile.map(|p| (BillingProfileId(p.id), p)));
            Subscription(sub)
        });
        loaders.feed_many(products).await;
        loaders.feed_many(publishers).await;
        loaders.feed_many(profiles).await;
        Ok(pagination::page(rows, |s| s.0.id))
    }

    /// One subscription the caller may see (NOT_FOUND otherwise).
    async fn subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's identifier.")] id: ID,
    ) -> Result<Subscription> {
        let id = parse_id(&id, EntityKind::Subscription)?;
        Ok(Subscription(svc::get(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// The licenses assigned to the caller. History includes unassigned
    /// licenses and those of disabled subscriptions.
    async fn my_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list licenses taken back or ended.", default)] include_history: bool,
    ) -> Result<Vec<License>> {
        let rows = licenses::my_licenses(state(ctx)?, actor(ctx)?, include_history).await?;
        Ok(rows.into_iter().map(|(a, s)| License(a, s)).collect())
    }

    /// The calling publisher's customers' subscriptions (no billing data).
    async fn publisher_subscriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<PublisherSubscription>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::for_publisher(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(rows.map(PublisherSubscription), |s| (*s.0).0.id))
    }

    /// When and by whom the customer agreement covering the caller was
    /// accepted: the organization's, else the caller's own for self-service.
    async fn customer_agreement(&self, ctx: &Context<'_>) -> Result<Option<CustomerAgreement>> {
        let org = actor(ctx)?.org()?;
        Ok(purchase::agreement_for(&state(ctx)?.db, org).await?.map(CustomerAgreement))
    }
}
