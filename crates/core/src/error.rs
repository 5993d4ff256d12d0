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

impl Invalid {
    /// The machine-readable reason (`extensions.reason`, issue 24).
    pub fn code(&self) -> &'static str {
        match self {
            Invalid::Required => "REQUIRED",
            Invalid::TooLong { .. } => "TOO_LONG",
            Invalid::OutOfRange { .. } => "OUT_OF_RANGE",
            Invalid::BadFormat => "BAD_FORMAT",
            Invalid::CardNumber => "CARD_NUMBER",
            Invalid::CardExpired => "CARD_EXPIRED",
            Invalid::NotAllowed => "NOT_ALLOWED",
            Invalid::Duplicate => "DUPLICATE",
            Invalid::RangeOrder => "RANGE_ORDER",
            Invalid::RangeTooLong { .. } => "RANGE_TOO_LONG",
        }
    }
}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, so that tests can check each has its translations.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The machine-readable name (SCREAMING_SNAKE_CASE).
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }
    };
}

closed_set!(
    /// What was not found (`NOT_FOUND`). A closed set so that every noun has a
    /// translation in every language (`crate::i18n`).
    EntityKind {
        /// A publisher's API client (R50).
        ApiClient = "API_CLIENT",
        BillingProfile = "BILLING_PROFILE",
        Event = "EVENT",
        Invoice = "INVOICE",
        /// Any audited object (the audit log's object filter).
        Object = "OBJECT",
        Organization = "ORGANIZATION",
        PartnerRelationship = "PARTNER_RELATIONSHIP",
        PaymentMethod = "PAYMENT_METHOD",
        Product = "PRODUCT",
        Proposal = "PROPOSAL",
        Publisher = "PUBLISHER",
        PurchaseToken = "PURCHASE_TOKEN",
        /// A group of people (R49).
        Group = "GROUP",
        /// An organization's SCIM token (R49).
        ScimToken = "SCIM_TOKEN",
        /// A signed-in session (R47).
        Session = "SESSION",
        Subscription = "SUBSCRIPTION",
        User = "USER",
        WebhookEndpoint = "WEBHOOK_ENDPOINT",
        /// A publisher portal's consent (R53).
        PortalConsent = "PORTAL_CONSENT",
    }
);

closed_set!(
    /// Why an operation is not possible in the object's current state
    /// (`INVALID_STATE`): `code` goes to `extensions.reason`, and the message
    /// says it in words (issue 19, issue 24).
    StateReason {
        /// A subscription that is still waiting for activation.
        SubscriptionPendingActivation = "PENDING_ACTIVATION",
        /// A subscription that is active already (e.g. activating it again).
        SubscriptionActive = "ACTIVE",
        /// A subscription that is disabled (final, R16).
        SubscriptionDisabled = "DISABLED",
        /// An invoice that is not paid yet.
        InvoiceUnpaid = "UNPAID",
        /// An invoice that is paid already.
        InvoicePaid = "PAID",
        /// An invoice that was credited (R44).
        InvoiceCredited = "CREDITED",
        /// A proposal that is still open.
        ProposalOpen = "OPEN",
        /// A proposal that was accepted already.
        ProposalAccepted = "ACCEPTED",
        /// A proposal that was declined.
        ProposalDeclined = "DECLINED",
        /// A proposal whose expiry has passed.
        ProposalExpired = "EXPIRED",
        /// A partner relationship that waits for the customer's decision.
        RelationshipPending = "PENDING",
        /// A partner relationship that is approved (in force).
        RelationshipApproved = "APPROVED",
        /// A partner relationship the customer rejected.
        RelationshipRejected = "REJECTED",
        /// A partner relationship that has ended.
        RelationshipEnded = "ENDED",
        /// An API client its publisher revoked (R50).
        ApiClientRevoked = "REVOKED",
        /// A payment method that billing profiles still use.
        PaymentMethodInUse = "IN_USE",
        /// A payment method that was replaced or removed.
        PaymentMethodReplaced = "REPLACED",
        /// R2: the last OWNER of a billing profile.
        LastOwner = "LAST_OWNER",
        /// R43: the last active GLOBAL_ADMIN of an organization.
        LastGlobalAdmin = "LAST_GLOBAL_ADMIN",
        /// R44: a refund of a credit balance that is zero.
        NoCreditBalance = "NO_CREDIT_BALANCE",
        /// R49: the object changed since the version the client names (SCIM If-Match).
        VersionChanged = "VERSION_CHANGED",
    }
);

