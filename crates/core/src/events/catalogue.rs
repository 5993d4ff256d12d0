//! R45: the event catalogue — which audited changes become events, and who
//! may receive each. The mapping from audit action to event type lives here
//! only, so services need not know events exist (they call `audit::record`).

use serde::{Deserialize, Serialize};

/// What happened, in live events and publisher webhooks (R45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    SubscriptionPurchased,
    SubscriptionActivated,
    SubscriptionQuantityChanged,
    LicensesAssigned,
    LicensesUnassigned,
    SubscriptionAutoRenewChanged,
    SubscriptionBillingProfileChanged,
    SubscriptionRenewed,
    SubscriptionCanceled,
    SubscriptionExpired,
    SubscriptionDisabledForPayment,
    InvoiceIssued,
    InvoicePaid,
    InvoiceOverdue,
}

/// Audit action (R36) → event type. Several actions may raise one type.
const FROM_AUDIT: &[(&str, EventType)] = &[
    ("subscription.purchase", EventType::SubscriptionPurchased),
    ("subscription.activate", EventType::SubscriptionActivated),
    ("subscription.change_quantity", EventType::SubscriptionQuantityChanged),
    ("subscription.assign_licenses", EventType::LicensesAssigned),
    ("subscription.unassign_licenses", EventType::LicensesUnassigned),
    ("subscription.set_auto_renew", EventType::SubscriptionAutoRenewChanged),
    ("subscription.change_billing_profile", EventType::SubscriptionBillingProfileChanged),
    ("subscription.renew", EventType::SubscriptionRenewed),
    ("subscription.cancel", EventType::SubscriptionCanceled),
    ("subscription.expire", EventType::SubscriptionExpired),
    // Issue 11: ended at term end because it could not renew (disabledReason NOT_RENEWABLE).
    ("subscription.not_renewable", EventType::SubscriptionExpired),
    ("subscription.disable_payment_not_current", EventType::SubscriptionDisabledForPayment),
    ("invoice.issue", EventType::InvoiceIssued),
    ("invoice.pay", EventType::InvoicePaid),
    ("invoice.mark_paid", EventType::InvoicePaid),
    ("invoice.card_charged", EventType::InvoicePaid),
    ("invoice.overdue", EventType::InvoiceOverdue),
];

pub const ALL: &[EventType] = &[
    EventType::SubscriptionPurchased,
    EventType::SubscriptionActivated,
    EventType::SubscriptionQuantityChanged,
    EventType::LicensesAssigned,
    EventType::LicensesUnassigned,
    EventType::SubscriptionAutoRenewChanged,
    EventType::SubscriptionBillingProfileChanged,
    EventType::SubscriptionRenewed,
    EventType::SubscriptionCanceled,
    EventType::SubscriptionExpired,
    EventType::SubscriptionDisabledForPayment,
    EventType::InvoiceIssued,
    EventType::InvoicePaid,
    EventType::InvoiceOverdue,
];

pub fn for_audit_action(action: &str) -> Option<EventType> {
    FROM_AUDIT.iter().find(|(a, _)| *a == action).map(|(_, t)| *t)
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SubscriptionPurchased => "SUBSCRIPTION_PURCHASED",
            EventType::SubscriptionActivated => "SUBSCRIPTION_ACTIVATED",
            EventType::SubscriptionQuantityChanged => "SUBSCRIPTION_QUANTITY_CHANGED",
            EventType::LicensesAssigned => "LICENSES_ASSIGNED",
            EventType::LicensesUnassigned => "LICENSES_UNASSIGNED",
            EventType::SubscriptionAutoRenewChanged => "SUBSCRIPTION_AUTO_RENEW_CHANGED",
            EventType::SubscriptionBillingProfileChanged => "SUBSCRIPTION_BILLING_PROFILE_CHANGED",
            EventType::SubscriptionRenewed => "SUBSCRIPTION_RENEWED",
            EventType::SubscriptionCanceled => "SUBSCRIPTION_CANCELED",
            EventType::SubscriptionExpired => "SUBSCRIPTION_EXPIRED",
            EventType::SubscriptionDisabledForPayment => "SUBSCRIPTION_DISABLED_FOR_PAYMENT",
            EventType::InvoiceIssued => "INVOICE_ISSUED",
            EventType::InvoicePaid => "INVOICE_PAID",
            EventType::InvoiceOverdue => "INVOICE_OVERDUE",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        ALL.iter().copied().find(|t| t.as_str() == text)
    }

    /// A billing event: only those who may see the organization's billing get
    /// it, never a LICENSE_ADMIN (R37), and never a publisher.
    pub fn is_billing(self) -> bool {
        matches!(
            self,
            EventType::SubscriptionBillingProfileChanged
                | EventType::InvoiceIssued
                | EventType::InvoicePaid
                | EventType::InvoiceOverdue
        )
    }

    /// Publishers receive every non-billing event about their products' subscriptions.
    pub fn reaches_publisher(self) -> bool {
        !self.is_billing()
    }

    pub fn is_license_event(self) -> bool {
        matches!(self, EventType::LicensesAssigned | EventType::LicensesUnassigned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_and_every_mapped_action_is_in_the_catalogue() {
        for t in ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_value(t).ok(), Some(serde_json::Value::String(t.as_str().to_owned())));
        }
        for (_, t) in FROM_AUDIT {
            assert!(ALL.contains(t));
        }
        assert_eq!(for_audit_action("user.create"), None);
        assert_eq!(for_audit_action("invoice.card_charged"), Some(EventType::InvoicePaid));
    }

    #[test]
    fn billing_events_never_reach_publishers() {
        for t in ALL {
            assert!(!(t.is_billing() && t.reaches_publisher()), "{t:?}");
        }
    }
}
