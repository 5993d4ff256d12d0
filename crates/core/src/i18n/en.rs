//! English messages (SPEC §10). Every match is exhaustive, so a
//! new error, noun or state reason does not compile until it is worded
//! here; `super::tests` checks that each wording is there and distinct.

use crate::error::{AppError, EntityKind, Invalid, SignInRefusal, StateReason};

use super::plural;

/// The noun, lower case, as it follows "The".
pub(super) fn noun(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::ApiClient => "API client",
        EntityKind::BillingProfile => "billing profile",
        EntityKind::Event => "event",
        EntityKind::Group => "group",
        EntityKind::Invoice => "invoice",
        EntityKind::Object => "object",
        EntityKind::Organization => "organization",
        EntityKind::PartnerRelationship => "partner relationship",
        EntityKind::PaymentMethod => "payment method",
        EntityKind::Product => "product",
        EntityKind::Proposal => "proposal",
        EntityKind::Publisher => "publisher",
        EntityKind::PurchaseToken => "purchase token",
        EntityKind::ScimToken => "directory token",
        EntityKind::Session => "session",
        EntityKind::Subscription => "subscription",
        EntityKind::User => "user",
        EntityKind::WebhookEndpoint => "webhook endpoint",
        EntityKind::PortalConsent => "portal consent",
    }
}

/// Why the object's state does not allow the operation, in words a person
/// can act on (`INVALID_STATE`; the code is in `extensions.reason`).
pub(super) fn state(reason: StateReason) -> &'static str {
    match reason {
        StateReason::SubscriptionPendingActivation => {
            "The subscription has not been activated yet. Activate the app first, then try again."
        }
        StateReason::SubscriptionActive => "The subscription is already active; there is nothing left to activate.",
        StateReason::SubscriptionDisabled => {
            "This is no longer possible: the subscription is disabled. Buy a new subscription to keep using the app."
        }
        StateReason::InvoiceUnpaid => "The invoice has not been paid yet. Pay it first, then try again.",
        StateReason::InvoicePaid => "The invoice has already been paid; there is nothing left to pay.",
        StateReason::InvoiceCredited => "The invoice was credited and owes nothing; there is nothing to pay.",
        StateReason::ProposalOpen => "The proposal is still open. Accept or decline it first.",
        StateReason::ProposalAccepted => {
            "The proposal has already been accepted; its subscriptions are in your subscription list."
        }
        StateReason::ProposalDeclined => {
            "The proposal was declined and can no longer be accepted. Ask the partner for a new proposal."
        }
        StateReason::ProposalExpired => {
            "The proposal has expired and can no longer be accepted. Ask the partner for a new proposal."
        }
        StateReason::RelationshipPending => {
            "A partner request is already waiting for the customer's decision. Wait for the customer's answer."
        }
        StateReason::RelationshipApproved => "The partner relationship is already approved and in force.",
        StateReason::RelationshipRejected => {
            "The customer rejected this partner request; it can no longer be changed. Send a new request if needed."
        }
        StateReason::RelationshipEnded => {
            "The partner relationship has ended and can no longer be changed. Send a new request to work for this customer again."
        }
        StateReason::ApiClientRevoked => {
            "The API client has been revoked and can no longer be changed. Create a new client instead."
        }
        StateReason::PaymentMethodInUse => {
            "The payment method is still used by a billing profile. Give those profiles another payment method first."
        }
        StateReason::PaymentMethodReplaced => {
            "The payment method has been replaced or removed and can no longer be changed. Use the current payment method."
        }
        StateReason::LastOwner => {
            "The last owner of a billing profile cannot be removed. Make someone else an owner first."
        }
        StateReason::LastGlobalAdmin => {
            "The organization's last global admin cannot be deactivated, deleted or demoted. Make someone else a global admin first."
        }
        StateReason::VersionChanged => {
            "This object was changed since you read it. Read it again and repeat the change."
        }
        StateReason::NoCreditBalance => "This billing profile has no credit balance to refund.",
    }
}

/// Why a single sign-on was refused (R48).
pub(super) fn sign_in_refusal(reason: SignInRefusal) -> &'static str {
    match reason {
        SignInRefusal::StateInvalid => "This sign-in link has expired or was used already. Start signing in again.",
        SignInRefusal::ProviderDisabled => {
            "Single sign-on is not turned on for this organization. Sign in with your password or ask an administrator."
        }
        SignInRefusal::ProviderError => {
            "Your organization's identity provider did not complete the sign-in. Try again, or ask an administrator to check the single sign-on settings."
        }
        SignInRefusal::IdTokenInvalid => {
            "The identity provider's answer could not be verified, so you were not signed in. Ask an administrator to check the single sign-on settings."
        }
        SignInRefusal::DomainNotAllowed => {
            "Your e-mail address's domain is not allowed to sign in to this organization. Ask an administrator to allow it."
        }
        SignInRefusal::EmailNotVerified => {
            "Your identity provider has not verified your e-mail address. Verify it there, then sign in again."
        }
        SignInRefusal::AccountNotAllowed => {
            "This account cannot sign in to this organization (it belongs elsewhere or is deactivated). Ask an administrator."
        }
    }
}

