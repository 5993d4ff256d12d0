//! Closed sets stored as strings. They carry no secrets, so the same enums are
//! the GraphQL enums (one definition, no mapping layer).

use async_graphql::Enum;
use sea_orm::entity::prelude::*;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Enum, serde::Serialize, serde::Deserialize)]
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
        /// Manages everything in the organization, including users and roles (R1).
        GlobalAdmin = "GLOBAL_ADMIN",
        /// Manages billing profiles, payment methods and purchases (R1).
        BillingAdmin = "BILLING_ADMIN",
        /// Assigns and takes back licenses (R1).
        LicenseAdmin = "LICENSE_ADMIN",
        /// Every member; may use licenses and, where allowed, buy for themselves (R1).
        User = "USER",
    }
);
string_enum!(
    /// How a product is priced (R5).
    PricingModel {
        /// One price for the whole organization, unlimited licenses (R5).
        FlatRate = "FLAT_RATE",
        /// A price per license; the buyer chooses how many (R5).
        PerLicense = "PER_LICENSE",
    }
);
string_enum!(
    /// What kind of tenant an organization row is: a customer, or a partner
    /// that buys for customers (R39).
    OrganizationKind {
        /// An organization that buys apps for its own people.
        Customer = "CUSTOMER",
        /// A partner that buys for customer organizations that approved it.
        Partner = "PARTNER",
    }
);
string_enum!(
    /// R39: where a partner's request to work for a customer stands.
    PartnerRelationshipStatus {
        /// Requested by the partner, waiting for the customer's global admin.
        Pending = "PENDING",
        /// The partner may buy for the customer and manage what it bought.
        Approved = "APPROVED",
        /// The customer said no; the partner may ask again.
        Rejected = "REJECTED",
        /// The customer ended it; the subscriptions stay, the partner no longer manages them.
        Ended = "ENDED",
    }
);
string_enum!(
    /// How long one term of a subscription lasts, and how often it is billed (R6).
    BillingTerm {
        /// Renews and is billed every month.
        Monthly = "MONTHLY",
        /// Renews every year; the year's price is billed at its start.
        Annual = "ANNUAL",
    }
);
string_enum!(
    /// How a subscription was bought (R9).
    Channel {
        /// Bought by the organization itself.
        Direct = "DIRECT",
        /// Bought through a reseller partner (its name is kept).
        Partner = "PARTNER",
        /// Bought by accepting a publisher's proposal.
        Proposal = "PROPOSAL",
        /// Bought by a user for their own use with their own card (R25).
        SelfService = "SELF_SERVICE",
    }
);
string_enum!(
    /// Where a subscription stands in its life (R14–R16).
    SubscriptionStatus {
        /// Bought; waiting for the publisher to activate it (R14).
        PendingActivation = "PENDING_ACTIVATION",
        /// In use: licenses can be assigned.
        Active = "ACTIVE",
        /// Ended: canceled, expired or unpaid (R15).
        Disabled = "DISABLED",
    }
);
string_enum!(
    /// Why a subscription was disabled (R15).
    DisabledReason {
        /// Someone canceled it (R35).
        Canceled = "CANCELED",
        /// Its term ended without renewal.
        Expired = "EXPIRED",
        /// An invoice stayed unpaid too long (R34).
        PaymentNotCurrent = "PAYMENT_NOT_CURRENT",
        /// Auto-renew was on, but no price exists any more for its term and currency.
        NotRenewable = "NOT_RENEWABLE",
    }
);
string_enum!(
    /// Why a customer canceled a subscription (R35).
    CancelReason {
        /// The product is no longer needed.
        NoLongerNeeded = "NO_LONGER_NEEDED",
        /// The product costs too much.
        TooExpensive = "TOO_EXPENSIVE",
        /// Moving to another product.
        SwitchingProduct = "SWITCHING_PRODUCT",
        /// The product lacks something the customer needs.
        MissingFeatures = "MISSING_FEATURES",
        /// Another reason; say which in `feedback`.
        Other = "OTHER",
    }
);
string_enum!(
    /// Roles a user can hold on one billing profile (R2).
    BillingRole {
        /// Full control of the profile, including its roles (R2).
        Owner = "OWNER",
        /// May buy and manage subscriptions billed to the profile and its payment method, not its roles (R2).
        Contributor = "CONTRIBUTOR",
        /// May only view the profile and its invoices (R2).
        Reader = "READER",
        /// May view and pay invoices of the profile (R2).
        InvoiceManager = "INVOICE_MANAGER",
    }
);
string_enum!(
    /// How a billing profile pays (R29).
    PaymentMethodKind {
        /// Charged to a card when invoiced.
        CreditCard = "CREDIT_CARD",
        /// Paid by check or bank transfer; an admin marks invoices paid.
        CheckOrWire = "CHECK_OR_WIRE",
    }
);
string_enum!(
    /// Where an invoice stands (R31, R44).
    InvoiceStatus {
        /// Issued and not yet paid; not yet due.
        Open = "OPEN",
        /// Paid in full.
        Paid = "PAID",
        /// Past its due date and unpaid (R34).
        Overdue = "OVERDUE",
        /// Credits exceeded charges; the rest went to the profile's credit balance (R44).
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
        /// Waiting for the customer to accept.
        Open = "OPEN",
        /// Accepted: its subscriptions exist.
        Accepted = "ACCEPTED",
        /// The customer turned the proposal down, giving a reason (R40); it can no longer be accepted.
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
