//! Test fixtures for the rules' decision tables: one customer organization
//! ("Contoso"), another ("Northwind"), a partner tenant, a publisher and the
//! marketplace, with callers of every kind and rows that belong to them.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    billing_profile,
    enums::{
        BillingTerm, Channel, InvoiceStatus, OrgRole, PartnerRelationshipStatus, PaymentMethodKind, PricingModel,
        ProposalStatus, SubscriptionStatus,
    },
    invoice, partner_relationship, payment_method, product, proposal, subscription, user,
};
use uuid::Uuid;

use crate::auth::{Actor, OperatorActor, OrgActor, PartnerActor, PublisherActor};

pub const ORG: Uuid = Uuid::from_u128(0x1000);
pub const OTHER_ORG: Uuid = Uuid::from_u128(0x2000);
pub const PARTNER: Uuid = Uuid::from_u128(0x3000);
pub const OTHER_PARTNER: Uuid = Uuid::from_u128(0x3100);
pub const PUBLISHER: Uuid = Uuid::from_u128(0x4000);
pub const OTHER_PUBLISHER: Uuid = Uuid::from_u128(0x4100);
pub const MARKETPLACE: Uuid = Uuid::from_u128(0x5000);

/// The user every `org_*` caller is (so rows can name "the caller").
pub const ME: Uuid = Uuid::from_u128(0x1001);
pub const SOMEONE_ELSE: Uuid = Uuid::from_u128(0x1002);

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
}

pub fn in_org(organization_id: Uuid, roles: &[OrgRole]) -> Actor {
    Actor::Org(OrgActor { user_id: ME, organization_id, roles: roles.to_vec() })
}

pub fn global_admin() -> Actor {
    in_org(ORG, &[OrgRole::GlobalAdmin])
}
pub fn billing_admin() -> Actor {
    in_org(ORG, &[OrgRole::BillingAdmin])
}
pub fn license_admin() -> Actor {
    in_org(ORG, &[OrgRole::LicenseAdmin])
}
pub fn plain_user() -> Actor {
    in_org(ORG, &[])
}
pub fn other_org_admin() -> Actor {
    in_org(OTHER_ORG, &[OrgRole::GlobalAdmin])
}
pub fn partner(partner_id: Uuid, roles: &[OrgRole]) -> Actor {
    Actor::Partner(PartnerActor {
        tenant: OrgActor { user_id: ME, organization_id: partner_id, roles: roles.to_vec() },
    })
}
pub fn publisher(publisher_id: Uuid) -> Actor {
    Actor::Publisher(PublisherActor { user_id: ME, publisher_id })
}
pub fn operator() -> Actor {
    Actor::Operator(OperatorActor { user_id: ME, marketplace_id: MARKETPLACE })
}

/// Every kind of caller, labelled, in a fixed order for the tables.
pub fn everyone() -> Vec<(&'static str, Actor)> {
    vec![
        ("GLOBAL_ADMIN", global_admin()),
        ("BILLING_ADMIN", billing_admin()),
        ("LICENSE_ADMIN", license_admin()),
        ("USER", plain_user()),
        ("OTHER_ORG_ADMIN", other_org_admin()),
        ("PARTNER_ADMIN", partner(PARTNER, &[OrgRole::GlobalAdmin])),
        ("PARTNER_USER", partner(PARTNER, &[])),
        ("OTHER_PARTNER_ADMIN", partner(OTHER_PARTNER, &[OrgRole::GlobalAdmin])),
        ("PUBLISHER", publisher(PUBLISHER)),
        ("OTHER_PUBLISHER", publisher(OTHER_PUBLISHER)),
        ("OPERATOR", operator()),
    ]
}

