//! Billing profiles, their roles and payment methods (R2, R28, R29).

use super::enums::{BillingRole, CardBrand, PaymentMethodKind};
use crate::error::EntityKind;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{billing_profile, billing_role_assignment, payment_method};

use super::{
    actor,
    identity::{User, nested_user},
    loaders,
    loaders::{BillingProfileId, PaymentMethodId, RolesOnProfile},
    pagination::{self, Page},
    parse_id, state,
    types::Money,
};
use crate::{
    access::{self, Visible},
    i18n::Lang,
    service::{
        billing_profiles::{self as svc, AddressInput as SvcAddress, ProfileRights, ProfileView},
        payment_methods::{self as pm, CardInput as SvcCard},
    },
};

/// A postal address.
#[derive(SimpleObject, Clone)]
pub struct Address {
    /// First line of the street address.
    pub line1: String,
    /// Second line of the street address, if any.
    pub line2: Option<String>,
    /// City or town.
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal or ZIP code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

/// A postal address, as given by the client.
#[derive(InputObject)]
pub struct AddressInput {
    /// First line of the street address (required).
    pub line1: String,
    /// Second line of the street address, if any.
    pub line2: Option<String>,
    /// City or town (required).
    pub city: String,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal or ZIP code (required).
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. "SE".
    pub country: String,
}

impl From<AddressInput> for SvcAddress {
    fn from(a: AddressInput) -> Self {
        SvcAddress {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

/// What the caller may do with a billing profile (R2, with R1 and R27 folded in).
#[derive(SimpleObject)]
#[graphql(name = "BillingProfileRights")]
pub struct Rights {
    /// The caller may see this profile and its invoices.
    pub can_view: bool,
    /// The caller may grant and revoke billing roles on it.
    pub can_manage_roles: bool,
    /// The caller may change its name, contact and address.
    pub can_update: bool,
    /// The caller may buy subscriptions billed to it.
    pub can_buy: bool,
    /// The caller may change subscriptions billed to it.
    pub can_manage_products: bool,
    /// The caller may add, change or replace its payment method.
    pub can_manage_payment_method: bool,
    /// The caller may pay its invoices.
    pub can_pay_invoices: bool,
}

impl From<ProfileRights> for Rights {
    fn from(r: ProfileRights) -> Self {
        Rights {
            can_view: r.view,
            can_manage_roles: r.manage_roles,
            can_update: r.update,
            can_buy: r.buy,
            can_manage_products: r.manage_products,
            can_manage_payment_method: r.manage_payment,
            can_pay_invoices: r.pay_invoices,
        }
    }
}

/// Which buttons to show on a billing profile: what the caller may do with
/// it, by the same rights the mutations check (R2) [item 8].
#[derive(SimpleObject)]
pub struct BillingProfileViewerCan {
    /// `updateBillingProfile`.
    pub edit: bool,
    /// `grantBillingRole` / `revokeBillingRole`.
    pub manage_roles: bool,
    /// `addPaymentMethod`, `replacePaymentMethod`, `updatePaymentMethod`.
    pub change_payment_method: bool,
}

/// Which buttons to show on a payment method [item 8].
#[derive(SimpleObject)]
pub struct PaymentMethodViewerCan {
    /// `updatePaymentMethod`: the caller manages the profile's payment method
    /// and this is the profile's current method.
    pub edit: bool,
}

/// A billing profile (R28): org-managed, or a user's own for self-service purchases.
/// Only built from a profile the access rule let through, with the caller's rights.
pub struct BillingProfile {
    pub profile: Visible<billing_profile::Model>,
    pub rights: ProfileRights,
}

impl From<ProfileView> for BillingProfile {
    fn from(v: ProfileView) -> Self {
        BillingProfile { profile: v.profile, rights: v.rights }
    }
}

/// A nested billing-profile field (R37): the profile when the caller may view
/// it under the same rule as `billingProfile(id)`, else null.
pub(crate) async fn nested_profile(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<BillingProfile>> {
    let actor = actor(ctx)?;
    let loaders = loaders(ctx)?;
    let Some(profile) = loaders.load_one(BillingProfileId(id)).await? else { return Ok(None) };
    let roles = if access::billing_profile::needs_roles(actor, &profile) {
        let key = RolesOnProfile { user_id: actor.user_id(), profile_id: profile.id };
        loaders.load_one(key).await?.unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(access::billing_profile::check(actor, profile, roles)
        .map(|(profile, rights)| BillingProfile { profile, rights }))
}

/// Who pays and how: contact, bill-to address, currency, payment method and billing roles (R2, R28).
#[Object]
impl BillingProfile {
    /// Stable identifier of the billing profile.
    async fn id(&self) -> ID {
        ID(self.profile.id.to_string())
    }
    /// A name the organization chooses, e.g. "Contoso main".
    async fn name(&self) -> &str {
        &self.profile.name
    }
    /// The person invoices are addressed to.
    async fn contact_name(&self) -> &str {
        &self.profile.contact_name
    }
    /// Where billing mail goes.
    async fn contact_email(&self) -> &str {
        &self.profile.contact_email
    }
    /// The address printed on invoices; its country fixes the currency (R28).
    async fn bill_to_address(&self) -> Address {
        let p = &self.profile;
        Address {
            line1: p.address_line1.clone(),
            line2: p.address_line2.clone(),
            city: p.city.clone(),
            region: p.region.clone(),
            postal_code: p.postal_code.clone(),
            country: p.country.clone(),
        }
    }
    /// ISO 4217, derived from the bill-to country (R28).
    async fn currency(&self) -> &str {
        &self.profile.currency
    }
    /// Purchase-order number printed on invoices, if the buyer uses one.
    async fn po_number(&self) -> Option<&str> {
        self.profile.po_number.as_deref()
    }
    /// The language its invoices are printed in: "en", "sv", "da", "nl" or
    /// "zh-TW" — the one chosen for the profile, else the bill-to country's, else "en".
    async fn language(&self) -> &'static str {
        let chosen = self.profile.language.as_deref().and_then(|tag| Lang::ALL.into_iter().find(|l| l.tag() == tag));
        chosen.or_else(|| crate::pdf::language_for_country(&self.profile.country)).unwrap_or(Lang::En).tag()
    }
    /// R44: credit carried from invoices whose credits exceeded their charges,
    /// not yet used by later invoices or refunded. Consumed by the profile's
    /// next invoices before any card is charged.
    async fn credit_balance(&self, ctx: &Context<'_>) -> Result<Money> {
        let minor = crate::service::credit_balance::balance(&state(ctx)?.db, self.profile.id).await?;
        Ok(Money::new(minor, &self.profile.currency))
    }
    /// True for a user's own profile for self-service purchases (R25).
    async fn is_self_service(&self) -> bool {
        self.profile.owner_user_id.is_some()
    }
    /// The user a self-service profile belongs to.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.profile.owner_user_id else {
            return Ok(None);
        };
        nested_user(ctx, id).await
    }
    /// The current payment method (R29), if any.
    async fn payment_method(&self, ctx: &Context<'_>) -> Result<Option<PaymentMethod>> {
        let Some(id) = self.profile.current_payment_method_id else {
            return Ok(None);
        };
        let method = loaders(ctx)?.load_one(PaymentMethodId(id)).await?;
        Ok(method.and_then(|m| access::payment_method::of_profile(&self.profile, m)).map(PaymentMethod))
    }
    /// Who holds which role on the profile (R2).
    async fn role_assignments(&self, ctx: &Context<'_>) -> Result<Vec<BillingRoleAssignment>> {
        let rows = loaders(ctx)?.load_one(super::loaders::RoleAssignmentsOfProfile(self.profile.id)).await?;
        Ok(rows.unwrap_or_default().into_iter().map(BillingRoleAssignment).collect())
    }
    /// What the caller may do with this profile.
    /// What the caller may do with this profile [item 8].
    async fn viewer_can(&self) -> BillingProfileViewerCan {
        BillingProfileViewerCan {
            edit: self.rights.update,
            manage_roles: self.rights.manage_roles,
            change_payment_method: self.rights.manage_payment,
        }
    }
    /// The caller's rights on this profile, one flag per right (R2).
    async fn my_rights(&self) -> Rights {
        self.rights.into()
    }
    /// When the profile was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.profile.created_at
    }
    /// When the profile was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.profile.updated_at
    }
}

/// One role held by one user on a billing profile (R2).
pub struct BillingRoleAssignment(pub billing_role_assignment::Model);

/// A billing role a user holds on a billing profile (R2).
#[Object]
impl BillingRoleAssignment {
    /// The user holding the role.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.user_id).await
    }
    /// The role held.
    async fn role(&self) -> BillingRole {
        self.0.role.into()
    }
    /// When the role was granted.
    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.granted_at
    }
}

