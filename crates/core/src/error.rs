//! One error type for the whole server. Every failure a client can see is an
//! `AppError`; its code (SPEC §10) lives here and nowhere else, and its
//! message is localized by `crate::i18n` when the response is written.

use std::fmt;

/// Why a field was rejected (`VALIDATION_FAILED`). A closed set so that every
/// reason has a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The field is missing or empty.
    Required,
    /// Longer than `max` characters (or items).
    TooLong { max: usize },
    /// A number outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// Not in the expected format (e-mail, country code, URL, date, ID, amount…).
    BadFormat,
    /// A card number that fails the Luhn check or is not 12–19 digits.
    CardNumber,
    /// A card expiration date in the past.
    CardExpired,
    /// A well-formed value that is not allowed here (e.g. a term the product does not offer).
    NotAllowed,
    /// The value is already taken (e.g. an e-mail address).
    Duplicate,
    /// A date range whose start is after its end.
    RangeOrder,
    /// A date range longer than `max_months` months.
    RangeTooLong { max_months: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    Unauthenticated,
    Forbidden,
    /// `entity` is a lower-case noun such as "subscription" or "user".
    NotFound {
        entity: &'static str,
    },
    Validation {
        field: String,
        reason: Invalid,
    },
    AgreementRequired,
    RegionNotSupported,
    CurrencyNotSupported {
        currency: String,
    },
    /// A subscription's currency is fixed for its term: it cannot move to a
    /// profile billing in `target` (code CURRENCY_NOT_SUPPORTED).
    CurrencyFixedForTerm {
        currency: String,
        target: String,
    },
    /// R44: a refund was asked for but the profile has no credit balance (code INVALID_STATE).
    NoCreditBalance,
    NotSelfServiceEligible,
    SelfServiceNotAllowed,
    SubscriptionNotActive,
    SubscriptionDisabled,
    /// The object is in state `state`, which does not allow the operation.
    InvalidState {
        state: String,
    },
    /// R2: the last OWNER of a billing profile cannot be removed (code INVALID_STATE).
    LastOwner,
    /// R43: the last active GLOBAL_ADMIN cannot be deactivated, deleted or demoted (code INVALID_STATE).
    LastGlobalAdmin,
    NotSeatBased,
    /// `to_unassign` licenses must be unassigned before the new total is allowed.
    QuantityBelowAssigned {
        assigned: i64,
        to_unassign: i64,
    },
    TooManyUsers {
        max: usize,
    },
    UserNotInOrganization,
    InsufficientLicenses {
        available: i64,
    },
    PaymentDeclined,
    IdempotencyConflict,
    RateLimited,
    QueryTooComplex,
    /// The cause is logged, never sent to the client.
    Internal(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, reason: Invalid) -> Self {
        AppError::Validation { field: field.into(), reason }
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// The SPEC §10 code carried in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::NotFound { .. } => "NOT_FOUND",
            AppError::Validation { .. } => "VALIDATION_FAILED",
            AppError::AgreementRequired => "AGREEMENT_REQUIRED",
            AppError::RegionNotSupported => "REGION_NOT_SUPPORTED",
            AppError::CurrencyNotSupported { .. } | AppError::CurrencyFixedForTerm { .. } => "CURRENCY_NOT_SUPPORTED",
            AppError::NotSelfServiceEligible => "NOT_SELF_SERVICE_ELIGIBLE",
            AppError::SelfServiceNotAllowed => "SELF_SERVICE_NOT_ALLOWED",
            AppError::SubscriptionNotActive => "SUBSCRIPTION_NOT_ACTIVE",
            AppError::SubscriptionDisabled => "SUBSCRIPTION_DISABLED",
            AppError::InvalidState { .. }
            | AppError::LastOwner
            | AppError::NoCreditBalance
            | AppError::LastGlobalAdmin => "INVALID_STATE",
            AppError::NotSeatBased => "NOT_SEAT_BASED",
            AppError::QuantityBelowAssigned { .. } => "QUANTITY_BELOW_ASSIGNED",
            AppError::TooManyUsers { .. } => "TOO_MANY_USERS",
            AppError::UserNotInOrganization => "USER_NOT_IN_ORGANIZATION",
            AppError::InsufficientLicenses { .. } => "INSUFFICIENT_LICENSES",
            AppError::PaymentDeclined => "PAYMENT_DECLINED",
            AppError::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            AppError::RateLimited => "RATE_LIMITED",
            AppError::QueryTooComplex => "QUERY_TOO_COMPLEX",
            AppError::Internal(_) => "INTERNAL",
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // For logs only: the response writer (graphql::errors) replaces it with
        // the localized message from `crate::i18n`, which depends on this
        // module and not the other way round. Internal causes never reach it.
        match self {
            AppError::Internal(_) => f.write_str("INTERNAL"),
            other => write!(f, "{}: {other:?}", other.code()),
        }
    }
}

impl std::error::Error for AppError {}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