pub fn profile(organization_id: Uuid, owner: Option<Uuid>) -> billing_profile::Model {
    billing_profile::Model {
        id: Uuid::from_u128(0xb0),
        organization_id,
        owner_user_id: owner,
        name: "Main".into(),
        contact_name: "Pat".into(),
        contact_email: "pat@example.test".into(),
        address_line1: "1 Main Street".into(),
        address_line2: None,
        city: "Springfield".into(),
        region: None,
        postal_code: "12345".into(),
        country: "US".into(),
        currency: "USD".into(),
        po_number: None,
        current_payment_method_id: Some(Uuid::from_u128(0xc0)),
        language: None,
        invoice_hold_reason: None,
        invoice_hold_period: None,
        invoice_hold_since: None,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

pub fn subscription(organization_id: Uuid, channel: Channel, purchaser: Uuid) -> subscription::Model {
    subscription::Model {
        id: Uuid::from_u128(0x50),
        organization_id,
        product_id: Uuid::from_u128(0x60),
        billing_profile_id: Uuid::from_u128(0xb0),
        purchaser_id: purchaser,
        channel,
        partner_name: None,
        partner_id: None,
        partner_tenant_id: None,
        proposal_id: None,
        pricing_model: PricingModel::PerLicense,
        term: BillingTerm::Monthly,
        quantity: Some(1),
        assigned_count: 0,
        unit_price_minor: 1000,
        currency: "USD".into(),
        status: SubscriptionStatus::Active,
        disabled_reason: None,
        disabled_at: None,
        disabled_message: None,
        cancel_reason: None,
        cancel_feedback: None,
        auto_renew: true,
        start_date: day(),
        term_number: 1,
        negotiated_terms: None,
        current_term_start: day(),
        current_term_end: day(),
        activated_at: None,
        setup_completed_at: None,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

pub fn invoice(organization_id: Uuid, billing_profile_id: Uuid) -> invoice::Model {
    invoice::Model {
        id: Uuid::from_u128(0x70),
        organization_id,
        billing_profile_id,
        number: 1,
        period_start: day(),
        issue_date: day(),
        due_date: day(),
        subtotal_minor: 0,
        total_minor: 0,
        currency: "USD".into(),
        status: InvoiceStatus::Open,
        payment_method_id: None,
        payment_method_summary: String::new(),
        paid_at: None,
        paid_by: None,
        last_charge_attempt: None,
        credit_applied_minor: 0,
        credit_carried_minor: 0,
        credit_remaining_minor: 0,
        created_at: epoch(),
    }
}

pub fn payment_method(id: Uuid, billing_profile_id: Uuid) -> payment_method::Model {
    payment_method::Model {
        id,
        billing_profile_id,
        kind: PaymentMethodKind::CheckOrWire,
        card_brand: None,
        card_last4: None,
        card_exp_month: None,
        card_exp_year: None,
        name_on_card: None,
        card_fingerprint: None,
        address_line1: None,
        address_line2: None,
        city: None,
        region: None,
        postal_code: None,
        country: None,
        is_current: true,
        removed_at: None,
        created_at: epoch(),
        updated_at: epoch(),
    }
}

pub fn proposal(organization_id: Uuid, publisher_id: Uuid) -> proposal::Model {
    proposal::Model {
        id: Uuid::from_u128(0x80),
        publisher_id,
        organization_id,
        title: "Offer".into(),
        status: ProposalStatus::Open,
        created_by: SOMEONE_ELSE,
        created_at: epoch(),
        accepted_by: None,
        accepted_at: None,
        expires_at: None,
        declined_by: None,
        declined_at: None,
        decline_reason: None,
    }
}

pub fn relationship(organization_id: Uuid, partner_id: Uuid) -> partner_relationship::Model {
    partner_relationship::Model {
        id: Uuid::from_u128(0x90),
        partner_id,
        organization_id,
        status: PartnerRelationshipStatus::Pending,
        requested_by: SOMEONE_ELSE,
        requested_at: epoch(),
        decided_by: None,
        decided_at: None,
        ended_by: None,
        ended_at: None,
    }
}

pub fn person(organization_id: Option<Uuid>, publisher_id: Option<Uuid>) -> user::Model {
    user::Model {
        id: SOMEONE_ELSE,
        organization_id,
        publisher_id,
        email: "someone@example.test".into(),
        name: "Someone".into(),
        password_hash: String::new(),
        active: true,
        deleted_at: None,
        is_operator: false,
        is_partner: false,
        created_at: epoch(),
        external_id: None,
    }
}

/// Runs `decide` for every caller and compares with `expected` (same order as [`everyone`]).
pub fn table<T: PartialEq + std::fmt::Debug>(rule: &str, expected: &[T], decide: impl Fn(&Actor) -> T) {
    let callers = everyone();
    assert_eq!(callers.len(), expected.len(), "{rule}: one expectation per caller");
    for ((label, actor), want) in callers.iter().zip(expected) {
        assert_eq!(&decide(actor), want, "{rule}: {label}");
    }
}

pub const ALLOW: &str = "ok";
pub const FORBID: &str = "FORBIDDEN";
pub const HIDDEN: &str = "NOT_FOUND";

/// A decision as the API would answer it.
pub fn code<T>(result: &crate::error::AppResult<T>) -> &'static str {
    match result {
        Ok(_) => ALLOW,
        Err(crate::error::AppError::Forbidden) => FORBID,
        Err(crate::error::AppError::NotFound { .. }) => HIDDEN,
        Err(_) => "another error",
    }
}

pub fn product() -> product::Model {
    product::Model {
        id: Uuid::from_u128(0x60),
        publisher_id: PUBLISHER,
        name: "Seat App".into(),
        description: String::new(),
        pricing_model: PricingModel::PerLicense,
        self_service_eligible: true,
        portal_url: String::new(),
        support_url: String::new(),
        support_email: None,
        created_at: epoch(),
        updated_at: epoch(),
    }
}
