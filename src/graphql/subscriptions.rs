//! Buying, the subscription lifecycle and licenses (SPEC §3–5, §8).

use super::enums::MapInto;
use super::enums::{BillingTerm, CancelReason, Channel, DisabledReason, PricingModel, SubscriptionStatus};
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{license_assignment, subscription};

use super::{
    actor,
    billing::nested_profile,
    catalog::Product,
    identity::{User, nested_user, nested_users, visible_users},
    loaders,
    loaders::{AssignedUsersOfSubscription, OrganizationId, ProductId, SubscriptionId},
    pagination::{self, Page, SortDirection},
    parse_id, state,
    types::Money,
};
use crate::{
    access::{self, Visible, subscription::ForPublisher},
    error::{AppError, EntityKind, Invalid},
    service::{licenses, purchase, purchase_tokens, subscriptions as svc},
};

/// The most assigned users one subscription lists (`assignedUsers(first:)`).
pub const MAX_ASSIGNED_USERS: i32 = 100;

/// Which buttons to show on a subscription: what the caller may do with it,
/// by the same access rule and state checks as the mutations [item 8].
#[derive(SimpleObject)]
pub struct SubscriptionViewerCan {
    /// `changeLicenseQuantity` (per-license, not disabled).
    pub change_quantity: bool,
    /// `assignLicenses` / `unassignLicenses` (an ACTIVE subscription).
    pub assign_licenses: bool,
    /// `cancelSubscription`.
    pub cancel: bool,
    /// `setAutoRenew(autoRenew: false)` while it auto-renews.
    pub turn_off_auto_renew: bool,
    /// `changeSubscriptionBillingProfile`.
    pub change_billing_profile: bool,
    /// `activateSubscription`: only the product's publisher, while PENDING_ACTIVATION (R14).
    pub activate: bool,
}

/// An organization's subscription (R22), as the access rule let it through.
pub struct Subscription(pub Visible<subscription::Model>);