closed_set!(
    /// Which limit a document broke (`QUERY_TOO_COMPLEX`; the code goes to
    /// `extensions.reason`, with the measured value and the limit; issue 24).
    ComplexityLimit {
        /// The query text is longer than the byte limit.
        Bytes = "TOO_MANY_BYTES",
        /// Brackets nest deeper than the parser is allowed to go.
        Nesting = "NESTED_TOO_DEEP",
        /// More selections than allowed once fragments are expanded.
        Fields = "TOO_MANY_FIELDS",
        /// More objects than allowed in the response (pages multiplied out).
        Cost = "COST",
        /// More aliased fields than allowed.
        Aliases = "TOO_MANY_ALIASES",
        /// More fields at the root than allowed.
        RootFields = "TOO_MANY_ROOT_FIELDS",
        /// Fields nested deeper than allowed.
        Depth = "TOO_DEEP",
        /// A type nested inside itself more often than allowed.
        Recursion = "RECURSION",
        /// The response would be larger than the response byte budget.
        ResponseBytes = "RESPONSE_TOO_LARGE",
    }
);

closed_set!(
    /// Why a single sign-on was refused (`UNAUTHENTICATED`; the code goes to
    /// `extensions.reason` or the `error` parameter of the redirect, R48).
    /// The cause in detail is logged, never sent.
    SignInRefusal {
        /// The sign-in's `state` or exchange code is unknown, used before or expired.
        StateInvalid = "STATE_INVALID",
        /// The organization has no single sign-on, or it is turned off.
        ProviderDisabled = "PROVIDER_DISABLED",
        /// The provider answered with an error, or could not be reached.
        ProviderError = "PROVIDER_ERROR",
        /// The ID token failed a check: signature, issuer, audience, expiry or nonce.
        IdTokenInvalid = "ID_TOKEN_INVALID",
        /// The e-mail's domain is not one the organization allows.
        DomainNotAllowed = "DOMAIN_NOT_ALLOWED",
        /// The provider says the e-mail address is not verified (or gave none).
        EmailNotVerified = "EMAIL_NOT_VERIFIED",
        /// The e-mail belongs to a user of another tenant, or the user is deactivated.
        AccountNotAllowed = "ACCOUNT_NOT_ALLOWED",
    }
);

impl From<entity::enums::SubscriptionStatus> for StateReason {
    fn from(status: entity::enums::SubscriptionStatus) -> Self {
        use entity::enums::SubscriptionStatus as S;
        match status {
            S::PendingActivation => StateReason::SubscriptionPendingActivation,
            S::Active => StateReason::SubscriptionActive,
            S::Disabled => StateReason::SubscriptionDisabled,
        }
    }
}

impl From<entity::enums::InvoiceStatus> for StateReason {
    fn from(status: entity::enums::InvoiceStatus) -> Self {
        use entity::enums::InvoiceStatus as S;
        match status {
            S::Open | S::Overdue => StateReason::InvoiceUnpaid,
            S::Paid => StateReason::InvoicePaid,
            S::Credited => StateReason::InvoiceCredited,
        }
    }
}

impl From<entity::enums::ProposalStatus> for StateReason {
    fn from(status: entity::enums::ProposalStatus) -> Self {
        use entity::enums::ProposalStatus as S;
        match status {
            S::Open => StateReason::ProposalOpen,
            S::Accepted => StateReason::ProposalAccepted,
            S::Declined => StateReason::ProposalDeclined,
        }
    }
}

