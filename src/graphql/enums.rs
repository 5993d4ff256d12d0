//! The GraphQL enums. The closed sets themselves are defined where they are
//! stored or decided (`entity::enums`, the core's domain and events); each
//! is mirrored here with its descriptions, and async-graphql's `remote`
//! derive converts between the two with `.into()`, so the core needs no
//! GraphQL.

/// A GraphQL enum mirroring a closed set of the core, variant for variant
/// (the compiler checks that the two lists agree).
macro_rules! graphql_enum {
    ($(#[$meta:meta])* $name:ident = $remote:literal { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[graphql(remote = $remote)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }
    };
}

graphql_enum!(
    /// Organization roles. Every member is a USER; the others are administrator roles granted on top.
    OrgRole = "entity::enums::OrgRole" {
        /// Manages everything in the organization, including users and roles.
        GlobalAdmin,
        /// Manages billing profiles, payment methods and purchases.
        BillingAdmin,
        /// Assigns and takes back licenses.
        LicenseAdmin,
        /// Every member; may use licenses and, where allowed, buy for themselves.
        User,
    }
);
graphql_enum!(
    /// How a product is priced.
    PricingModel = "entity::enums::PricingModel" {
        /// One price for the whole organization, unlimited licenses.
        FlatRate,
        /// A price per license; the buyer chooses how many.
        PerLicense,
    }
);
graphql_enum!(
    /// What kind of tenant an organization row is: a customer, or a partner
    /// that buys for customers.
    OrganizationKind = "entity::enums::OrganizationKind" {
        /// An organization that buys apps for its own people.
        Customer,
        /// A partner that buys for customer organizations that approved it.
        Partner,
    }
);
graphql_enum!(
    /// Where a partner's request to work for a customer stands.
    PartnerRelationshipStatus = "entity::enums::PartnerRelationshipStatus" {
        /// Requested by the partner, waiting for the customer's global admin.
        Pending,
        /// The partner may buy for the customer and manage what it bought.
        Approved,
        /// The customer said no; the partner may ask again.
        Rejected,
        /// The customer ended it; the subscriptions stay, the partner no longer manages them.
        Ended,
    }
);
graphql_enum!(
    /// How long one term of a subscription lasts, and how often it is billed.
    BillingTerm = "entity::enums::BillingTerm" {
        /// Renews and is billed every month.
        Monthly,
        /// Renews every year; the year's price is billed at its start.
        Annual,
    }
);
graphql_enum!(
    /// How a subscription was bought.
    Channel = "entity::enums::Channel" {
        /// Bought by the organization itself.
        Direct,
        /// Bought through a reseller partner (its name is kept).
        Partner,
        /// Bought by accepting a publisher's proposal.
        Proposal,
        /// Bought by a user for their own use with their own card.
        SelfService,
    }
);
graphql_enum!(
    /// Where a subscription stands in its life.
    SubscriptionStatus = "entity::enums::SubscriptionStatus" {
        /// Bought; waiting for the publisher to activate it.
        PendingActivation,
        /// In use: licenses can be assigned.
        Active,
        /// Ended: canceled, expired or unpaid.
        Disabled,
    }
);
graphql_enum!(
    /// Why a subscription was disabled.
    DisabledReason = "entity::enums::DisabledReason" {
        /// Someone canceled it.
        Canceled,
        /// Its term ended without renewal.
        Expired,
        /// An invoice stayed unpaid too long.
        PaymentNotCurrent,
        /// Auto-renew was on, but no price exists any more for its term and currency.
        NotRenewable,
    }
);
graphql_enum!(
    /// Why a customer canceled a subscription.
    CancelReason = "entity::enums::CancelReason" {
        /// The product is no longer needed.
        NoLongerNeeded,
        /// The product costs too much.
        TooExpensive,
        /// Moving to another product.
        SwitchingProduct,
        /// The product lacks something the customer needs.
        MissingFeatures,
        /// Another reason; say which in `feedback`.
        Other,
    }
);
graphql_enum!(
    /// Roles a user can hold on one billing profile.
    BillingRole = "entity::enums::BillingRole" {
        /// Full control of the profile, including its roles.
        Owner,
        /// May buy and manage subscriptions billed to the profile and its payment method, not its roles.
        Contributor,
        /// May only view the profile and its invoices.
        Reader,
        /// May view and pay invoices of the profile.
        InvoiceManager,
    }
);
graphql_enum!(
    /// How a billing profile pays.
    PaymentMethodKind = "entity::enums::PaymentMethodKind" {
        /// Charged to a card when invoiced.
        CreditCard,
        /// Paid by check or bank transfer; an admin marks invoices paid.
        CheckOrWire,
    }
);
graphql_enum!(
    /// Where an invoice stands.
    InvoiceStatus = "entity::enums::InvoiceStatus" {
        /// Issued and not yet paid; not yet due.
        Open,
        /// Paid in full.
        Paid,
        /// Past its due date and unpaid.
        Overdue,
        /// Credits exceeded charges; the rest went to the profile's credit balance.
        Credited,
    }
);
graphql_enum!(
    /// Why a charge or credit row exists.
    ChargeKind = "entity::enums::ChargeKind" {
        FirstTerm,
        Renewal,
        QuantityIncrease,
        QuantityDecrease,
        CancellationCredit,
    }
);
graphql_enum!(
    /// Where a proposal stands.
    ProposalStatus = "entity::enums::ProposalStatus" {
        /// Waiting for the customer to accept.
        Open,
        /// Accepted: its subscriptions exist.
        Accepted,
        /// The customer turned the proposal down, giving a reason; it can no longer be accepted.
        Declined,
    }
);
graphql_enum!(
    /// A sales market. GraphQL names (and DB codes) are SCREAMING_SNAKE_CASE,
    /// e.g. `PUERTO_RICO`, `WESTERN_EUROPE`.
    Market = "licensedesk_core::domain::markets::Market" {
        /// Argentina.
        Argentina,
        /// Australia.
        Australia,
        /// Canada.
        Canada,
        /// Chile.
        Chile,
        /// France.
        France,
        /// Germany.
        Germany,
        /// Greece.
        Greece,
        /// Puerto Rico.
        PuertoRico,
        /// South Africa.
        SouthAfrica,
        /// United Kingdom.
        UnitedKingdom,
        /// United States.
        UnitedStates,
        /// Western Europe (the euro countries not listed on their own).
        WesternEurope,
    }
);
graphql_enum!(
    /// Card network, detected from the IIN prefix.
    CardBrand = "licensedesk_core::domain::card::CardBrand" {
        /// Visa.
        Visa,
        /// Mastercard.
        Mastercard,
        /// American Express.
        Amex,
        /// Discover.
        Discover,
        /// Diners Club.
        DinersClub,
        /// JCB.
        Jcb,
        /// A card whose brand the number does not reveal.
        Unknown,
    }
);
graphql_enum!(
    /// What an e-mail notice is about; each organization may turn each kind off.
    NoticeKind = "licensedesk_core::domain::notices::NoticeKind" {
        /// A new invoice, its PDF attached, to the billing profile's contact.
        Invoice,
        /// A card payment of an invoice was declined.
        PaymentDeclined,
        /// An invoice is past its due date and unpaid.
        PaymentOverdue,
        /// A subscription was disabled because payment is not current.
        DisabledForPayment,
        /// An annual subscription renews in 30 days.
        Renewal30,
        /// A subscription renews in 7 days.
        Renewal7,
        /// A person was assigned a license.
        LicenseAssigned,
        /// A license unused for a while will be taken back.
        ReclaimNotice,
        /// A subscription's activation link, to its purchaser.
        ActivationLink,
    }
);
graphql_enum!(
    /// What happened, in live events and publisher webhooks.
    EventType = "licensedesk_core::domain::events::EventType" {
        /// A subscription was bought.
        SubscriptionPurchased,
        /// The publisher activated a subscription.
        SubscriptionActivated,
        /// The publisher finished setting the subscription up in its portal.
        SubscriptionSetupCompleted,
        /// The number of licenses changed.
        SubscriptionQuantityChanged,
        /// Licenses were given to users.
        LicensesAssigned,
        /// Licenses were taken back from users.
        LicensesUnassigned,
        /// Auto-renew was turned on or off.
        SubscriptionAutoRenewChanged,
        /// The subscription moved to another billing profile.
        SubscriptionBillingProfileChanged,
        /// A new term started.
        SubscriptionRenewed,
        /// The subscription was canceled.
        SubscriptionCanceled,
        /// The term ended without renewal.
        SubscriptionExpired,
        /// Disabled because an invoice stayed unpaid.
        SubscriptionDisabledForPayment,
        /// An invoice was issued.
        InvoiceIssued,
        /// An invoice was paid.
        InvoicePaid,
        /// An invoice passed its due date unpaid.
        InvoiceOverdue,
        /// The billing run cannot issue a billing profile's invoice (issue 26): see `BillingProfile.invoiceHold`.
        InvoiceHeld,
    }
);

/// `.into()` through the containers resolvers pass enums in.
pub trait MapInto<T> {
    fn map_into(self) -> T;
}

impl<A: Into<B>, B> MapInto<Option<B>> for Option<A> {
    fn map_into(self) -> Option<B> {
        self.map(Into::into)
    }
}

impl<A: Into<B>, B> MapInto<Vec<B>> for Vec<A> {
    fn map_into(self) -> Vec<B> {
        self.into_iter().map(Into::into).collect()
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;
    use licensedesk_core::domain::{card::CardBrand as CardBrandCode, markets::Market as MarketCode};

    use super::*;

    #[test]
    fn graphql_names_match_codes() {
        let items = <Market as EnumType>::items();
        assert_eq!(items.len(), 12);
        for item in items {
            assert_eq!(item.name, MarketCode::from(item.value).code());
        }
        let names: Vec<&str> = items.iter().map(|i| i.name).collect();
        assert_eq!(
            names,
            [
                "ARGENTINA",
                "AUSTRALIA",
                "CANADA",
                "CHILE",
                "FRANCE",
                "GERMANY",
                "GREECE",
                "PUERTO_RICO",
                "SOUTH_AFRICA",
                "UNITED_KINGDOM",
                "UNITED_STATES",
                "WESTERN_EUROPE",
            ]
        );
    }

    #[test]
    fn brand_codes_match_graphql() {
        let items = <CardBrand as EnumType>::items();
        assert_eq!(items.len(), CardBrandCode::ALL.len());
        for item in items {
            assert_eq!(item.name, CardBrandCode::from(item.value).code());
        }
        assert_eq!(CardBrandCode::DinersClub.code(), "DINERS_CLUB");
    }
}