/// A nested subscription field: the subscription when the caller may view
/// it, else null (loaded in batches, with its billing profile's rights).
pub(crate) async fn nested_subscription(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Subscription>> {
    let actor = actor(ctx)?;
    let Some(sub) = loaders(ctx)?.load_one(SubscriptionId(id)).await? else { return Ok(None) };
    let rights = nested_profile(ctx, sub.billing_profile_id).await?.map(|p| p.rights);
    Ok(access::subscription::check_nested(actor, sub, rights).map(Subscription))
}

/// A subscription of the caller's organization to a product (R14–R16).
#[Object]
impl Subscription {
    /// Stable identifier of the subscription.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The product subscribed to.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(Product))
    }
    /// Pending activation, active or disabled.
    async fn status(&self) -> SubscriptionStatus {
        self.0.status.into()
    }
    /// Why it is DISABLED (R15).
    async fn disabled_reason(&self) -> Option<DisabledReason> {
        self.0.disabled_reason.map_into()
    }
    /// Why it ended, in words, when the reason needs them (NOT_RENEWABLE: which price was withdrawn).
    async fn disabled_message(&self) -> Option<&str> {
        self.0.disabled_message.as_deref()
    }
    /// When it was disabled; null while not.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
    /// Why it was canceled, if it was.
    async fn cancel_reason(&self) -> Option<CancelReason> {
        self.0.cancel_reason.map_into()
    }
    /// The words given when it was canceled.
    async fn cancel_feedback(&self) -> Option<&str> {
        self.0.cancel_feedback.as_deref()
    }
    /// Per license or one flat rate, as bought.
    async fn pricing_model(&self) -> PricingModel {
        self.0.pricing_model.into()
    }
    /// Monthly or annual.
    async fn term(&self) -> BillingTerm {
        self.0.term.into()
    }
    /// Licenses bought; null when Unlimited (flat rate, R5).
    async fn quantity(&self) -> Option<i64> {
        self.0.quantity
    }
    /// True for a flat-rate subscription (R5).
    async fn is_unlimited(&self) -> bool {
        self.0.quantity.is_none()
    }
    /// Licenses assigned now; 0 once DISABLED (R16: its assignments are history).
    async fn assigned(&self) -> i64 {
        licenses::assigned_now(&self.0)
    }
    /// Licenses left to assign; null when Unlimited, 0 once DISABLED.
    async fn available(&self) -> Option<i64> {
        let assigned = licenses::assigned_now(&self.0);
        self.0.quantity.map(|q| if licenses::is_history(&self.0) { 0 } else { q - assigned })
    }
    /// The people holding a license now (R22), oldest assignment first: at
    /// most `first` of them (1–100); none once DISABLED (R16).
    async fn assigned_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many users to return, 1 to 100.", default = 100)] first: i32,
    ) -> Result<Vec<User>> {
        if !(1..=MAX_ASSIGNED_USERS).contains(&first) {
            return Err(AppError::validation(
                "first",
                Invalid::OutOfRange { min: 1, max: i64::from(MAX_ASSIGNED_USERS) },
            )
            .into());
        }
        if licenses::is_history(&self.0) {
            return Ok(Vec::new());
        }
        let mut users = loaders(ctx)?.load_one(AssignedUsersOfSubscription(self.0.id)).await?.unwrap_or_default();
        users.truncate(first as usize);
        visible_users(ctx, users)
    }
    /// R16: every assignment ever made, oldest first, with when it ended
    /// (unassigned, the holder deleted, or the subscription disabled); a page
    /// of `first` entries at a time (issue 20): pass the last entry's `id` as
    /// `after` for the next page.
    async fn assignment_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries to return, 1 to 100 (default 50).", default = 50)] first: Option<i32>,
        #[graphql(desc = "The `id` of the last entry of the previous page.")] after: Option<ID>,
    ) -> Result<Vec<PastAssignment>> {
        let after = super::pagination::after_id(after.as_ref())?;
        let rows = licenses::assignment_history_page(&state(ctx)?.db, &self.0, first.unwrap_or(50), after).await?;
        Ok(rows.into_iter().map(PastAssignment).collect())
    }
    /// Whether it renews at the end of the term.
    async fn auto_renew(&self) -> bool {
        self.0.auto_renew
    }
    /// The first day of the first term.
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }
    /// The first day of the current term.
    async fn current_term_start(&self) -> NaiveDate {
        self.0.current_term_start
    }
    /// The current term's end (exclusive): the expiry date unless it renews.
    async fn term_end_date(&self) -> NaiveDate {
        self.0.current_term_end
    }
    /// Price per license (or for the organization, flat rate) per term, fixed at purchase or last renewal.
    async fn unit_price(&self) -> Money {
        Money::new(self.0.unit_price_minor, &self.0.currency)
    }
    /// The billing profile it is billed to — null when the caller may not view
    /// that profile under the rule of `billingProfile(id)` (R37): e.g. a
    /// LICENSE_ADMIN, or an admin looking at a self-service purchase, whose
    /// profile is the buyer's alone (R38).
    async fn billing_profile(&self, ctx: &Context<'_>) -> Result<Option<super::billing::BillingProfile>> {
        nested_profile(ctx, self.0.billing_profile_id).await
    }
    /// Who bought it (null when the caller may not see that user).
    async fn purchaser(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.purchaser_id).await
    }
    /// How it was bought (R9).
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }
    /// True when a user bought it for their own use (R25).
    async fn is_self_service(&self) -> bool {
        svc::is_self_service(&self.0)
    }
    /// The reseller partner, for channel PARTNER.
    async fn partner_name(&self) -> Option<&str> {
        self.0.partner_name.as_deref()
    }
    /// The partner's own identifier, for channel PARTNER.
    async fn partner_id(&self) -> Option<&str> {
        self.0.partner_id.as_deref()
    }
    /// True when a partner bought it for the organization [R39]: the partner's
    /// billing profile pays, so the organization's admins see it and assign its
    /// licenses but do not change its billing (`billingProfile` is null for them).
    /// What the caller may do with this subscription [item 8].
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<SubscriptionViewerCan> {
        let can = svc::viewer_can(&state(ctx)?.db, actor(ctx)?, &self.0).await?;
        Ok(SubscriptionViewerCan {
            change_quantity: can.change_quantity,
            assign_licenses: can.assign_licenses,
            cancel: can.cancel,
            turn_off_auto_renew: can.turn_off_auto_renew,
            change_billing_profile: can.change_billing_profile,
            activate: false,
        })
    }
    /// True when a partner bought it for the organization (R39); the partner pays.
    async fn bought_by_partner(&self) -> bool {
        crate::access::subscription::is_partner_bought(&self.0)
    }
    /// The name of the organization the subscription belongs to (for partner
    /// users, the customer) [R39].
    async fn organization_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.organization_id)).await?.map(|o| o.name))
    }
    /// Set-up and activation in the publisher's portal (R14).
    async fn portal_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(|p| p.portal_url))
    }
    /// Where to get help with the product.
    async fn support_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(|p| p.support_url))
    }
    /// When the publisher activated it; null while pending.
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activated_at
    }
    /// When it was bought.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// What a publisher sees of its customers' subscriptions: never billing data.
