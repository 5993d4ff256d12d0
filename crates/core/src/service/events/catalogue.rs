//! R45: the event catalogue — which audited changes become events, and who
//! may receive each. The mapping from audit action (an enum, R36) to event
//! type lives here only and is exhaustive, so services need not know events
//! exist (they call `audit::record`) and no action can be forgotten.

use crate::{domain::events::EventType, service::audit::AuditAction};

/// Audit action (R36) → event type (R45). Several actions may raise one
/// type. The match is exhaustive: a new action does not compile until it is
/// decided here whether publishers and consoles hear of it.
pub fn for_audit_action(action: AuditAction) -> Option<EventType> {
    use AuditAction as A;
    Some(match action {
        A::SubscriptionPurchase => EventType::SubscriptionPurchased,
        A::SubscriptionActivate => EventType::SubscriptionActivated,
        // Issue 25 item 4: the publisher finished setting it up in its portal.
        A::SubscriptionSetupComplete => EventType::SubscriptionSetupCompleted,
        A::SubscriptionChangeQuantity => EventType::SubscriptionQuantityChanged,
        A::SubscriptionAssignLicenses => EventType::LicensesAssigned,
        // Issue 19: a deleted user's licenses are released (R43); consoles and
        // publishers see the assigned count drop like any unassignment.
        // Issue 22: a license reclaimed because it went unused.
        A::SubscriptionUnassignLicenses | A::SubscriptionReleaseLicense | A::SubscriptionReclaimLicense => {
            EventType::LicensesUnassigned
        }
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
        // Issue 26 item 3: the billing run cannot issue the profile's invoice.
        A::BillingProfileInvoiceHeld => EventType::InvoiceHeld,
        // Not events: changes no live feed or webhook reports.
        A::ApiClientCreate
        | A::ApiClientRevoke
        | A::ApiClientRotateSecret
        | A::BillingProfileCreate
        | A::BillingProfileCreditApplied
        | A::BillingProfileCreditCarried
        | A::BillingProfileCreditRefund
        | A::BillingProfileUpdate
        | A::BillingRoleGrant
        | A::BillingRoleRevoke
        | A::CustomerAgreementAccept
        | A::CustomerAgreementAcceptSelfService
        | A::GroupAssignSubscription
        | A::GroupCreate
        | A::GroupDelete
        | A::GroupUnassignSubscription
        | A::GroupUpdate
        | A::GroupUpdateMembers
        | A::InvoiceCardDeclined
        | A::OperatorCreate
        | A::OrganizationConfigureSso
        | A::OrganizationNoticeSetting
        | A::OrganizationReclaimPolicy
        | A::OrganizationRegister
        | A::OrganizationRemoveSso
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
        | A::ScimTokenCreate
        | A::ScimTokenRevoke
        | A::SelfServicePolicySet
        | A::SubscriptionActivationLink
        | A::UserChangePassword
        | A::UserCreate
        | A::UserDeactivate
        | A::UserDelete
        | A::UserEndSessions
        | A::UserLinkSso
        | A::UserReactivate
        | A::UserSetRoles
        | A::UserUpdate
        | A::WebhookEndpointCreate
        | A::WebhookEndpointDelete
        | A::WebhookEndpointRedeliver
        | A::WebhookEndpointRotateSecret
        | A::WebhookEndpointSetEnabled
        | A::ApiClientUpdate
        | A::PortalConsentGrant
        | A::PortalConsentRevoke => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_action_is_in_the_catalogue() {
        for action in AuditAction::ALL {
            if let Some(t) = for_audit_action(*action) {
                assert!(EventType::ALL.contains(&t), "{action:?}");
            }
        }
        assert_eq!(for_audit_action(AuditAction::UserCreate), None);
        assert_eq!(for_audit_action(AuditAction::InvoiceCardCharged), Some(EventType::InvoicePaid));
    }

    #[test]
    fn every_event_type_is_raised_by_some_action() {
        // R45: a type no action raises would never be delivered.
        for t in EventType::ALL {
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
}
