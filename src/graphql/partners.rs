//! Partners (R39): registration, relationships with customers, buying for a customer.

use super::enums::MapInto;
use super::enums::{BillingTerm, PartnerRelationshipStatus};
use crate::error::EntityKind;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::partner_relationship;

use super::{
    actor,
    identity::{AuthPayload, RegisterPartnerInput},
    loaders,
    loaders::OrganizationId,
    parse_id, state,
    subscriptions::Subscription,
};
use crate::{
    access::Visible,
    service::{
        identity::{self as identity_svc, NewOrganization},
        partners::{self as svc, Decision},
        purchase,
    },
};

/// A partner's request to work for a customer organization, and where it
/// stands. Seen by the customer's global admins and the partner's users.
pub struct PartnerRelationship(pub Visible<partner_relationship::Model>);

/// A partner's request to work for a customer organization, and where it
/// stands.
#[Object]
impl PartnerRelationship {
    /// The relationship's ID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// PENDING until the customer's global admin approves or rejects it;
    /// APPROVED while the partner may buy for the customer; ENDED once the
    /// customer ended it.
    async fn status(&self) -> PartnerRelationshipStatus {
        self.0.status.into()
    }
    /// The partner's ID (its own tenant).
    async fn partner_id(&self) -> ID {
        ID(self.0.partner_id.to_string())
    }
    /// The partner's name.
    async fn partner_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.partner_id)).await?.map(|o| o.name))
    }
    /// The customer organization's ID.
    async fn organization_id(&self) -> ID {
        ID(self.0.organization_id.to_string())
    }
    /// The customer organization's name.
    async fn organization_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(loaders(ctx)?.load_one(OrganizationId(self.0.organization_id)).await?.map(|o| o.name))
    }
    /// When the partner asked.
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }
    /// When the customer approved or rejected it.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    /// When the customer ended it.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
}

/// What a partner buys for a customer. The subscription gets channel
/// PARTNER and names the partner; the partner's billing profile pays.
#[derive(InputObject)]
pub struct PurchaseForCustomerInput {
    /// The customer organization (it must have approved the partner).
    pub organization_id: ID,
    /// The product to buy, from the customer's market.
    pub product_id: ID,
    /// How long each term lasts and how often it is billed.
    pub term: BillingTerm,
    /// PER_LICENSE only: at least 1. Omit for FLAT_RATE.
    pub quantity: Option<i64>,
    /// A billing profile of the partner's own tenant.
    pub billing_profile_id: ID,
    /// Renew at the end of each term (default true).
    #[graphql(default = true)]
    pub auto_renew: bool,
    /// Repeat with the same key to get the first result, charged once.
    pub idempotency_key: Option<String>,
}

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// Partner relationships, newest first: for a customer's global admin
    /// those of its organization, for a partner user those of its partner.
    /// Other users get FORBIDDEN.
    async fn partner_relationships(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only relationships in this state.")] status: Option<PartnerRelationshipStatus>,
    ) -> Result<Vec<PartnerRelationship>> {
        let rows = svc::list(state(ctx)?, actor(ctx)?, status.map_into()).await?;
        Ok(rows.into_iter().map(PartnerRelationship).collect())
    }

    /// One partner relationship the caller may see (else NOT_FOUND).
    async fn partner_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The relationship's ID.")] id: ID,
    ) -> Result<PartnerRelationship> {
        let id = parse_id(&id, EntityKind::PartnerRelationship)?;
        Ok(PartnerRelationship(svc::get(state(ctx)?, actor(ctx)?, id).await?))
    }
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Creates a partner (its own tenant) and its first user, the
    /// partner's global admin; returns a token. Partner users sign in with
    /// `login` like everyone else.
    async fn register_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The partner's name and country and its first user.")] input: RegisterPartnerInput,
    ) -> Result<AuthPayload> {
        let input = NewOrganization {
            organization_name: input.partner_name,
            country: input.country,
            admin_name: input.name,
            email: input.email,
            password: input.password,
        };
        Ok(identity_svc::register_partner(state(ctx)?, input, &super::sessions::device(ctx)).await?.into())
    }

    /// A partner's global or billing admin asks to work for the customer
    /// whose organization ID the customer gave them. NOT_FOUND for an unknown
    /// organization; INVALID_STATE when a request is already pending or approved.
    async fn request_partner_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer organization's ID, as the customer gave it.")] organization_id: ID,
    ) -> Result<PartnerRelationship> {
        let id = parse_id(&organization_id, EntityKind::Organization)?;
        Ok(PartnerRelationship(svc::request(state(ctx)?, actor(ctx)?, id).await?))
    }

    /// The customer's global admin approves a PENDING request.
    async fn approve_partner_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pending relationship's ID.")] id: ID,
    ) -> Result<PartnerRelationship> {
        decide(ctx, id, Decision::Approve).await
    }

    /// The customer's global admin rejects a PENDING request.
    async fn reject_partner_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pending relationship's ID.")] id: ID,
    ) -> Result<PartnerRelationship> {
        decide(ctx, id, Decision::Reject).await
    }

    /// The customer's global admin ends an APPROVED relationship. The
    /// subscriptions the partner bought stay (auto-renew turned off); the
    /// partner can no longer see or manage them.
    async fn end_partner_relationship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The approved relationship's ID.")] id: ID,
    ) -> Result<PartnerRelationship> {
        decide(ctx, id, Decision::End).await
    }

    /// A partner buys for a customer that approved it: channel PARTNER,
    /// the partner recorded on the subscription, billed to the partner's own
    /// billing profile. The customer's admins see the subscription and assign
    /// its licenses but never the partner's billing.
    async fn purchase_for_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer, the product, the term and the partner's billing profile.")]
        input: PurchaseForCustomerInput,
    ) -> Result<Subscription> {
        let request = purchase::PartnerPurchaseInput {
            organization_id: parse_id(&input.organization_id, EntityKind::Organization)?,
            product_id: parse_id(&input.product_id, EntityKind::Product)?,
            term: input.term.into(),
            quantity: input.quantity,
            billing_profile_id: parse_id(&input.billing_profile_id, EntityKind::BillingProfile)?,
            auto_renew: input.auto_renew,
        };
        let sub = purchase::purchase_for_customer(state(ctx)?, actor(ctx)?, request, input.idempotency_key.as_deref())
            .await?;
        Ok(Subscription(sub))
    }
}

async fn decide(ctx: &Context<'_>, id: ID, decision: Decision) -> Result<PartnerRelationship> {
    let id = parse_id(&id, EntityKind::PartnerRelationship)?;
    Ok(PartnerRelationship(svc::decide(state(ctx)?, actor(ctx)?, id, decision).await?))
}