pub struct PublisherSubscription(pub Visible<ForPublisher>);

/// A subscription to one of the caller's products, as its publisher sees it (no billing data).
#[Object]
impl PublisherSubscription {
    /// Stable identifier of the subscription.
    async fn id(&self) -> ID {
        ID(self.0.0.id.to_string())
    }
    /// What the publisher may do with it [item 8]: activate while PENDING_ACTIVATION (R14).
    async fn viewer_can(&self) -> SubscriptionViewerCan {
        SubscriptionViewerCan {
            change_quantity: false,
            assign_licenses: false,
            cancel: false,
            turn_off_auto_renew: false,
            change_billing_profile: false,
            activate: self.0.0.status == SubscriptionStatus::PendingActivation.into(),
        }
    }
    /// The customer organization.
    async fn organization_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.0.organization_id)).await?.map(|o| o.name))
    }
    /// The product subscribed to.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.0.product_id)).await?.map(Product))
    }
    /// Pending activation, active or disabled.
    async fn status(&self) -> SubscriptionStatus {
        self.0.0.status.into()
    }
    /// Why it is disabled, if it is.
    async fn disabled_reason(&self) -> Option<DisabledReason> {
        self.0.0.disabled_reason.map_into()
    }
    /// Monthly or annual.
    async fn term(&self) -> BillingTerm {
        self.0.0.term.into()
    }
    /// Licenses bought; null when unlimited (flat rate).
    async fn quantity(&self) -> Option<i64> {
        self.0.0.quantity
    }
    /// True for a flat-rate subscription.
    async fn is_unlimited(&self) -> bool {
        self.0.0.quantity.is_none()
    }
    /// Licenses given to users now.
    async fn assigned(&self) -> i64 {
        licenses::assigned_now(&self.0.0)
    }
    /// When the current term ends (exclusive).
    async fn term_end_date(&self) -> NaiveDate {
        self.0.0.current_term_end
    }
    /// When the publisher activated it; null while pending.
    async fn activated_at(&self) -> Option<DateTime<Utc>> {
        self.0.0.activated_at
    }
    /// When it was bought.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.0.created_at
    }
}

/// One assignment of a subscription's license, current or past (R16).
pub struct PastAssignment(pub licenses::HistoryEntry);

/// One license assignment, current or ended (R16).
#[Object]
impl PastAssignment {
    /// Stable identifier of the assignment; the `after` of the next page.
    async fn id(&self) -> ID {
        ID(self.0.assignment.id.to_string())
    }
    /// The user who held the license.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.assignment.user_id).await
    }
    /// When the license was given.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assignment.assigned_at
    }
    /// When the license stopped counting; null while it still does.
    async fn released_at(&self) -> Option<DateTime<Utc>> {
        self.0.released_at
    }
}

