//! The subscription as a customer sees it, with what the caller may do, and as its publisher sees it.

use crate::graphql::enums::MapInto;
use crate::graphql::enums::{BillingTerm, CancelReason, Channel, DisabledReason, PricingModel, SubscriptionStatus};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::subscription;

use crate::graphql::{
    actor,
    billing::nested_profile,
    catalog::Product,
    identity::{User, nested_user, visible_users},
    loaders,
    loaders::{AssignedUsersOfSubscription, OrganizationId, ProductId, SubscriptionId},
    state,
    types::Money,
};
use crate::{
    access::{self, Visible, subscription::ForPublisher},
    error::{AppError, Invalid},
    service::{licenses, subscriptions as svc},
};

/// The most assigned users one subscription lists (`assignedUsers(first:)`).
pub const MAX_ASSIGNED_USERS: i32 = 100;
use super::licenses::PastAssignment;

/// Which buttons to show on a subscription: what the caller may do with it,
/// by the same access rule and state checks as the mutations.
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
    /// `activateSubscription`: only the product's publisher, while PENDING_ACTIVATION.
    pub activate: bool,
    /// Follow `portalUrl` to the publisher's portal (and `requestActivationLink`
    /// while PENDING_ACTIVATION): those who manage its billing or assign its
    /// licenses, including the customer's admins for an app a partner bought.
    pub follow_portal_link: bool,
    /// `markSubscriptionSetUp`: only the product's publisher, while ACTIVE and not yet marked.
    pub mark_set_up: bool,
}

/// An organization's subscription, as the access rule let it through.
pub struct Subscription(pub Visible<subscription::Model>);

/// A nested subscription field: the subscription when the caller may view
/// it, else null (loaded in batches, with its billing profile's rights).
pub(crate) async fn nested_subscription(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Subscription>> {
    let actor = actor(ctx)?;
    let Some(sub) = loaders(ctx)?.load_one(SubscriptionId(id)).await? else { return Ok(None) };
    let rights = nested_profile(ctx, sub.billing_profile_id).await?.map(|p| p.rights);
    Ok(access::subscription::check_nested(actor, sub, rights).map(Subscription))
}

/// A subscription of the caller's organization to a product.
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
    /// Why it is DISABLED.
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
    /// Licenses bought; null when Unlimited (flat rate).
    async fn quantity(&self) -> Option<i64> {
        self.0.quantity
    }
    /// True for a flat-rate subscription.
    async fn is_unlimited(&self) -> bool {
        self.0.quantity.is_none()
    }
    /// Licenses assigned now; 0 once DISABLED (its assignments are history).
    async fn assigned(&self) -> i64 {
        licenses::assigned_now(&self.0)
    }
    /// Licenses left to assign; null when Unlimited, 0 once DISABLED.
    async fn available(&self) -> Option<i64> {
        let assigned = licenses::assigned_now(&self.0);
        self.0.quantity.map(|q| if licenses::is_history(&self.0) { 0 } else { q - assigned })
    }
    /// The people holding a license now, oldest assignment first: at
    /// most `first` of them (1–100); none once DISABLED.
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
    /// Every assignment ever made, oldest first, with when it ended
    /// (unassigned, the holder deleted, or the subscription disabled); a page
    /// of `first` entries at a time (issue 20): pass the last entry's `id` as
    /// `after` for the next page.
    async fn assignment_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries to return, 1 to 100 (default 50).", default = 50)] first: Option<i32>,
        #[graphql(desc = "The `id` of the last entry of the previous page.")] after: Option<ID>,
    ) -> Result<Vec<PastAssignment>> {
        let after = crate::graphql::pagination::after_id(after.as_ref())?;
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
    /// The unit price its next renewal takes — a negotiated
    /// price while it holds, else the list price in force on the term end as
    /// known now; null when it will not renew (disabled, auto-renew off, or
    /// no price for its term and currency).
    async fn next_renewal_price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let source = crate::service::subscriptions::renewal_price(&self.0);
        let listed = match source.list_price_asked() {
            Some(asked) => loaders(ctx)?.load_one(asked.clone()).await?.flatten(),
            None => None,
        };
        let price = source.price(listed);
        Ok(price.map(|p| Money::new(p, &self.0.currency)))
    }
    /// Bought at a negotiated price, the day it stops (the
    /// end of its last term; renewals from then on take the list price); null
    /// otherwise or once it has stopped.
    async fn negotiated_price_ends_on(&self) -> Option<NaiveDate> {
        crate::service::subscriptions::negotiated_price_ends_on(&self.0)
    }
    /// The billing profile it is billed to — null when the caller may not view
    /// that profile under the rule of `billingProfile(id)`: e.g. a
    /// LICENSE_ADMIN, or an admin looking at a self-service purchase, whose
    /// profile is the buyer's alone.
    async fn billing_profile(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::billing::BillingProfile>> {
        nested_profile(ctx, self.0.billing_profile_id).await
    }
    /// Who bought it (null when the caller may not see that user).
    async fn purchaser(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.purchaser_id).await
    }
    /// How it was bought.
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }
    /// True when a user bought it for their own use.
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
    /// True when a partner bought it for the organization: the partner's
    /// billing profile pays, so the organization's admins see it and assign its
    /// licenses but do not change its billing (`billingProfile` is null for them).
    /// What the caller may do with this subscription.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<SubscriptionViewerCan> {
        let can = svc::viewer_can(&state(ctx)?.db, actor(ctx)?, &self.0).await?;
        Ok(SubscriptionViewerCan {
            change_quantity: can.change_quantity,
            assign_licenses: can.assign_licenses,
            cancel: can.cancel,
            turn_off_auto_renew: can.turn_off_auto_renew,
            change_billing_profile: can.change_billing_profile,
            activate: false,
            follow_portal_link: can.follow_portal_link,
            mark_set_up: false,
        })
    }
    /// True when a partner bought it for the organization; the partner pays.
    async fn bought_by_partner(&self) -> bool {
        crate::access::subscription::is_partner_bought(&self.0)
    }
    /// The name of the organization the subscription belongs to (for partner
    /// users, the customer).
    async fn organization_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.organization_id)).await?.map(|o| o.name))
    }
    /// Set-up and activation in the publisher's portal.
    async fn portal_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(|p| p.portal_url))
    }
    /// Where to get help with the product.
    async fn support_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.map(|p| p.support_url))
    }
    /// The publisher's support e-mail address for the product, if it gives one.
    async fn support_email(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(ProductId(self.0.product_id)).await?.and_then(|p| p.support_email))
    }
    /// When the publisher marked the set-up in its portal done; null until then.
    async fn setup_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.setup_completed_at
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
    /// What the publisher may do with it: activate while PENDING_ACTIVATION.
    async fn viewer_can(&self) -> SubscriptionViewerCan {
        SubscriptionViewerCan {
            change_quantity: false,
            assign_licenses: false,
            cancel: false,
            turn_off_auto_renew: false,
            change_billing_profile: false,
            activate: self.0.0.status == SubscriptionStatus::PendingActivation.into(),
            follow_portal_link: false,
            mark_set_up: self.0.0.status == SubscriptionStatus::Active.into() && self.0.0.setup_completed_at.is_none(),
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
    /// When the publisher marked the set-up in its portal done; null until then.
    async fn setup_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.0.setup_completed_at
    }
    /// When it was bought.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.0.created_at
    }
}