/// A payment method (R29). A card shows only its brand, last four digits,
/// expiration, name and billing address. Visible exactly when its billing
/// profile is (a self-service buyer's card is theirs alone, R38).
pub struct PaymentMethod(pub Visible<payment_method::Model>);

/// How a billing profile pays: a card (only brand and last digits are kept) or check or wire transfer (R29).
#[Object]
impl PaymentMethod {
    /// Stable identifier of the payment method.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What the caller may do with this payment method [item 8].
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<PaymentMethodViewerCan> {
        let profile = nested_profile(ctx, self.0.billing_profile_id).await?;
        let edit = profile.is_some_and(|p| {
            p.rights.manage_payment && self.0.is_current && p.profile.current_payment_method_id == Some(self.0.id)
        });
        Ok(PaymentMethodViewerCan { edit })
    }
    /// Card or check/wire transfer.
    async fn kind(&self) -> PaymentMethodKind {
        self.0.kind.into()
    }
    /// The card's brand; null for check or wire.
    async fn brand(&self) -> Option<CardBrand> {
        self.0.card_brand.as_deref().and_then(crate::domain::card::CardBrand::from_code).map(Into::into)
    }
    /// The card number's last four digits; null for check or wire.
    async fn last4(&self) -> Option<&str> {
        self.0.card_last4.as_deref()
    }
    /// The card's expiry month, 1 to 12.
    async fn expiration_month(&self) -> Option<i32> {
        self.0.card_exp_month
    }
    /// The card's expiry year, e.g. 2030.
    async fn expiration_year(&self) -> Option<i32> {
        self.0.card_exp_year
    }
    /// The cardholder's name.
    async fn name_on_card(&self) -> Option<&str> {
        self.0.name_on_card.as_deref()
    }
    /// The cardholder's billing address.
    async fn billing_address(&self) -> Option<Address> {
        let m = &self.0;
        Some(Address {
            line1: m.address_line1.clone()?,
            line2: m.address_line2.clone(),
            city: m.city.clone()?,
            region: m.region.clone(),
            postal_code: m.postal_code.clone()?,
            country: m.country.clone()?,
        })
    }
    /// True while at least one billing profile pays with it; false once
    /// replaced everywhere (kept for the invoices that name it).
    async fn is_current(&self) -> bool {
        self.0.is_current
    }
    /// The profile the method was added to; its organization (or self-service
    /// buyer) owns the method. Null when the caller may not view that profile.
    async fn billing_profile(&self, ctx: &Context<'_>) -> Result<Option<BillingProfile>> {
        nested_profile(ctx, self.0.billing_profile_id).await
    }
    /// The billing profiles that pay with this method now, among those the
    /// caller may view (R41: one method may serve several profiles).
    /// A page of `first` profiles, oldest first (issue 20): pass the last
    /// profile's `id` as `after` for the next page.
    async fn billing_profiles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many profiles to return, 1 to 100 (default 50).", default = 50)] first: Option<i32>,
        #[graphql(desc = "The `id` of the last profile of the previous page.")] after: Option<ID>,
    ) -> Result<Vec<BillingProfile>> {
        let after = pagination::after_id(after.as_ref())?;
        let views = pm::used_by_page(state(ctx)?, actor(ctx)?, &self.0, first.unwrap_or(50), after).await?;
        Ok(views.into_iter().map(BillingProfile::from).collect())
    }
    /// When it was removed from the payment-methods page (R41); null while listed.
    async fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.0.removed_at
    }
    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new billing profile of the caller's organization.