impl From<entity::enums::PartnerRelationshipStatus> for StateReason {
    fn from(status: entity::enums::PartnerRelationshipStatus) -> Self {
        use entity::enums::PartnerRelationshipStatus as S;
        match status {
            S::Pending => StateReason::RelationshipPending,
            S::Approved => StateReason::RelationshipApproved,
            S::Rejected => StateReason::RelationshipRejected,
            S::Ended => StateReason::RelationshipEnded,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    Unauthenticated,
    Forbidden,
    /// Issue 24: the server runs only its trusted documents and this is not one
    /// of them (code FORBIDDEN, reason UNTRUSTED_DOCUMENT).
    UntrustedDocument,
    /// Issue 24: schema introspection is turned off on this server (code
    /// FORBIDDEN, reason INTROSPECTION_DISABLED).
    IntrospectionDisabled,
    /// R48: the organization signs in through its identity provider; only
    /// its break-glass admin may use a password (code FORBIDDEN, reason SSO_REQUIRED).
    SsoRequired,
    /// R48: a single sign-on was refused (code UNAUTHENTICATED, the reason in `extensions.reason`).
    SignInRefused {
        reason: SignInRefusal,
    },
    /// `entity` names what was not found; its noun is translated (`crate::i18n`).
    NotFound {
        entity: EntityKind,
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
    /// The object's state does not allow the operation; `reason` says which
    /// state (`extensions.reason`).
    InvalidState {
        reason: StateReason,
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
    /// `limit` says which limit; `actual` is what the document measured (at
    /// least; the walk may stop early) and `max` the limit.
    QueryTooComplex {
        limit: ComplexityLimit,
        actual: u64,
        max: u64,
    },
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
            AppError::Unauthenticated | AppError::SignInRefused { .. } => "UNAUTHENTICATED",
            AppError::Forbidden
            | AppError::UntrustedDocument
            | AppError::IntrospectionDisabled
            | AppError::SsoRequired => "FORBIDDEN",
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
            AppError::QueryTooComplex { .. } => "QUERY_TOO_COMPLEX",
            AppError::Internal(_) => "INTERNAL",
        }
    }
}

impl AppError {
    /// The machine-readable reason of an `INVALID_STATE` error
    /// (`extensions.reason`); every error with that code has one.
    pub fn state_reason(&self) -> Option<StateReason> {
        match self {
            AppError::InvalidState { reason } => Some(*reason),
            AppError::LastOwner => Some(StateReason::LastOwner),
            AppError::LastGlobalAdmin => Some(StateReason::LastGlobalAdmin),
            AppError::NoCreditBalance => Some(StateReason::NoCreditBalance),
            _ => None,
        }
    }
}

impl AppError {
    /// A too-complex document: which limit, what it measured, the limit.
    pub fn too_complex(limit: ComplexityLimit, actual: impl TryInto<u64>, max: impl TryInto<u64>) -> Self {
        AppError::QueryTooComplex {
            limit,
            actual: actual.try_into().unwrap_or(u64::MAX),
            max: max.try_into().unwrap_or(u64::MAX),
        }
    }

    /// The machine-readable reason (`extensions.reason`) of every code that
    /// has more than one cause (issue 24): a console acts on it instead of
    /// parsing the localized message.
    pub fn reason(&self) -> Option<&'static str> {
        if let Some(state) = self.state_reason() {
            return Some(state.code());
        }
        match self {
            AppError::Forbidden => Some("NOT_PERMITTED"),
            AppError::UntrustedDocument => Some("UNTRUSTED_DOCUMENT"),
            AppError::IntrospectionDisabled => Some("INTROSPECTION_DISABLED"),
            AppError::SsoRequired => Some("SSO_REQUIRED"),
            AppError::SignInRefused { reason } => Some(reason.code()),
            AppError::Validation { reason, .. } => Some(reason.code()),
            AppError::CurrencyNotSupported { .. } => Some("NO_PRICE_IN_CURRENCY"),
            AppError::CurrencyFixedForTerm { .. } => Some("CURRENCY_FIXED_FOR_TERM"),
            AppError::QueryTooComplex { limit, .. } => Some(limit.code()),
            _ => None,
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
