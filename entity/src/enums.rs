//! Closed sets stored as strings. They carry no secrets, so the same enums are
//! the GraphQL enums (one definition, no mapping layer).

use async_graphql::Enum;
use sea_orm::entity::prelude::*;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, serde::Serialize, serde::Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value,)+ }
            }
        }
    };
}

string_enum!(
    /// Organization roles (R1). `User` is what everyone is; it is never stored.
    OrgRole { GlobalAdmin = "GLOBAL_ADMIN", BillingAdmin = "BILLING_ADMIN", LicenseAdmin = "LICENSE_ADMIN", User = "USER" }
);
string_enum!(
    /// R5
    PricingModel { FlatRate = "FLAT_RATE", PerLicense = "PER_LICENSE" }
);
string_enum!(
    /// What kind of tenant an organization row is: a customer, or a partner
    /// that buys for customers (R39).
    OrganizationKind { Customer = "CUSTOMER", Partner = "PARTNER" }
);
string_enum!(
    /// R39: where a partner's request to work for a customer stands.
    PartnerRelationshipStatus { Pending = "PENDING", Approved = "APPROVED", Rejected = "REJECTED", Ended = "ENDED" }
);
string_enum!(
    /// R6
    BillingTerm { Monthly = "MONTHLY", Annual = "ANNUAL" }
);
string_enum!(
    /// R9
    Channel { Direct = "DIRECT", Partner = "PARTNER", Proposal = "PROPOSAL", SelfService = "SELF_SERVICE" }
);
string_enum!(
    /// R14–R16
    SubscriptionStatus { PendingActivation = "PENDING_ACTIVATION", Active = "ACTIVE", Disabled = "DISABLED" }
);
string_enum!(
    /// R15; NOT_RENEWABLE: auto-renew was on but the term could not renew (issue 11)
    DisabledReason { Canceled = "CANCELED", Expired = "EXPIRED", PaymentNotCurrent = "PAYMENT_NOT_CURRENT", NotRenewable = "NOT_RENEWABLE" }
);
string_enum!(
    /// R35
    CancelReason {
        NoLongerNeeded = "NO_LONGER_NEEDED",
        TooExpensive = "TOO_EXPENSIVE",
        SwitchingProduct = "SWITCHING_PRODUCT",
        MissingFeatures = "MISSING_FEATURES",
        Other = "OTHER",
    }
);
string_enum!(
    /// R2
    BillingRole { Owner = "OWNER", Contributor = "CONTRIBUTOR", Reader = "READER", InvoiceManager = "INVOICE_MANAGER" }
);
string_enum!(
    /// R29
    PaymentMethodKind { CreditCard = "CREDIT_CARD", CheckOrWire = "CHECK_OR_WIRE" }
);
string_enum!(
    /// R31; CREDITED (R44): credits exceeded charges, the rest went to the profile's credit balance
    InvoiceStatus { Open = "OPEN", Paid = "PAID", Overdue = "OVERDUE", Credited = "CREDITED" }
);
string_enum!(
    /// R30: why a charge or credit row exists.
    ChargeKind {
        FirstTerm = "FIRST_TERM",
        Renewal = "RENEWAL",
        QuantityIncrease = "QUANTITY_INCREASE",
        QuantityDecrease = "QUANTITY_DECREASE",
        CancellationCredit = "CANCELLATION_CREDIT",
    }
);
string_enum!(
    ProposalStatus { Open = "OPEN", Accepted = "ACCEPTED" }
);

impl InvoiceStatus {
    /// PAID or CREDITED: nothing is owed on it (R31, R44).
    pub fn is_settled(self) -> bool {
        matches!(self, InvoiceStatus::Paid | InvoiceStatus::Credited)
    }
}

impl BillingTerm {
    /// R30: a monthly term is one month, an annual term twelve.
    pub fn months(self) -> u32 {
        match self {
            BillingTerm::Monthly => 1,
            BillingTerm::Annual => 12,
        }
    }
}
