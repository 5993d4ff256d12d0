//! Billing profiles, roles and payment methods (R2, R28, R29).

use chrono::{NaiveDate, Utc};
use entity::enums::{BillingTerm, Channel, PricingModel, SubscriptionStatus};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

mod lists_and_payment_methods;

const PROFILE: &str = "id name contactName contactEmail currency poNumber isSelfService
    billToAddress { line1 line2 city region postalCode country }
    owner { id }
    paymentMethod { id kind brand last4 expirationMonth expirationYear nameOnCard isCurrent billingAddress { country } }
    roleAssignments { user { id } role grantedAt }
    myRights { canView canManageRoles canUpdate canBuy canManageProducts canManagePaymentMethod canPayInvoices }
    createdAt updatedAt";

const PM: &str = "id kind brand last4 expirationMonth expirationYear nameOnCard isCurrent createdAt
    billingAddress { line1 line2 city region postalCode country }";

const VALID_CARD: &str = "4242424242424242";

fn address(country: &str) -> Value {
    json!({"line1": "Storgatan 1", "line2": null, "city": "Stockholm", "region": null, "postalCode": "111 22", "country": country})
}

fn profile_input(name: &str, country: &str, self_service: bool) -> Value {
    json!({
        "name": name,
        "contactName": "Ada Contact",
        "contactEmail": "billing@example.test",
        "billToAddress": address(country),
        "poNumber": "PO-1",
        "selfService": self_service,
    })
}

fn card(number: &str, security_code: &str, month: i32, year: i32) -> Value {
    json!({"kind": "CREDIT_CARD", "card": {
        "number": number, "securityCode": security_code, "expirationMonth": month, "expirationYear": year,
        "nameOnCard": "Ada Lovelace", "billingAddress": address("SE"),
    }})
}

fn valid_card() -> Value {
    card(VALID_CARD, "123", 12, 2030)
}

const CREATE: &str = "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id currency isSelfService owner { id } roleAssignments { user { id } role } myRights { canView canManageRoles canUpdate canBuy canManageProducts canManagePaymentMethod canPayInvoices } } }";
const GET: &str = "query($id: ID!) { billingProfile(id: $id) { id name currency isSelfService paymentMethod { id last4 isCurrent } roleAssignments { user { id } role } myRights { canView canManageRoles canUpdate canManagePaymentMethod canPayInvoices } } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id name currency poNumber billToAddress { country } } }";
const GRANT: &str = "mutation($p: ID!, $u: ID!, $r: BillingRole!) { grantBillingRole(billingProfileId: $p, userId: $u, role: $r) { id roleAssignments { user { id } role } } }";
const REVOKE: &str = "mutation($p: ID!, $u: ID!, $r: BillingRole!) { revokeBillingRole(billingProfileId: $p, userId: $u, role: $r) { id roleAssignments { user { id } role } } }";
const ADD_PM: &str = "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id kind brand last4 isCurrent } }";
const REPLACE_PM: &str = "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) { id kind brand last4 isCurrent } }";
const UPDATE_PM: &str = "mutation($id: ID!, $i: UpdatePaymentMethodInput!) { updatePaymentMethod(paymentMethodId: $id, input: $i) { id nameOnCard expirationMonth expirationYear isCurrent } }";

async fn create_profile(app: &TestApp, token: &str, name: &str, country: &str, self_service: bool) -> String {
    let data = app.ok(token, CREATE, json!({"i": profile_input(name, country, self_service)})).await;
    data["createBillingProfile"]["id"].as_str().expect("profile id").to_owned()
}

/// Sends a request; Ok(data) on success, Err(code) on an error (with the field for validation errors).
async fn call(app: &TestApp, token: &str, query: &str, variables: Value) -> Result<Value, String> {
    let response = app.gql(Some(token), query, variables).await;
    match response.get("errors").and_then(Value::as_array) {
        Some(errors) if !errors.is_empty() => {
            let ext = &errors[0]["extensions"];
            let code = ext["code"].as_str().unwrap_or("NO_CODE").to_owned();
            Err(match ext["field"].as_str() {
                Some(field) => format!("{code}:{field}"),
                None => code,
            })
        }
        _ => Ok(response["data"].clone()),
    }
}