/// A license held by the caller (R22).
pub struct License(pub license_assignment::Model, pub subscription::Model);

/// A license the caller holds (or held) on a subscription (R22).
#[Object]
impl License {
    /// Stable identifier of the license assignment.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The subscription the license belongs to.
    async fn subscription_id(&self) -> ID {
        ID(self.1.id.to_string())
    }
    /// The licensed product.
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(Product))
    }
    /// The status of the subscription behind the license.
    async fn subscription_status(&self) -> SubscriptionStatus {
        self.1.status.into()
    }
    /// When the subscription's current term ends.
    async fn term_end_date(&self) -> NaiveDate {
        self.1.current_term_end
    }
    /// False once unassigned.
    async fn active(&self) -> bool {
        licenses::counts(&self.0, &self.1)
    }
    /// When the license was given.
    async fn assigned_at(&self) -> DateTime<Utc> {
        self.0.assigned_at
    }
    /// When it was taken back; null while held.
    async fn unassigned_at(&self) -> Option<DateTime<Utc>> {
        self.0.unassigned_at
    }
    /// Where to set the product up.
    async fn portal_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(|p| p.portal_url))
    }
    /// Where to get help with the product.
    async fn support_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.1.product_id)).await?.map(|p| p.support_url))
    }
}

pub struct CustomerAgreement(pub purchase::Agreement);

/// The customer agreement, once accepted (R10).
#[Object]
impl CustomerAgreement {
    /// When it was accepted.
    async fn accepted_at(&self) -> DateTime<Utc> {
        self.0.accepted.accepted_at
    }
    /// Who accepted it.
    async fn accepted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.accepted.accepted_by).await
    }
    /// True when a user accepted it for their own self-service purchases
    /// only; organization purchases still need an admin's acceptance (R10).
    async fn self_service_only(&self) -> bool {
        self.0.self_service_only
    }
}

/// What `assignLicenses` did. The users are read only when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AssignLicensesPayload {
    /// The subscription after the change, with its new `assigned` count.
    pub subscription: Subscription,
    #[graphql(skip)]
    pub assigned: Vec<uuid::Uuid>,
    #[graphql(skip)]
    pub already_assigned: Vec<uuid::Uuid>,
}

#[ComplexObject]
impl AssignLicensesPayload {
    /// Users who got a license in this call.
    async fn assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.assigned).await
    }
    /// Users who already held one: reported, not counted twice (R19).
    async fn already_assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.already_assigned).await
    }
}

/// What `unassignLicenses` did. The users are read only when selected.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnassignLicensesPayload {
    /// The subscription after the change.
    pub subscription: Subscription,
    #[graphql(skip)]
    pub unassigned: Vec<uuid::Uuid>,
    #[graphql(skip)]
    pub not_assigned: Vec<uuid::Uuid>,
}

#[ComplexObject]
impl UnassignLicensesPayload {
    /// Users who lost their license in this call.
    async fn unassigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.unassigned).await
    }
    /// Listed users who held no license of this subscription.
    async fn not_assigned_users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        nested_users(ctx, &self.not_assigned).await
    }
}

/// Narrows `subscriptions`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct SubscriptionFilter {
    /// Only subscriptions with this status.
    pub status: Option<SubscriptionStatus>,
    /// true: only self-service purchases; false: none of them (R27).
    pub self_service: Option<bool>,
    /// Only subscriptions to this product.
    pub product_id: Option<ID>,
    /// Only subscriptions bought by this user.
    pub purchaser_id: Option<ID>,
    /// Only subscriptions billed to this billing profile. A profile the
    /// caller cannot view is NOT_FOUND (R3), never its subscriptions.
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

/// What to buy (R11–R13).
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
    /// How it is bought (R9).
    #[graphql(default_with = "Channel::Direct")]
    pub channel: Channel,
    /// Required for channel PARTNER.
    pub partner_name: Option<String>,
    /// The partner's own identifier, for channel PARTNER.
    pub partner_id: Option<String>,
    /// R13: repeat with the same key to get the first result, charged once.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct SubscriptionQuery;

