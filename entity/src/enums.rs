//! Closed sets stored as strings. The server mirrors each as a GraphQL enum
//! (with the descriptions clients read) in its `graphql::enums`.

use sea_orm::entity::prelude::*;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Serialize, serde::Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $value)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $value,)+ }
            }
        }
    };
}

string_enum!(
    /// Organization roles (R1). Every member is a USER; the others are administrator roles granted on top.
    OrgRole {
        GlobalAdmin = "GLOBAL_ADMIN",
        BillingAdmin = "BILLING_ADMIN",
        LicenseAdmin = "LICENSE_ADMIN",
        User = "USER",
    }
);
string_enum!(
    /// How a product is priced (R5).
    PricingModel {
        FlatRate = "FLAT_RATE",
        PerLicense = "PER_LICENSE",
    }
);
string_enum!(
    /// What kind of tenant an organization row is: a customer, or a partner
    /// that buys for customers (R39).
    OrganizationKind {
        Customer = "CUSTOMER",
        Partner = "PARTNER",
    }
);
string_enum!(
    /// R39: where a partner's request to work for a customer stands.
    PartnerRelationshipStatus {
        Pending = "PENDING",
        Approved = "APPROVED",
        Rejected = "REJECTED",
        Ended = "ENDED",
    }
);
string_enum!(
    /// How long one term of a subscription lasts, and how often it is billed (R6).
    BillingTerm {
        Monthly = "MONTHLY",
        Annual = "ANNUAL",
    }
);
string_enum!(
    /// How a subscription was bought (R9).
    Channel {
        Direct = "DIRECT",
        Partner = "PARTNER",
        Proposal = "PROPOSAL",
        SelfService = "SELF_SERVICE",
    }
);
string_enum!(
    /// Where a subscription stands in its life (R14–R16).
    SubscriptionStatus {
        PendingActivation = "PENDING_ACTIVATION",
        Active = "ACTIVE",
        Disabled = "DISABLED",
    }
);
string_enum!(
    /// Why a subscription was disabled (R15).
    DisabledReason {
        Canceled = "CANCELED",
        Expired = "EXPIRED",
        PaymentNotCurrent = "PAYMENT_NOT_CURRENT",
        NotRenewable = "NOT_RENEWABLE",
    }
);
string_enum!(
    /// Why a customer canceled a subscription (R35).
    CancelReason {
        NoLongerNeeded = "NO_LONGER_NEEDED",
        TooExpensive = "TOO_EXPENSIVE",
        SwitchingProduct = "SWITCHING_PRODUCT",
        MissingFeatures = "MISSING_FEATURES",
        Other = "OTHER",
    }
);
string_enum!(
    /// Roles a user can hold on one billing profile (R2).
    BillingRole {
        Owner = "OWNER",
        Contributor = "CONTRIBUTOR",
        Reader = "READER",
        InvoiceManager = "INVOICE_MANAGER",
    }
);
string_enum!(
    /// How a billing profile pays (R29).
    PaymentMethodKind {
        CreditCard = "CREDIT_CARD",
        CheckOrWire = "CHECK_OR_WIRE",
    }
);
string_enum!(
    /// Where an invoice stands (R31, R44).
    InvoiceStatus {
        Open = "OPEN",
        Paid = "PAID",
        Overdue = "OVERDUE",
        Credited = "CREDITED",
    }
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
    /// Where a proposal stands (R9).
    ProposalStatus {
        Open = "OPEN",
        Accepted = "ACCEPTED",
        Declined = "DECLINED",
    }
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
