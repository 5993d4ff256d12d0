//! Cards on file (R29, R34): the fingerprint key, what the processor sees of
//! a stored card, how a payment method is named on invoices and refunds, and
//! a profile's current method. Shared by invoices and the credit balance, so
//! neither imports the other.

use entity::{billing_profile, enums::PaymentMethodKind, payment_method};
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, EntityTrait};
use sha2::Sha256;

use crate::{billing::processor::StoredCard, domain::card::CardBrand, error::AppResult};

/// A key for card fingerprints, derived from the server secret with a label so
/// it is never the token-signing key itself.
pub fn fingerprint_key(server_secret: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(server_secret) else {
        return server_secret.to_vec();
    };
    mac.update(b"licensedesk card fingerprint v1");
    mac.finalize().into_bytes().to_vec()
}

/// The words of `method_summary`, which the invoice PDF translates.
pub const NO_METHOD: &str = "No payment method on file";
pub const CHECK_OR_WIRE: &str = "Check or wire transfer";
pub const ENDING: &str = " ending ";
pub const UNNAMED_CARD: &str = "Card";

/// "VISA ending 4242" or "Check or wire transfer": brand and last four only.
pub fn method_summary(method: Option<&payment_method::Model>) -> String {
    match method {
        None => NO_METHOD.to_owned(),
        Some(m) if m.kind == PaymentMethodKind::CheckOrWire => CHECK_OR_WIRE.to_owned(),
        Some(m) => {
            let brand = m.card_brand.as_deref().and_then(CardBrand::from_code).unwrap_or(CardBrand::Unknown);
            let brand = match brand {
                CardBrand::Visa => "VISA",
                CardBrand::Mastercard => "Mastercard",
                CardBrand::Amex => "American Express",
                CardBrand::Discover => "Discover",
                CardBrand::DinersClub => "Diners Club",
                CardBrand::Jcb => "JCB",
                CardBrand::Unknown => UNNAMED_CARD,
            };
            format!("{brand}{ENDING}{}", m.card_last4.as_deref().unwrap_or("????"))
        }
    }
}

/// What the processor sees of a stored card (R34): never the number.
pub fn stored_card(method: &payment_method::Model) -> Option<StoredCard> {
    if method.kind != PaymentMethodKind::CreditCard {
        return None;
    }
    Some(StoredCard {
        fingerprint: method.card_fingerprint.clone()?,
        exp_month: u32::try_from(method.card_exp_month?).ok()?,
        exp_year: method.card_exp_year?,
    })
}

/// The billing profile's current payment method, if any.
pub async fn current_method(
    db: &impl ConnectionTrait,
    profile: &billing_profile::Model,
) -> AppResult<Option<payment_method::Model>> {
    method(db, profile.current_payment_method_id).await
}

/// A payment method by ID, if any.
pub async fn method(db: &impl ConnectionTrait, id: Option<uuid::Uuid>) -> AppResult<Option<payment_method::Model>> {
    match id {
        Some(id) => Ok(payment_method::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}
