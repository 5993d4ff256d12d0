//! Buying, the subscription lifecycle and licenses: the mutations.

use crate::graphql::enums::CancelReason;
use async_graphql::{Context, ID, Object, Result};

use crate::graphql::{actor, parse_id, state};
use crate::{
    error::EntityKind,
    service::{licenses, purchase, purchase_tokens, subscriptions as svc},
};

use super::{
    ActivationLink, AssignLicensesPayload, CustomerAgreement, PublisherSubscription, PurchaseSubscriptionInput,
    Subscription, UnassignLicensesPayload,
};

#[derive(Default)]
pub struct SubscriptionMutation;

#[Object]
impl SubscriptionMutation {
    /// Accept the customer agreement (once; repeats return it). Billing
    /// managers accept it for the organization; other users for their own
    /// self-service purchases.
    async fn accept_customer_agreement(&self, ctx: &Context<'_>) -> Result<CustomerAgreement> {
        Ok(CustomerAgreement(purchase::accept_customer_agreement(state(ctx)?, actor(ctx)?).await?))
    }

    /// Buy a subscription; it starts PENDING_ACTIVATION with its first-term charge.
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

    /// Creates every subscription of the proposal, or none.
    async fn accept_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposal to accept.")] proposal_id: ID,
        #[graphql(desc = "The billing profile that pays.")] billing_profile_id: ID,
        #[graphql(desc = "Whether the subscriptions renew at the end of their term.", default = true)] auto_renew: bool,
        #[graphql(desc = "Repeat with the same key to get the first result, charged once.")] idempotency_key: Option<
            String,
        >,
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

    /// The link to the publisher's portal for a subscription waiting for
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

    /// The product's publisher activates the subscription a purchase
    /// token identifies; the token is used up. An expired, used, replaced or
    /// another publisher's token is NOT_FOUND.
    async fn activate_with_purchase_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the portal link's `purchaseToken` parameter.")] token: String,
    ) -> Result<PublisherSubscription> {
        Ok(PublisherSubscription(purchase_tokens::activate(state(ctx)?, actor(ctx)?, &token).await?))
    }

    /// The product's publisher activates a pending subscription.
    async fn activate_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to activate.")] subscription_id: ID,
    ) -> Result<PublisherSubscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(PublisherSubscription(svc::activate(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// The product's publisher marks the set-up in its portal done for an
    /// ACTIVE subscription; the customer's admins see it and get an event.
    async fn mark_subscription_set_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription whose set-up is done.")] subscription_id: ID,
    ) -> Result<PublisherSubscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(PublisherSubscription(svc::mark_setup_complete(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// Set the new total number of licenses (to add 5 to 100, send 105).
    async fn change_license_quantity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to change.")] subscription_id: ID,
        #[graphql(desc = "The new number of licenses, at least the number assigned.")] quantity: i64,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(Subscription(svc::change_quantity(state(ctx)?, actor(ctx)?, id, quantity).await?))
    }

    /// Give licenses to up to 20 users of the organization; all or nothing.
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

    /// Take licenses back; all or nothing.
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

    /// Turn auto-renew on or off.
    async fn set_auto_renew(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to change.")] subscription_id: ID,
        #[graphql(desc = "True to renew at the end of the term, false to let it expire.")] auto_renew: bool,
    ) -> Result<Subscription> {
        let id = parse_id(&subscription_id, EntityKind::Subscription)?;
        Ok(Subscription(svc::set_auto_renew(state(ctx)?, actor(ctx)?, id, auto_renew).await?))
    }

    /// Send the subscription's future charges to another billing profile.
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

    /// Cancel now with a reason and optional feedback (≤ 1000 characters).
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
