//! Billing profiles, their roles and payment methods: the queries and mutations.

use crate::error::EntityKind;
use crate::graphql::enums::BillingRole;
use async_graphql::{Context, ID, MaybeUndefined, Object, Result};

use super::{
    BillingProfile, CreateBillingProfileInput, PaymentMethod, PaymentMethodInput, UpdateBillingProfileInput,
    UpdatePaymentMethodInput,
};
use crate::graphql::{
    actor,
    pagination::{self, Page},
    parse_id, state,
};
use crate::service::{
    billing_profiles::{self as svc},
    payment_methods::{self as pm},
};

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The billing profiles the caller can view.
    async fn billing_profiles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<BillingProfile>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let views = svc::list(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(views.map(BillingProfile::from), |p| p.profile.id))
    }

    /// The payment methods page: the organization's payment methods the
    /// caller may see, oldest first, removed ones left out. GLOBAL_ADMIN and
    /// BILLING_ADMIN see all of the organization's; other users those of the
    /// billing profiles they hold a role on; a self-service buyer their own cards.
    async fn payment_methods(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<PaymentMethod>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let methods = pm::list(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(methods.map(PaymentMethod), |m| m.0.id))
    }

    /// One billing profile the caller can view; NOT_FOUND otherwise.
    async fn billing_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile's identifier.")] id: ID,
    ) -> Result<BillingProfile> {
        Ok(svc::get(state(ctx)?, actor(ctx)?, parse_id(&id, EntityKind::BillingProfile)?).await?.into())
    }
}

#[derive(Default)]
pub struct BillingMutation;

#[Object]
impl BillingMutation {
    /// Creates an org billing profile (GLOBAL_ADMIN, BILLING_ADMIN; the creator
    /// becomes OWNER) or, with `selfService: true`, the caller's own profile.
    async fn create_billing_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new profile's name, contact and address.")] input: CreateBillingProfileInput,
    ) -> Result<BillingProfile> {
        let input = svc::NewBillingProfile {
            name: input.name,
            contact_name: input.contact_name,
            contact_email: input.contact_email,
            bill_to: input.bill_to_address.into(),
            po_number: input.po_number,
            self_service: input.self_service,
            language: input.language,
        };
        Ok(svc::create(state(ctx)?, actor(ctx)?, input).await?.into())
    }

    /// Updates name, contact, bill-to address or PO number (OWNER, CONTRIBUTOR).
    async fn update_billing_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile to change.")] id: ID,
        #[graphql(desc = "The values to change; omitted ones stay as they are.")] input: UpdateBillingProfileInput,
    ) -> Result<BillingProfile> {
        let changes = svc::ProfileChanges {
            name: input.name,
            contact_name: input.contact_name,
            contact_email: input.contact_email,
            bill_to: input.bill_to_address.map(Into::into),
            po_number: match input.po_number {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            language: match input.language {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
        };
        Ok(svc::update(state(ctx)?, actor(ctx)?, parse_id(&id, EntityKind::BillingProfile)?, changes).await?.into())
    }

    /// Grants a role on a profile to a user of the organization (OWNER).
    /// Granting a role the user already holds changes nothing.
    async fn grant_billing_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile the role is on.")] billing_profile_id: ID,
        #[graphql(desc = "The user who gets the role.")] user_id: ID,
        #[graphql(desc = "The role to grant.")] role: BillingRole,
    ) -> Result<BillingProfile> {
        Ok(svc::grant_role(
            state(ctx)?,
            actor(ctx)?,
            parse_id(&billing_profile_id, EntityKind::BillingProfile)?,
            parse_id(&user_id, EntityKind::User)?,
            role.into(),
        )
        .await?
        .into())
    }

    /// Removes a role (OWNER). The last OWNER cannot be removed.
    async fn revoke_billing_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile the role is on.")] billing_profile_id: ID,
        #[graphql(desc = "The user who loses the role.")] user_id: ID,
        #[graphql(desc = "The role to revoke.")] role: BillingRole,
    ) -> Result<BillingProfile> {
        Ok(svc::revoke_role(
            state(ctx)?,
            actor(ctx)?,
            parse_id(&billing_profile_id, EntityKind::BillingProfile)?,
            parse_id(&user_id, EntityKind::User)?,
            role.into(),
        )
        .await?
        .into())
    }

    /// Adds a payment method; it becomes the profile's current one.
    async fn add_payment_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile to pay with it.")] billing_profile_id: ID,
        #[graphql(desc = "A card, or check or wire transfer.")] input: PaymentMethodInput,
    ) -> Result<PaymentMethod> {
        Ok(PaymentMethod(
            pm::add(state(ctx)?, actor(ctx)?, parse_id(&billing_profile_id, EntityKind::BillingProfile)?, input.into())
                .await?,
        ))
    }

    /// Edits the current card: security code, expiration, name, billing address — never the number.
    async fn update_payment_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment method to change.")] payment_method_id: ID,
        #[graphql(desc = "The values to change; omitted ones stay as they are.")] input: UpdatePaymentMethodInput,
    ) -> Result<PaymentMethod> {
        let changes = pm::PaymentMethodChanges {
            security_code: input.security_code,
            expiration_month: input.expiration_month,
            expiration_year: input.expiration_year,
            name_on_card: input.name_on_card,
            billing_address: input.billing_address.map(Into::into),
        };
        Ok(PaymentMethod(
            pm::update(state(ctx)?, actor(ctx)?, parse_id(&payment_method_id, EntityKind::PaymentMethod)?, changes)
                .await?,
        ))
    }

    /// Replaces the profile's payment method; the new one pays for all its
    /// subscriptions and the old one is kept for past invoices.
    async fn replace_payment_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile whose payment method is replaced.")] billing_profile_id: ID,
        #[graphql(desc = "The new card, or check or wire transfer.")] input: PaymentMethodInput,
    ) -> Result<PaymentMethod> {
        Ok(PaymentMethod(
            pm::replace(
                state(ctx)?,
                actor(ctx)?,
                parse_id(&billing_profile_id, EntityKind::BillingProfile)?,
                input.into(),
            )
            .await?,
        ))
    }

    /// Makes the billing profile pay with a method already on the payment
    /// methods page (OWNER or CONTRIBUTOR of the profile). The method
    /// must belong to the same organization, or for a self-service profile to
    /// the same buyer; otherwise NOT_FOUND. The profile's previous method stays
    /// on the page.
    async fn use_existing_payment_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The billing profile that will pay with the method.")] billing_profile_id: ID,
        #[graphql(desc = "The payment method to use, from the payment methods page.")] payment_method_id: ID,
    ) -> Result<BillingProfile> {
        Ok(pm::use_existing(
            state(ctx)?,
            actor(ctx)?,
            parse_id(&billing_profile_id, EntityKind::BillingProfile)?,
            parse_id(&payment_method_id, EntityKind::PaymentMethod)?,
        )
        .await?
        .into())
    }

    /// Removes a payment method from the payment methods page (OWNER
    /// or CONTRIBUTOR of the profile it was added to). Refused with
    /// INVALID_STATE (state IN_USE) while any billing profile pays with it.
    /// Past invoices keep naming it.
    async fn remove_payment_method(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment method to remove.")] payment_method_id: ID,
    ) -> Result<PaymentMethod> {
        Ok(PaymentMethod(
            pm::remove(state(ctx)?, actor(ctx)?, parse_id(&payment_method_id, EntityKind::PaymentMethod)?).await?,
        ))
    }
}