/// A subscription's link to the publisher's portal carrying a one-time
/// purchase token (R42). Share it only with the person who activates the app.
#[derive(SimpleObject)]
pub struct ActivationLink {
    /// The product's portal address with the `purchaseToken` query parameter.
    pub url: String,
    /// After this moment the token no longer works; ask for a new link.
    pub expires_at: DateTime<Utc>,
}

#[Object]
impl SubscriptionQuery {
    /// R42: for the product's publisher, the subscription a purchase token from
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

    /// Subscriptions the caller may see (R22, R26, R27), newest first unless
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
        let rows = svc::list(state(ctx)?, actor(ctx)?, filter, order, &window).await?;
        Ok(pagination::page(rows.map(Subscription), |s| s.0.id))
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

    /// The licenses assigned to the caller (R22). History includes unassigned
    /// licenses and those of disabled subscriptions (R16).
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

    /// R10: when and by whom the customer agreement covering the caller was
    /// accepted: the organization's, else the caller's own for self-service.
    async fn customer_agreement(&self, ctx: &Context<'_>) -> Result<Option<CustomerAgreement>> {
        let org = actor(ctx)?.org()?;
        Ok(purchase::agreement_for(&state(ctx)?.db, org).await?.map(CustomerAgreement))
    }
}

#[derive(Default)]
pub struct SubscriptionMutation;

#[Object]
impl SubscriptionMutation {
    /// R10: accept the customer agreement (once; repeats return it). Billing
    /// managers accept it for the organization; other users for their own
    /// self-service purchases.
    async fn accept_customer_agreement(&self, ctx: &Context<'_>) -> Result<CustomerAgreement> {
        Ok(CustomerAgreement(purchase::accept_customer_agreement(state(ctx)?, actor(ctx)?).await?))
    }

