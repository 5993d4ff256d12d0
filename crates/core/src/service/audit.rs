//! R36: every state change writes an append-only audit event in the same
//! transaction as the change. Snapshots never hold card numbers or security
//! codes (R29): callers pass the public view of an object.

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::{auth::Actor, error::AppResult};

macro_rules! audit_actions {
    ($($variant:ident = $text:literal,)+) => {
        /// What an audit event (R36) records. A closed set the compiler
        /// checks: a misspelt action does not compile, and
        /// `events::catalogue::for_audit_action` must decide for every action
        /// whether it is an event (R45). The stored text is `as_str`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)+
        }

        impl AuditAction {
            /// Every action, in catalogue order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            /// The text stored in `audit_events.action` and shown in the audit log.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $text,)+
                }
            }

            /// The action a stored text names, if any.
            pub fn parse(text: &str) -> Option<AuditAction> {
                Self::ALL.iter().copied().find(|a| a.as_str() == text)
            }
        }
    };
}

audit_actions! {
    ApiClientCreate = "api_client.create",
    ApiClientRevoke = "api_client.revoke",
    ApiClientRotateSecret = "api_client.rotate_secret",
    BillingProfileCreate = "billing_profile.create",
    BillingProfileCreditApplied = "billing_profile.credit_applied",
    BillingProfileCreditCarried = "billing_profile.credit_carried",
    BillingProfileCreditRefund = "billing_profile.credit_refund",
    BillingProfileInvoiceHeld = "billing_profile.invoice_held",
    BillingProfileUpdate = "billing_profile.update",
    BillingRoleGrant = "billing_role.grant",
    BillingRoleRevoke = "billing_role.revoke",
    CustomerAgreementAccept = "customer_agreement.accept",
    CustomerAgreementAcceptSelfService = "customer_agreement.accept_self_service",
    GroupAssignSubscription = "group.assign_subscription",
    GroupCreate = "group.create",
    GroupDelete = "group.delete",
    GroupUnassignSubscription = "group.unassign_subscription",
    GroupUpdate = "group.update",
    GroupUpdateMembers = "group.update_members",
    InvoiceCardCharged = "invoice.card_charged",
    InvoiceCardDeclined = "invoice.card_declined",
    InvoiceIssue = "invoice.issue",
    InvoiceMarkPaid = "invoice.mark_paid",
    InvoiceOverdue = "invoice.overdue",
    InvoicePay = "invoice.pay",
    OperatorCreate = "operator.create",
    OrganizationConfigureSso = "organization.configure_sso",
    OrganizationNoticeSetting = "organization.notice_setting",
    OrganizationReclaimPolicy = "organization.reclaim_policy",
    OrganizationRegister = "organization.register",
    OrganizationRemoveSso = "organization.remove_sso",
    PartnerRelationshipApprove = "partner_relationship.approve",
    PartnerRelationshipEnd = "partner_relationship.end",
    PartnerRelationshipReject = "partner_relationship.reject",
    PartnerRelationshipRequest = "partner_relationship.request",
    PartnerRegister = "partner.register",
    PaymentMethodAdd = "payment_method.add",
    PaymentMethodRemove = "payment_method.remove",
    PaymentMethodReplace = "payment_method.replace",
    PaymentMethodUpdate = "payment_method.update",
    PaymentMethodUse = "payment_method.use",
    ProductCreate = "product.create",
    ProductUpdate = "product.update",
    ProposalAccept = "proposal.accept",
    ProposalCreate = "proposal.create",
    ProposalDecline = "proposal.decline",
    PublisherRegister = "publisher.register",
    ScimTokenCreate = "scim_token.create",
    ScimTokenRevoke = "scim_token.revoke",
    SelfServicePolicySet = "self_service_policy.set",
    SubscriptionActivate = "subscription.activate",
    SubscriptionActivationLink = "subscription.activation_link",
    SubscriptionReclaimLicense = "subscription.reclaim_license",
    SubscriptionAssignLicenses = "subscription.assign_licenses",
    SubscriptionAutoRenewOffPartnerEnded = "subscription.auto_renew_off_partner_ended",
    SubscriptionCancel = "subscription.cancel",
    SubscriptionChangeBillingProfile = "subscription.change_billing_profile",
    SubscriptionChangeQuantity = "subscription.change_quantity",
    SubscriptionDisablePaymentNotCurrent = "subscription.disable_payment_not_current",
    SubscriptionExpire = "subscription.expire",
    SubscriptionHandOver = "subscription.hand_over",
    SubscriptionNotRenewable = "subscription.not_renewable",
    SubscriptionPurchase = "subscription.purchase",
    SubscriptionReleaseLicense = "subscription.release_license",
    SubscriptionRenew = "subscription.renew",
    SubscriptionSetAutoRenew = "subscription.set_auto_renew",
    SubscriptionSetupComplete = "subscription.setup_complete",
    SubscriptionUnassignLicenses = "subscription.unassign_licenses",
    UserChangePassword = "user.change_password",
    UserCreate = "user.create",
    UserDeactivate = "user.deactivate",
    UserDelete = "user.delete",
    UserEndSessions = "user.end_sessions",
    UserLinkSso = "user.link_sso",
    UserReactivate = "user.reactivate",
    UserSetRoles = "user.set_roles",
    UserUpdate = "user.update",
    WebhookEndpointCreate = "webhook_endpoint.create",
    WebhookEndpointDelete = "webhook_endpoint.delete",
    WebhookEndpointRedeliver = "webhook_endpoint.redeliver",
    WebhookEndpointRotateSecret = "webhook_endpoint.rotate_secret",
    WebhookEndpointSetEnabled = "webhook_endpoint.set_enabled",
    ApiClientUpdate = "api_client.update",
    PortalConsentGrant = "portal_consent.grant",
    PortalConsentRevoke = "portal_consent.revoke",
}

