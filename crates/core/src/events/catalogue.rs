//! R45: the event catalogue — which audited changes become events, and who
//! may receive each. The mapping from audit action (an enum, R36) to event
//! type lives here only and is exhaustive, so services need not know events
//! exist (they call `audit::record`) and no action can be forgotten.

use serde::{Deserialize, Serialize};

use crate::service::audit::AuditAction;

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

/// Audit action (R36) → event type (R45). Several actions may raise one
/// type. The match is exhaustive: a new action does not compile until it is
/// decided here whether publishers and consoles hear of it.
pub fn for_audit_action(action: AuditAction) -> Option<EventType> {
    use AuditAction as A;
    Some(match action {
        A::SubscriptionPurchase => EventType::SubscriptionPurchased,
        A::SubscriptionActivate => EventType::SubscriptionActivated,
        A::SubscriptionChangeQuantity => EventType::SubscriptionQuantityChanged,
        A::SubscriptionAssignLicenses => EventType::LicensesAssigned,
        // Issue 19: a deleted user's licenses are released (R43); consoles and
        // publishers see the assigned count drop like any unassignment.
        A::SubscriptionUnassignLicenses | A::SubscriptionReleaseLicense => EventType::LicensesUnassigned,
        // Issue 19: auto-renew turned off because the partner relationship
        // ended (R39), or because the self-service purchaser was deleted (R43).
        A::SubscriptionSetAutoRenew | A::SubscriptionAutoRenewOffPartnerEnded | A::SubscriptionHandOver => {
            EventType::SubscriptionAutoRenewChanged
        }
        A::SubscriptionChangeBillingProfile => EventType::SubscriptionBillingProfileChanged,
        A::SubscriptionRenew => EventType::SubscriptionRenewed,
        A::SubscriptionCancel => EventType::SubscriptionCanceled,
        A::SubscriptionExpire => EventType::SubscriptionExpired,
        // Issue 11: ended at term end because it could not renew (disabledReason NOT_RENEWABLE).
        A::SubscriptionNotRenewable => EventType::SubscriptionExpired,
        A::SubscriptionDisablePaymentNotCurrent => EventType::SubscriptionDisabledForPayment,
        A::InvoiceIssue => EventType::InvoiceIssued,
        A::InvoicePay | A::InvoiceMarkPaid | A::InvoiceCardCharged => EventType::InvoicePaid,
        A::InvoiceOverdue => EventType::InvoiceOverdue,
        // Not events: changes no live feed or webhook reports.
        A::BillingProfileCreate
        | A::BillingProfileCreditApplied
        | A::BillingProfileCreditCarried
        | A::BillingProfileCreditRefund
        | A::BillingProfileUpdate
        | A::BillingRoleGrant
        | A::BillingRoleRevoke
        | A::CustomerAgreementAccept
        | A::CustomerAgreementAcceptSelfService
        | A::InvoiceCardDeclined
        | A::OperatorCreate
        | A::OrganizationRegister
        | A::PartnerRelationshipApprove
        | A::PartnerRelationshipEnd
        | A::PartnerRelationshipReject
        | A::PartnerRelationshipRequest
        | A::PartnerRegister
        | A::PaymentMethodAdd
        | A::PaymentMethodRemove
        | A::PaymentMethodReplace
        | A::PaymentMethodUpdate
        | A::PaymentMethodUse
        | A::ProductCreate
        | A::ProductUpdate
        | A::ProposalAccept
        | A::ProposalCreate
        | A::ProposalDecline
        | A::PublisherRegister
        | A::SelfServicePolicySet
        | A::SubscriptionActivationLink
        | A::UserCreate
        | A::UserDeactivate
        | A::UserDelete
        | A::UserReactivate
        | A::UserSetRoles
        | A::WebhookEndpointCreate
        | A::WebhookEndpointDelete
        | A::WebhookEndpointRedeliver
        | A::WebhookEndpointRotateSecret
        | A::WebhookEndpointSetEnabled => return None,
    })
}

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
        for action in AuditAction::ALL {
            if let Some(t) = for_audit_action(*action) {
                assert!(ALL.contains(&t), "{action:?}");
            }
        }
        assert_eq!(for_audit_action(AuditAction::UserCreate), None);
        assert_eq!(for_audit_action(AuditAction::InvoiceCardCharged), Some(EventType::InvoicePaid));
    }

    #[test]
    fn every_event_type_is_raised_by_some_action() {
        // R45: a type no action raises would never be delivered.
        for t in ALL {
            assert!(AuditAction::ALL.iter().any(|a| for_audit_action(*a) == Some(*t)), "{t:?}");
        }
    }

    /// Issue 19: releasing a deleted user's licenses and turning auto-renew
    /// off when a partner relationship ends are events, not silent changes.
    #[test]
    fn issue_19_user_deletion_and_partner_end_raise_events() {
        assert_eq!(for_audit_action(AuditAction::SubscriptionReleaseLicense), Some(EventType::LicensesUnassigned));
        assert_eq!(
            for_audit_action(AuditAction::SubscriptionAutoRenewOffPartnerEnded),
            Some(EventType::SubscriptionAutoRenewChanged)
        );
        assert_eq!(for_audit_action(AuditAction::SubscriptionHandOver), Some(EventType::SubscriptionAutoRenewChanged));
    }

    #[test]
    fn every_action_text_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert!(seen.insert(action.as_str()), "{action:?}");
            assert_eq!(AuditAction::parse(action.as_str()), Some(*action));
        }
    }

    #[test]
    fn billing_events_never_reach_publishers() {
        for t in ALL {
            assert!(!(t.is_billing() && t.reaches_publisher()), "{t:?}");
        }
    }
}