#[derive(InputObject)]
pub struct CreateBillingProfileInput {
    /// A name for the profile, e.g. "Contoso main".
    pub name: String,
    /// The person invoices are addressed to.
    pub contact_name: String,
    /// Where billing mail goes.
    pub contact_email: String,
    /// The currency follows its country (R28).
    pub bill_to_address: AddressInput,
    /// Purchase-order number printed on invoices (optional).
    pub po_number: Option<String>,
    /// True: the caller's own profile for self-service purchases (any org user).
    /// False: an org profile (GLOBAL_ADMIN or BILLING_ADMIN).
    #[graphql(default = false)]
    pub self_service: bool,
    /// Language of the profile's invoices: "en", "sv", "da", "nl" or "zh-TW", whatever
    /// the country. Omitted: the bill-to country's language, else English.
    pub language: Option<String>,
}

/// Changes to a billing profile; omitted values stay as they are.
#[derive(InputObject)]
pub struct UpdateBillingProfileInput {
    /// A new name.
    pub name: Option<String>,
    /// A new contact person.
    pub contact_name: Option<String>,
    /// A new billing e-mail.
    pub contact_email: Option<String>,
    /// Replaces the whole address. A new country changes the currency, which is
    /// refused once subscriptions are billed to the profile.
    pub bill_to_address: Option<AddressInput>,
    /// null or "" clears it.
    pub po_number: MaybeUndefined<String>,
    /// Language of the profile's invoices: "en", "sv", "da", "nl" or "zh-TW"; null
    /// goes back to the bill-to country's language (English when it has none of these).
    pub language: MaybeUndefined<String>,
}