/// The message for `err` (`Internal` never reveals its cause).
pub(super) fn message(err: &AppError) -> String {
    match err {
        AppError::SsoRequired => "Your organization signs in through its identity provider. Use single sign-on instead of a password.".into(),
        AppError::SignInRefused { reason } => sign_in_refusal(*reason).into(),
        AppError::Unauthenticated => "You are not signed in or your session has expired. Sign in and try again.".into(),
        AppError::Forbidden => {
            "You do not have permission to do this. Ask an administrator of your organization for access.".into()
        }
        AppError::UntrustedDocument => "This server runs only its trusted (persisted) documents, and this document is not one of them. Use an operation the application was built with.".into(),
        AppError::IntrospectionDisabled => "Schema introspection is turned off on this server. Use the schema file published with the API (schema.graphql).".into(),
        AppError::NotFound { entity } => format!("The {} was not found.", noun(*entity)),
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "is required.".to_string(),
                Invalid::TooLong { max } => {
                    format!("is too long (at most {max} characters or items).")
                }
                Invalid::OutOfRange { min, max } => format!("must be between {min} and {max}."),
                Invalid::BadFormat => "is not in the expected format.".into(),
                Invalid::CardNumber => "is not a valid card number. Check the digits and try again.".into(),
                Invalid::CardExpired => "the card has expired; use another card.".into(),
                Invalid::NotAllowed => "this value is not allowed here.".into(),
                Invalid::Duplicate => "this value is already in use.".into(),
                Invalid::RangeOrder => "the start date must not be after the end date.".into(),
                Invalid::RangeTooLong { max_months } => format!("the date range may span at most {max_months} months."),
            };
            format!("Field `{field}`: {why}")
        }
        AppError::AgreementRequired => {
            "Your organization must accept the customer agreement before its first purchase.".into()
        }
        AppError::RegionNotSupported => {
            "This product is not available in your organization's country or region.".into()
        }
        AppError::CurrencyNotSupported { currency } => format!(
            "The product has no price in {currency} for this term. Choose a billing profile with another currency or another term."
        ),
        AppError::NotSelfServiceEligible => {
            "This product cannot be bought through self-service. Ask an administrator or your partner to buy it.".into()
        }
        AppError::SelfServiceNotAllowed => {
            "Self-service purchases are turned off for your organization. Ask an administrator to buy it for you."
                .into()
        }
        AppError::SubscriptionNotActive => {
            "The subscription is not active yet; licenses can be assigned once the app has been activated.".into()
        }
        AppError::SubscriptionDisabled => {
            "The subscription is disabled and can no longer be changed. Buy a new subscription to keep using the app."
                .into()
        }
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "The subscription is billed in {currency}, and a subscription's currency is fixed for its term; it cannot move to a billing profile that bills in {target}. Choose a profile that bills in {currency}."
        ),
        AppError::NoCreditBalance => state(StateReason::NoCreditBalance).into(),
        AppError::LastOwner => state(StateReason::LastOwner).into(),
        AppError::LastGlobalAdmin => state(StateReason::LastGlobalAdmin).into(),
        AppError::InvalidState { reason } => state(*reason).into(),
        AppError::NotSeatBased => {
            "This subscription is not licensed per user, so its license quantity cannot be changed.".into()
        }
        AppError::QuantityBelowAssigned { assigned, to_unassign } => format!(
            "The new total is below the {assigned} {} assigned now; unassign {to_unassign} {} first.",
            plural(*assigned, "license", "licenses"),
            plural(*to_unassign, "license", "licenses"),
        ),
        AppError::TooManyUsers { max } => {
            format!("Too many users in one request: at most {max} at a time. Split the list into smaller batches.")
        }
        AppError::UserNotInOrganization => {
            "The user does not belong to this organization. Add the user to the organization first.".into()
        }
        AppError::InsufficientLicenses { available } => {
            format!("Not enough licenses: only {available} available.")
        }
        AppError::PaymentDeclined => {
            "The payment was declined. Check the payment details or use another payment method.".into()
        }
        AppError::IdempotencyConflict => {
            "This idempotency key was already used for a different request. Use a new key for a new request.".into()
        }
        AppError::RateLimited => "Too many requests. Wait a moment and try again.".into(),
        AppError::QueryTooComplex { .. } => {
            "The query is too complex or too deeply nested. Ask for fewer fields or split it into several queries."
                .into()
        }
        AppError::Internal(_) => "An internal error occurred.".into(),
    }
}