pub struct AuditEntry {
    pub action: AuditAction,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    pub fn new(action: AuditAction, object_type: &'static str, object_id: Uuid) -> Self {
        AuditEntry { action, object_type, object_id, before: None, after: None }
    }
    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }
    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }
}

/// Who the event belongs to: an organization's log, a publisher's, or the system's.
#[derive(Clone, Copy, Debug)]
pub struct AuditScope {
    pub organization_id: Option<Uuid>,
    pub publisher_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
}

impl AuditScope {
    pub fn org(organization_id: Uuid, actor: Option<&Actor>) -> Self {
        AuditScope {
            organization_id: Some(organization_id),
            publisher_id: None,
            actor_user_id: actor.map(Actor::user_id),
        }
    }
    pub fn publisher(publisher_id: Uuid, actor: &Actor) -> Self {
        AuditScope { organization_id: None, publisher_id: Some(publisher_id), actor_user_id: Some(actor.user_id()) }
    }
}

tokio::task_local! {
    /// R53: the channel a change came through when it is not the admin
    /// center, e.g. `{"channel": "PORTAL", "apiClientId": …}`; added to the
    /// `after` snapshot of every audit entry (and so to its event) recorded
    /// inside [`through_channel`].
    static CHANNEL: Value;
}

/// Runs `work` with every audit entry it records naming `channel`.
pub async fn through_channel<F: std::future::Future>(channel: Value, work: F) -> F::Output {
    CHANNEL.scope(channel, work).await
}

/// The entry with the current [`through_channel`] channel (if any) added to
/// its `after` snapshot. Every writer of audit rows calls it: `record` here
/// and the license service's one-statement write batch.
pub fn with_channel(mut entry: AuditEntry) -> AuditEntry {
    if let Ok(Value::Object(channel)) = CHANNEL.try_with(Value::clone) {
        let mut after = match entry.after.take() {
            Some(Value::Object(map)) => map,
            Some(other) => serde_json::Map::from_iter([("value".to_owned(), other)]),
            None => serde_json::Map::new(),
        };
        after.extend(channel);
        entry.after = Some(Value::Object(after));
    }
    entry
}

pub async fn record(
    db: &impl ConnectionTrait,
    scope: AuditScope,
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> AppResult<()> {
    let entry = with_channel(entry);
    // R45: the event, if any, in the same transaction as the change.
    crate::service::events::outbox::record(
        db,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.after.as_ref(),
        now,
    )
    .await?;
    // R52: the notices the change calls for, in the same transaction.
    crate::service::notices::queue_for_audit(db, &scope, &entry, now).await?;
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(scope.organization_id),
        publisher_id: Set(scope.publisher_id),
        actor_user_id: Set(scope.actor_user_id),
        action: Set(entry.action.as_str().to_owned()),
        object_type: Set(entry.object_type.to_owned()),
        object_id: Set(entry.object_id),
        before: Set(entry.before.map(|v| v.to_string())),
        after: Set(entry.after.map(|v| v.to_string())),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Default)]
pub struct AuditFilter {
    pub object_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first: (created_at, id) descending; the seek uses the
/// (organization, created_at, id) indexes.
fn newest_first() -> crate::paging::Keyset {
    use crate::paging::{Direction::Desc, KeyKind, Keyset};
    use sea_orm::ColumnTrait;
    Keyset::new("audit_events:newest")
        .key(audit_event::Column::CreatedAt.into_expr(), Desc, KeyKind::Time)
        .id(audit_event::Column::Id.into_expr(), Desc)
}

/// R36, R37: the events the caller may see (`access::audit_event`), newest first.
pub async fn list(
    state: &crate::service::Services,
    actor: &Actor,
    filter: AuditFilter,
    window: &crate::paging::Window,
) -> AppResult<crate::paging::Page<crate::access::Visible<audit_event::Model>>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    crate::access::audit_event::may_read_log(actor)?;
    let mut query = audit_event::Entity::find();
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(crate::error::AppError::validation("filter.from", crate::error::Invalid::RangeOrder));
    }
    if let Some(id) = filter.object_id {
        query = query.filter(audit_event::Column::ObjectId.eq(id));
    }
    if let Some(object_type) = filter.object_type {
        query = query.filter(audit_event::Column::ObjectType.eq(object_type));
    }
    if let Some(text) = filter.action {
        // An action that does not exist is a typo, not an empty log (issue 19).
        let action = AuditAction::parse(text.trim())
            .ok_or_else(|| crate::error::AppError::validation("filter.action", crate::error::Invalid::NotAllowed))?;
        query = query.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::CreatedAt.lte(to));
    }
    crate::access::audit_event::page(&state.db, actor, query, &newest_first(), window).await
}
