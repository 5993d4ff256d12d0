//! The self-service rules of a purchase (R24, R25), and the R1/R12 rules on
//! the profile that set self-service apart from org purchases: what
//! `direct::check_line` applies for the SELF_SERVICE channel.

use entity::{
    billing_profile,
    enums::{Channel, PaymentMethodKind},
    payment_method, product,
};
use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::{
    auth::OrgActor,
    error::{AppError, AppResult, Invalid},
    service::catalog,
};

/// R24: the product is eligible, and the organization's policy allows it.
pub(super) async fn check_product(
    txn: &DatabaseTransaction,
    org: &OrgActor,
    product: &product::Model,
) -> AppResult<()> {
    if !product.self_service_eligible {
        return Err(AppError::NotSelfServiceEligible);
    }
    if !catalog::self_service_allowed(txn, org.organization_id, product.id).await? {
        return Err(AppError::SelfServiceNotAllowed);
    }
    Ok(())
}

/// R25: self-service purchases are paid from the buyer's own profile; org
/// purchases from an org profile (R1: plain users buy self-service only).
pub(super) fn check_profile_fits(channel: Channel, org: &OrgActor, profile: &billing_profile::Model) -> AppResult<()> {
    let own_profile = profile.owner_user_id == Some(org.user_id);
    match channel {
        Channel::SelfService if !own_profile => Err(AppError::Forbidden),
        Channel::Direct | Channel::Partner | Channel::Proposal if profile.owner_user_id.is_some() => {
            Err(AppError::Forbidden)
        }
        _ => Ok(()),
    }
}

/// R12: a payment method on the profile (R25: a card for self-service).
pub(super) async fn check_payment_method(
    txn: &DatabaseTransaction,
    channel: Channel,
    profile: &billing_profile::Model,
) -> AppResult<()> {
    let method = match profile.current_payment_method_id {
        Some(id) => payment_method::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    match method {
        None => Err(AppError::validation("billingProfileId.paymentMethod", Invalid::Required)),
        Some(m) if channel == Channel::SelfService && m.kind != PaymentMethodKind::CreditCard => {
            Err(AppError::validation("billingProfileId.paymentMethod", Invalid::NotAllowed))
        }
        Some(_) => Ok(()),
    }
}
