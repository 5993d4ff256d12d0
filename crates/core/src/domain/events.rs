//! R45: what happened, as live events and publisher webhooks name it, and
//! who may receive each kind. Which audited change raises which event is the
//! service's catalogue (`service::events::catalogue`).

use serde::{Deserialize, Serialize};

/// What happened, in live events and publisher webhooks (R45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    SubscriptionPurchased,
    SubscriptionActivated,
    SubscriptionSetupCompleted,
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
    InvoiceHeld,
}

impl EventType {
    /// Every event type, in catalogue order.
    pub const ALL: &[EventType] = &[
        EventType::SubscriptionPurchased,
        EventType::SubscriptionActivated,
        EventType::SubscriptionSetupCompleted,
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
        EventType::InvoiceHeld,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SubscriptionPurchased => "SUBSCRIPTION_PURCHASED",
            EventType::SubscriptionActivated => "SUBSCRIPTION_ACTIVATED",
            EventType::SubscriptionSetupCompleted => "SUBSCRIPTION_SETUP_COMPLETED",
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
            EventType::InvoiceHeld => "INVOICE_HELD",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == text)
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
                | EventType::InvoiceHeld
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
    fn every_type_round_trips() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_value(t).ok(), Some(serde_json::Value::String(t.as_str().to_owned())));
        }
    }

    #[test]
    fn billing_events_never_reach_publishers() {
        for t in EventType::ALL {
            assert!(!(t.is_billing() && t.reaches_publisher()), "{t:?}");
        }
    }
}
