//! What clients send to create and change billing profiles and payment methods.

use crate::graphql::enums::PaymentMethodKind;
use async_graphql::{InputObject, MaybeUndefined};

use super::AddressInput;
use crate::service::payment_methods::{self as pm, CardInput as SvcCard};

/// A new billing profile of the caller's organization.
#[derive(InputObject)]
pub struct CreateBillingProfileInput {
    /// A name for the profile, e.g. "Contoso main".
    pub name: String,
    /// The person invoices are addressed to.
    pub contact_name: String,
    /// Where billing mail goes.
    pub contact_email: String,
    /// The currency follows its country.
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

/// Card details. The number and security code are checked and never stored or returned.
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

/// Edits a card; to change its number, replace the payment method.
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