async fn current_payment_method(app: &TestApp, admin: &str, profile: &str) -> Option<String> {
    let data = app.ok(admin, GET, json!({"id": profile})).await;
    data["billingProfile"]["paymentMethod"]["id"].as_str().map(str::to_owned)
}

async fn holds(app: &TestApp, admin: &str, profile: &str, user: &str, role: &str) -> bool {
    let data = app.ok(admin, GET, json!({"id": profile})).await;
    data["billingProfile"]["roleAssignments"]
        .as_array()
        .expect("assignments")
        .iter()
        .any(|a| a["user"]["id"] == user && a["role"] == role)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    View,
    Update,
    Grant,
    Revoke,
    AddPaymentMethod,
    UpdatePaymentMethod,
    ReplacePaymentMethod,
}

const OPS: [Op; 7] = [
    Op::View,
    Op::Update,
    Op::Grant,
    Op::Revoke,
    Op::AddPaymentMethod,
    Op::UpdatePaymentMethod,
    Op::ReplacePaymentMethod,
];

const OK: &str = "OK";
const FORBIDDEN: &str = "FORBIDDEN";
const NOT_FOUND: &str = "NOT_FOUND";

/// R1, R2, R3: every operation on an org billing profile, by every kind of
/// caller, answers success, FORBIDDEN (can view, lacks the right) or NOT_FOUND
/// (cannot view, or another organization) — and an error changes nothing.
#[tokio::test]
async fn r2_billing_profile_rights_matrix() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let other = app.register_org("Fabrikam", "US").await;
    let publisher = app.register_publisher("Northwind Apps").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    app.ok(&org.admin, ADD_PM, json!({"p": profile, "i": valid_card()})).await;
    let target = app.user(&org, "Target User", &[]).await;

    let mut callers: Vec<(&str, String, [&str; 7])> = Vec::new();
    //                                       view  update     grant      revoke     addPm      updatePm   replacePm
    for (role, expected) in [
        ("OWNER", [OK, OK, OK, OK, OK, OK, OK]),
        ("CONTRIBUTOR", [OK, OK, FORBIDDEN, FORBIDDEN, OK, OK, OK]),
        ("READER", [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
        ("INVOICE_MANAGER", [OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
    ] {
        let person = app.user(&org, &format!("{role} holder"), &[]).await;
        app.ok(&org.admin, GRANT, json!({"p": profile, "u": person.id, "r": role})).await;
        callers.push((role, person.token, expected));
    }
    let billing_admin = app.user(&org, "Billing Admin", &["BILLING_ADMIN"]).await;
    callers.push(("BILLING_ADMIN (R1)", billing_admin.token, [OK; 7]));
    callers.push(("GLOBAL_ADMIN (R1)", org.admin.clone(), [OK; 7]));
    let license_admin = app.user(&org, "License Admin", &["LICENSE_ADMIN"]).await;
    callers.push(("LICENSE_ADMIN without a profile role", license_admin.token, [NOT_FOUND; 7]));
    let plain = app.user(&org, "Plain User", &[]).await;
    callers.push(("USER without a profile role", plain.token, [NOT_FOUND; 7]));
    callers.push(("GLOBAL_ADMIN of another organization (R3)", other.admin.clone(), [NOT_FOUND; 7]));
    callers.push(("publisher (SPEC §1)", publisher.token, [NOT_FOUND; 7]));

    for (who, token, expected) in &callers {
        for (op, want) in OPS.into_iter().zip(expected.iter()) {
            // Arrange: the revoke target holds READER; a current payment method exists.
            if op == Op::Revoke && !holds(&app, &org.admin, &profile, &target.id, "READER").await {
                app.ok(&org.admin, GRANT, json!({"p": profile, "u": target.id, "r": "READER"})).await;
            }
            if op == Op::Grant && holds(&app, &org.admin, &profile, &target.id, "READER").await {
                app.ok(&org.admin, REVOKE, json!({"p": profile, "u": target.id, "r": "READER"})).await;
            }
            let current = current_payment_method(&app, &org.admin, &profile).await.expect("current method");
            let audit_before = app.count("audit_events").await;
            let methods_before = app.count("payment_methods").await;
            let result = match op {
                Op::View => call(&app, token, GET, json!({"id": profile})).await,
                Op::Update => {
                    call(&app, token, UPDATE, json!({"id": profile, "i": {"name": format!("Renamed by {who}")}})).await
                }
                Op::Grant => call(&app, token, GRANT, json!({"p": profile, "u": target.id, "r": "READER"})).await,
                Op::Revoke => call(&app, token, REVOKE, json!({"p": profile, "u": target.id, "r": "READER"})).await,
                Op::AddPaymentMethod => call(&app, token, ADD_PM, json!({"p": profile, "i": valid_card()})).await,
                Op::UpdatePaymentMethod => {
                    call(&app, token, UPDATE_PM, json!({"id": current, "i": {"nameOnCard": format!("Card of {who}")}}))
                        .await
                }
                Op::ReplacePaymentMethod => {
                    call(
                        &app,
                        token,
                        REPLACE_PM,
                        json!({"p": profile, "i": card("5555 5555 5555 4444", "321", 1, 2031)}),
                    )
                    .await
                }
            };
            let got = match &result {
                Ok(_) => OK.to_owned(),
                Err(code) => code.clone(),
            };
            assert_eq!(&got, want, "R2: {who} {op:?} should answer {want}");
            let audit_after = app.count("audit_events").await;
            let methods_after = app.count("payment_methods").await;
            match (op, &result) {
                (Op::View, Ok(data)) => {
                    assert_eq!(data["billingProfile"]["id"], profile.as_str());
                    assert_eq!(audit_after, audit_before, "R36: reading writes no audit event");
                }
                (_, Ok(_)) => {
                    assert_eq!(audit_after, audit_before + 1, "R36: {who} {op:?} writes one audit event");
                }
                (_, Err(_)) => {
                    assert_eq!(audit_after, audit_before, "{who} {op:?} failed, so nothing is audited");
                    assert_eq!(methods_after, methods_before, "{who} {op:?} failed, so no payment method is added");
                }
            }
            match (op, &result) {
                (Op::Grant, Ok(_)) => assert!(holds(&app, &org.admin, &profile, &target.id, "READER").await),
                (Op::Grant, Err(_)) => assert!(!holds(&app, &org.admin, &profile, &target.id, "READER").await),
                (Op::Revoke, Ok(_)) => assert!(!holds(&app, &org.admin, &profile, &target.id, "READER").await),
                (Op::Revoke, Err(_)) => assert!(holds(&app, &org.admin, &profile, &target.id, "READER").await),
                (Op::AddPaymentMethod | Op::ReplacePaymentMethod, Ok(_)) => {
                    assert_eq!(methods_after, methods_before + 1);
                    assert_ne!(
                        current_payment_method(&app, &org.admin, &profile).await.as_deref(),
                        Some(current.as_str())
                    );
                }
                (Op::AddPaymentMethod | Op::ReplacePaymentMethod | Op::UpdatePaymentMethod, Err(_)) => {
                    assert_eq!(
                        current_payment_method(&app, &org.admin, &profile).await.as_deref(),
                        Some(current.as_str())
                    );
                }
                _ => {}
            }
        }
    }
}

/// R2: the rights each caller sees on the profile match the matrix.
#[tokio::test]
async fn r2_my_rights_follow_the_role() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    for (role, manage_roles, update, manage_payment, pay) in [
        ("OWNER", true, true, true, true),
        ("CONTRIBUTOR", false, true, true, true),
        ("READER", false, false, false, false),
        ("INVOICE_MANAGER", false, false, false, true),
    ] {
        let person = app.user(&org, &format!("{role} holder"), &[]).await;
        app.ok(&org.admin, GRANT, json!({"p": profile, "u": person.id, "r": role})).await;
        let data = app.ok(&person.token, GET, json!({"id": profile})).await;
        let rights = &data["billingProfile"]["myRights"];
        assert_eq!(
            rights,
            &json!({"canView": true, "canManageRoles": manage_roles, "canUpdate": update,
                "canManagePaymentMethod": manage_payment, "canPayInvoices": pay}),
            "R2 rights of {role}"
        );
    }
}

/// R1, R28: who may create which kind of profile; the creator of an org profile is its OWNER.
#[tokio::test]
async fn r28_create_billing_profile_rights() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let billing_admin = app.user(&org, "Billing Admin", &["BILLING_ADMIN"]).await;
    let license_admin = app.user(&org, "License Admin", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&org, "Plain User", &[]).await;
    let publisher = app.register_publisher("Northwind Apps").await;

    for (who, token, user_id) in
        [("GLOBAL_ADMIN", &org.admin, &org.admin_id), ("BILLING_ADMIN", &billing_admin.token, &billing_admin.id)]
    {
        let data = app.ok(token, CREATE, json!({"i": profile_input("Org", "SE", false)})).await;
        let created = &data["createBillingProfile"];
        assert_eq!(created["isSelfService"], false, "{who}");
        assert!(created["owner"].is_null(), "R28: an org profile has no owner user");
        assert_eq!(
            created["roleAssignments"],
            json!([{"user": {"id": user_id}, "role": "OWNER"}]),
            "R2: creator is OWNER"
        );
    }
    let profiles = app.count("billing_profiles").await;
    for (who, token) in
        [("LICENSE_ADMIN", &license_admin.token), ("USER", &plain.token), ("publisher", &publisher.token)]
    {
        let code = app.err(Some(token), CREATE, json!({"i": profile_input("Org", "SE", false)})).await;
        assert_eq!(code, "FORBIDDEN", "R1: {who} cannot create an org billing profile");
    }
    let code = app.err(Some(&publisher.token), CREATE, json!({"i": profile_input("Mine", "SE", true)})).await;
    assert_eq!(code, "FORBIDDEN", "SPEC §1: publishers have no billing profiles");
    assert_eq!(app.count("billing_profiles").await, profiles, "refused creations change nothing");

    let data = app.ok(&plain.token, CREATE, json!({"i": profile_input("Mine", "SE", true)})).await;
    let created = &data["createBillingProfile"];
    assert_eq!(created["isSelfService"], true);
    assert_eq!(created["owner"]["id"], plain.id.as_str(), "R25: the self-service profile is the caller's own");
    assert_eq!(created["roleAssignments"], json!([{"user": {"id": plain.id}, "role": "OWNER"}]));
    // R25: the buyer has every right but roles, never granted on a self-service profile (issue 19).
    let rights = created["myRights"].as_object().expect("rights");
    assert_eq!(rights["canManageRoles"], false, "R25: no roles on a self-service profile");
    assert!(rights.iter().all(|(k, v)| k == "canManageRoles" || v == true), "R25: owner has every other right");
}

/// R28: the currency is derived from the bill-to country.
#[tokio::test]
async fn r28_currency_is_derived_from_the_bill_to_country() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    for (country, currency) in [("SE", "SEK"), ("DE", "EUR"), ("US", "USD"), ("CL", "CLP"), ("gb", "GBP")] {
        let data = app.ok(&org.admin, CREATE, json!({"i": profile_input("P", country, false)})).await;
        assert_eq!(data["createBillingProfile"]["currency"], currency, "R28: {country} bills in {currency}");
    }
    // Without subscriptions, a new country re-derives the currency.
    let profile = create_profile(&app, &org.admin, "Movable", "US", false).await;
    let data = app
        .ok(&org.admin, UPDATE, json!({"id": profile, "i": {"billToAddress": address("DE"), "poNumber": null}}))
        .await;
    assert_eq!(data["updateBillingProfile"]["currency"], "EUR", "R28: the currency follows the new country");
    assert_eq!(data["updateBillingProfile"]["billToAddress"]["country"], "DE");
    assert!(data["updateBillingProfile"]["poNumber"].is_null(), "poNumber: null clears it");
}

