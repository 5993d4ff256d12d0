//! Billing profiles as the caller may see them: addresses, rights, what the caller may do, role assignments.

use crate::graphql::enums::BillingRole;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{billing_profile, billing_role_assignment};

use super::PaymentMethod;
use crate::graphql::{
    actor,
    identity::{User, nested_user},
    loaders,
    loaders::{BillingProfileId, PaymentMethodId, RoleAssignmentsOfProfile, RolesOnProfile},
    state,
    types::Money,
};
use crate::{
    access::{self, Visible},
    i18n::Lang,
    service::billing_profiles::{AddressInput as SvcAddress, ProfileRights, ProfileView},
    service::role_assignments,
};

/// An invoice the billing run cannot issue, held on its
/// billing profile until it can be (the run tries again every day).
#[derive(SimpleObject, Clone)]
pub struct InvoiceHold {
    /// The first day of the month whose invoice is held.
    pub period_start: NaiveDate,
    /// The day of the billing run that first could not issue it.
    pub since: NaiveDate,
    /// Why it cannot be issued, and what to do about it.
    pub reason: String,
}

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

/// What the caller may do with a billing profile.
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
/// it, by the same rights the mutations check.
#[derive(SimpleObject)]
pub struct BillingProfileViewerCan {
    /// `updateBillingProfile`.
    pub edit: bool,
    /// `grantBillingRole` / `revokeBillingRole`.
    pub manage_roles: bool,
    /// `addPaymentMethod`, `replacePaymentMethod`, `updatePaymentMethod`.
    pub change_payment_method: bool,
}

/// Which buttons to show on a payment method.
#[derive(SimpleObject)]
pub struct PaymentMethodViewerCan {
    /// `updatePaymentMethod`: the caller manages the profile's payment method
    /// and this is the profile's current method.
    pub edit: bool,
}

/// A billing profile: org-managed, or a user's own for self-service purchases.
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

/// A nested billing-profile field: the profile when the caller may view
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

/// Who pays and how: contact, bill-to address, currency, payment method and billing roles.
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
    /// The address printed on invoices; its country fixes the currency.
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
    /// ISO 4217, derived from the bill-to country.
    async fn currency(&self) -> &str {
        &self.profile.currency
    }
    /// The invoice the billing run cannot issue, with the
    /// reason; null when every invoice is issued.
    async fn invoice_hold(&self) -> Option<InvoiceHold> {
        let p = &self.profile;
        match (&p.invoice_hold_reason, p.invoice_hold_period, p.invoice_hold_since) {
            (Some(reason), Some(period_start), Some(since)) => {
                Some(InvoiceHold { period_start, since, reason: reason.clone() })
            }
            _ => None,
        }
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
    /// Credit carried from invoices whose credits exceeded their charges,
    /// not yet used by later invoices or refunded. Consumed by the profile's
    /// next invoices before any card is charged.
    async fn credit_balance(&self, ctx: &Context<'_>) -> Result<Money> {
        let minor = crate::service::credit_balance::balance(&state(ctx)?.db, self.profile.id).await?;
        Ok(Money::new(minor, &self.profile.currency))
    }
    /// True for a user's own profile for self-service purchases.
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
    /// The current payment method, if any.
    async fn payment_method(&self, ctx: &Context<'_>) -> Result<Option<PaymentMethod>> {
        let Some(id) = self.profile.current_payment_method_id else {
            return Ok(None);
        };
        let method = loaders(ctx)?.load_one(PaymentMethodId(id)).await?;
        Ok(method.and_then(|m| access::payment_method::of_profile(&self.profile, m)).map(PaymentMethod))
    }
    /// Who holds which role on the profile, oldest grant first; a page
    /// of `first` entries at a time: pass the last entry's `cursor` as
    /// `after` for the next page.
    async fn role_assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many entries to return, 1 to 100 (default 50).", default = 50)] first: Option<i32>,
        #[graphql(desc = "The `cursor` of the last entry of the previous page.")] after: Option<String>,
    ) -> Result<Vec<BillingRoleAssignment>> {
        let first = crate::paging::page_size(first.unwrap_or(50))?;
        let rows = match after {
            None => {
                let key = RoleAssignmentsOfProfile { profile_id: self.profile.id, first };
                loaders(ctx)?.load_one(key).await?.unwrap_or_default()
            }
            Some(after) => {
                let after = role_assignments::RoleCursor::decode(&after)?;
                role_assignments::page_after(&state(ctx)?.db, self.profile.id, first, &after).await?
            }
        };
        Ok(rows.into_iter().map(BillingRoleAssignment).collect())
    }
    /// What the caller may do with this profile.
    /// What the caller may do with this profile.
    async fn viewer_can(&self) -> BillingProfileViewerCan {
        BillingProfileViewerCan {
            edit: self.rights.update,
            manage_roles: self.rights.manage_roles,
            change_payment_method: self.rights.manage_payment,
        }
    }
    /// The caller's rights on this profile, one flag per right.
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

/// One role held by one user on a billing profile.
pub struct BillingRoleAssignment(pub billing_role_assignment::Model);

/// A billing role a user holds on a billing profile.
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
    /// Where this entry stands in the profile's list: pass it as
    /// `roleAssignments(after:)` to get the entries after it.
    async fn cursor(&self) -> String {
        role_assignments::RoleCursor::of(&self.0).encode()
    }
}