/// Card details (R29). The number and security code are checked and never stored or returned.
#[derive(InputObject)]
pub struct CardInput {
    /// 12–19 digits, Luhn-valid; spaces and dashes are ignored.
    pub number: String,
    /// 3 or 4 digits.
    pub security_code: String,
    /// Expiry month, 1 to 12.
    pub expiration_month: i32,
    /// Four digits, e.g. 2028.
    pub expiration_year: i32,
    /// The cardholder's name as printed on the card.
    pub name_on_card: String,
    /// The cardholder's billing address.
    pub billing_address: AddressInput,
}

impl From<CardInput> for SvcCard {
    fn from(c: CardInput) -> Self {
        SvcCard {
            number: c.number,
            security_code: c.security_code,
            expiration_month: c.expiration_month,
            expiration_year: c.expiration_year,
            name_on_card: c.name_on_card,
            billing_address: c.billing_address.into(),
        }
    }
}

/// A new payment method: give `card` for CREDIT_CARD, nothing more for CHECK_OR_WIRE.
#[derive(InputObject)]
pub struct PaymentMethodInput {
    /// Card or check/wire transfer.
    pub kind: PaymentMethodKind,
    /// Required for CREDIT_CARD, absent for CHECK_OR_WIRE.
    pub card: Option<CardInput>,
}

impl From<PaymentMethodInput> for pm::NewPaymentMethod {
    fn from(i: PaymentMethodInput) -> Self {
        pm::NewPaymentMethod { kind: i.kind.into(), card: i.card.map(Into::into) }
    }
}

/// Edits a card; to change its number, replace the payment method (R29).
#[derive(InputObject)]
pub struct UpdatePaymentMethodInput {
    /// Checked, then discarded: never stored.
    pub security_code: Option<String>,
    /// A new expiry month, 1 to 12.
    pub expiration_month: Option<i32>,
    /// A new expiry year.
    pub expiration_year: Option<i32>,
    /// A new cardholder name.
    pub name_on_card: Option<String>,
    /// A new billing address.
    pub billing_address: Option<AddressInput>,
}

#[derive(Default)]
pub struct BillingQuery;

#[Object]
impl BillingQuery {
    /// The billing profiles the caller can view (R1, R2, R27).
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

    /// The payment methods page (R41): the organization's payment methods the
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

    /// One billing profile the caller can view; NOT_FOUND otherwise (R3).
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
    /// becomes OWNER) or, with `selfService: true`, the caller's own profile (R28).
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

    /// Updates name, contact, bill-to address or PO number (R2: OWNER, CONTRIBUTOR).
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

    /// Grants a role on a profile to a user of the organization (R2: OWNER).
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

    /// Removes a role (R2: OWNER). The last OWNER cannot be removed.
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

    /// Adds a payment method; it becomes the profile's current one (R29).
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

    /// Edits the current card: security code, expiration, name, billing address — never the number (R29).
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
    /// subscriptions and the old one is kept for past invoices (R29).
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
    /// methods page (R41; R2: OWNER or CONTRIBUTOR of the profile). The method
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

    /// Removes a payment method from the payment methods page (R41; R2: OWNER
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
