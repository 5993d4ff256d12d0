//! Payment methods (R29): what a card shows, and which profiles pay with it.

use crate::graphql::enums::{CardBrand, PaymentMethodKind};
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::payment_method;

use super::{Address, BillingProfile, PaymentMethodViewerCan, nested_profile};
use crate::graphql::{
    actor,
    pagination::{self},
    state,
};
use crate::{
    access::Visible,
    service::payment_methods::{self as pm},
};

/// A payment method. A card shows only its brand, last four digits,
/// expiration, name and billing address. Visible exactly when its billing
/// profile is (a self-service buyer's card is theirs alone, R38).
pub struct PaymentMethod(pub Visible<payment_method::Model>);

/// How a billing profile pays: a card (only brand and last digits are kept) or check or wire transfer.
#[Object]
impl PaymentMethod {
    /// Stable identifier of the payment method.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What the caller may do with this payment method.
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
    /// caller may view (one method may serve several profiles).
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
    /// When it was removed from the payment-methods page; null while listed.
    async fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.0.removed_at
    }
    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