/// R28: once subscriptions are billed to a profile in its currency, a country
/// with another currency is refused; the same currency is fine.
#[tokio::test]
async fn r28_country_change_with_subscriptions_keeps_the_currency() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "DE").await;
    let profile = create_profile(&app, &org.admin, "Billed", "DE", false).await;
    insert_subscription(&app, &org, &profile).await;
    let audit = app.count("audit_events").await;
    let response =
        app.gql(Some(&org.admin), UPDATE, json!({"id": profile, "i": {"billToAddress": address("US")}})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "billToAddress.country");
    assert_eq!(app.count("audit_events").await, audit, "nothing changed");
    let data = app.ok(&org.admin, GET, json!({"id": profile})).await;
    assert_eq!(data["billingProfile"]["currency"], "EUR");
    // FR also bills in EUR: allowed.
    let data = app.ok(&org.admin, UPDATE, json!({"id": profile, "i": {"billToAddress": address("FR")}})).await;
    assert_eq!(data["updateBillingProfile"]["currency"], "EUR");
    assert_eq!(data["updateBillingProfile"]["billToAddress"]["country"], "FR");
}

/// A subscription row billed to `profile`, written directly (the purchase flow is tested elsewhere).
async fn insert_subscription(app: &TestApp, org: &Org, profile: &str) {
    let now = Utc::now();
    let today = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let publisher_id = Uuid::now_v7();
    entity::publisher::ActiveModel {
        id: Set(publisher_id),
        name: Set("P".into()),
        is_marketplace: Set(false),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("publisher");
    let product_id = Uuid::now_v7();
    entity::product::ActiveModel {
        id: Set(product_id),
        publisher_id: Set(publisher_id),
        name: Set("App".into()),
        description: Set("An app".into()),
        pricing_model: Set(PricingModel::FlatRate),
        self_service_eligible: Set(false),
        portal_url: Set("https://portal.example.test".into()),
        support_url: Set("https://support.example.test".into()),
        support_email: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("product");
    entity::subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id.parse().expect("org id")),
        product_id: Set(product_id),
        billing_profile_id: Set(profile.parse().expect("profile id")),
        purchaser_id: Set(org.admin_id.parse().expect("user id")),
        channel: Set(Channel::Direct),
        partner_name: Set(None),
        partner_id: Set(None),
        partner_tenant_id: Set(None),
        proposal_id: Set(None),
        pricing_model: Set(PricingModel::FlatRate),
        term: Set(BillingTerm::Monthly),
        quantity: Set(None),
        assigned_count: Set(0),
        unit_price_minor: Set(1000),
        currency: Set("EUR".into()),
        status: Set(SubscriptionStatus::PendingActivation),
        disabled_reason: Set(None),
        disabled_at: Set(None),
        disabled_message: Set(None),
        cancel_reason: Set(None),
        cancel_feedback: Set(None),
        auto_renew: Set(true),
        start_date: Set(today),
        term_number: Set(1),
        negotiated_terms: Set(None),
        current_term_start: Set(today),
        current_term_end: Set(NaiveDate::from_ymd_opt(2026, 4, 1).expect("date")),
        activated_at: Set(None),
        setup_completed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .expect("subscription");
}

/// R2: the last OWNER of a profile cannot be removed.
#[tokio::test]
async fn r2_last_owner_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let response = app.gql(Some(&org.admin), REVOKE, json!({"p": profile, "u": org.admin_id, "r": "OWNER"})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "INVALID_STATE", "R2: {response}");
    let message = response["errors"][0]["message"].as_str().expect("message").to_lowercase();
    assert!(message.contains("last owner"), "the message says why: {message}");
    assert!(holds(&app, &org.admin, &profile, &org.admin_id, "OWNER").await, "nothing changed");

    // With a second owner the first may go; then the second is the last one.
    let second = app.user(&org, "Second Owner", &[]).await;
    app.ok(&org.admin, GRANT, json!({"p": profile, "u": second.id, "r": "OWNER"})).await;
    app.ok(&second.token, REVOKE, json!({"p": profile, "u": org.admin_id, "r": "OWNER"})).await;
    let code = app.err(Some(&second.token), REVOKE, json!({"p": profile, "u": second.id, "r": "OWNER"})).await;
    assert_eq!(code, "INVALID_STATE", "R2: the remaining OWNER is the last one");
    assert!(holds(&app, &org.admin, &profile, &second.id, "OWNER").await);
}