    /// R12: buy a subscription; it starts PENDING_ACTIVATION with its first-term charge.
    async fn purchase_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to buy, how many, and which billing profile pays.")] input: PurchaseSubscriptionInput,
    ) -> Result<Subscription> {
        let request = purchase::PurchaseInput {
            product_id: parse_id(&input.product_id, EntityKind::Product)?,
            term: input.term.into(),
            quantity: input.quantity,
            billing_profile_id: parse_id(&input.billing_profile_id, EntityKind::BillingProfile)?,
            auto_renew: input.auto_renew,
            channel: input.channel.into(),
            partner_name: input.partner_name,
            partner_id: input.partner_id,
        };
        let sub = purchase::purchase(state(ctx)?, actor(ctx)?, request, input.idempotency_key.as_deref()).await?;
        Ok(Subscription(sub))
    }

    /// R9: creates every subscription of the proposal, or none.
    async fn accept_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal to accept.")] proposal_id: ID,
        #[graphql(desc = "The billing profile that pays.")] billing_profile_id: ID,
        #[graphql(desc = "Whether the subscriptions renew at the end of their term.", default = true)] auto_renew: bool,
        #[graphql(desc = "Repeat with the same key to get the first result, charged once (R13).")]
        idempotency_key: Option<String>,
    ) -> Result<Vec<Subscription>> {
        let proposal = parse_id(&proposal_id, EntityKind::Proposal)?;
        let profile = parse_id(&billing_profile_id, EntityKind::BillingProfile)?;
        let subs = purchase::accept_proposal(
            state(ctx)?,
            actor(ctx)?,
            proposal,
            profile,
            auto_renew,
            idempotency_key.as_deref(),
        )
        .await?;
        Ok(subs.into_iter().map(Subscription).collect())
    }

    /// R42: the link to the publisher's portal for a subscription waiting for
    /// activation, with a new one-time purchase token; any earlier link of the
    /// subscription stops working. For those who manage the subscription.
    async fn request_activation_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription waiting for activation.")] subscription_id: ID,
    ) -> Result<ActivationLink> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        let state = state(ctx)?;
        let ttl_hours = state.config.purchase_token_ttl_hours;
        let link = purchase_tokens::issue(state, actor(ctx)?, id, ttl_hours).await?;
        Ok(ActivationLink { url: link.url, expires_at: link.expires_at })
    }

    /// R42, R14: the product's publisher activates the subscription a purchase
    /// token identifies; the token is used up. An expired, used, replaced or
    /// another publisher's token is NOT_FOUND.
    async fn activate_with_purchase_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the portal link's `purchaseToken` parameter.")] token: String,
    ) -> Result<PublisherSubscription> {
        Ok(PublisherSubscription(purchase_tokens::activate(state(ctx)?, actor(ctx)?, &token).await?))
    }

    /// R14: the product's publisher activates a pending subscription.
    async fn activate_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to activate.")] subscription_id: ID,
    ) -> Result<PublisherSubscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(PublisherSubscription(svc::activate(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// R18: set the new total number of licenses (to add 5 to 100, send 105).
    async fn change_license_quantity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to change.")] subscription_id: ID,
        #[graphql(desc = "The new number of licenses, at least the number assigned.")] quantity: i64,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(Subscription(svc::change_quantity(state(ctx)?, actor(ctx)?, id, quantity).await?))
    }

    /// R19: give licenses to up to 20 users of the organization; all or nothing.
    async fn assign_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription whose licenses are given.")] subscription_id: ID,
        #[graphql(desc = "The users who get a license.")] user_ids: Vec<ID>,
    ) -> Result<AssignLicensesPayload> {
        let actor = actor(ctx)?;
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        let ids: Vec<&str> = user_ids.iter().map(|u| u.as_str()).collect();
        let outcome = licenses::assign(state(ctx)?, actor, id, &ids).await?;
        Ok(AssignLicensesPayload {
            assigned: outcome.assigned,
            already_assigned: outcome.already_assigned,
            subscription: Subscription(outcome.subscription),
        })
    }

    /// R20: take licenses back; all or nothing.
    async fn unassign_licenses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription whose licenses are taken back.")] subscription_id: ID,
        #[graphql(desc = "The users who lose their license.")] user_ids: Vec<ID>,
    ) -> Result<UnassignLicensesPayload> {
        let actor = actor(ctx)?;
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        let ids: Vec<&str> = user_ids.iter().map(|u| u.as_str()).collect();
        let outcome = licenses::unassign(state(ctx)?, actor, id, &ids).await?;
        Ok(UnassignLicensesPayload {
            unassigned: outcome.unassigned,
            not_assigned: outcome.not_assigned,
            subscription: Subscription(outcome.subscription),
        })
    }

    /// R17: turn auto-renew on or off.
    async fn set_auto_renew(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to change.")] subscription_id: ID,
        #[graphql(desc = "True to renew at the end of the term, false to let it expire.")] auto_renew: bool,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(Subscription(svc::set_auto_renew(state(ctx)?, actor(ctx)?, id, auto_renew).await?))
    }

    /// R28: send the subscription's future charges to another billing profile.
    async fn change_subscription_billing_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to move.")] subscription_id: ID,
        #[graphql(desc = "The billing profile that pays from now on (same currency).")] billing_profile_id: ID,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        let profile = parse_id(&billing_profile_id, EntityKind::BillingProfile)?;
        Ok(Subscription(svc::change_billing_profile(state(ctx)?, actor(ctx)?, id, profile).await?))
    }

    /// R35: cancel now with a reason and optional feedback (≤ 1000 characters).
    async fn cancel_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to cancel.")] subscription_id: ID,
        #[graphql(desc = "Why it is canceled.")] reason: CancelReason,
        #[graphql(desc = "Optional words about why.")] feedback: Option<String>,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(Subscription(svc::cancel(state(ctx)?, actor(ctx)?, id, reason.into(), feedback.as_deref()).await?))
    }
}
