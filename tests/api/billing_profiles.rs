//! Billing profiles, roles and payment methods (R2, R28, R29).

use chrono::{NaiveDate, Utc};
use entity::enums::{BillingTerm, Channel, PricingModel, SubscriptionStatus};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

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
        current_term_start: Set(today),
        current_term_end: Set(NaiveDate::from_ymd_opt(2026, 4, 1).expect("date")),
        activated_at: Set(None),
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

/// R2: grants go to users of the same organization; a repeat grant is a no-op.
#[tokio::test]
async fn r2_grant_checks_the_user_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let other = app.register_org("Fabrikam", "US").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let stranger = app.user(&other, "Stranger", &[]).await;
    // R3: another organization's user answers exactly like an unknown ID, for grant and revoke.
    for query in [GRANT, REVOKE] {
        let foreign = app.gql(Some(&org.admin), query, json!({"p": profile, "u": stranger.id, "r": "READER"})).await;
        let random = app
            .gql(Some(&org.admin), query, json!({"p": profile, "u": Uuid::now_v7().to_string(), "r": "READER"}))
            .await;
        assert_eq!(foreign["errors"][0]["extensions"]["code"], "NOT_FOUND", "R3: {foreign}");
        assert_eq!(foreign["errors"][0]["message"], random["errors"][0]["message"], "R3: same message as a random ID");
        assert_eq!(foreign["errors"][0]["extensions"]["code"], random["errors"][0]["extensions"]["code"]);
    }

    let member = app.user(&org, "Member", &[]).await;
    app.ok(&org.admin, GRANT, json!({"p": profile, "u": member.id, "r": "CONTRIBUTOR"})).await;
    let audit = app.count("audit_events").await;
    let assignments = app.count("billing_role_assignments").await;
    let data = app.ok(&org.admin, GRANT, json!({"p": profile, "u": member.id, "r": "CONTRIBUTOR"})).await;
    let held = data["grantBillingRole"]["roleAssignments"].as_array().expect("assignments");
    assert_eq!(held.iter().filter(|a| a["user"]["id"] == member.id.as_str()).count(), 1);
    assert_eq!(app.count("billing_role_assignments").await, assignments, "a repeat grant adds nothing");
    assert_eq!(app.count("audit_events").await, audit, "a repeat grant changes nothing, so no audit event");

    // The member now sees the profile in their list (R2).
    let list = app.ok(&member.token, "{ billingProfiles { totalCount nodes { id } } }", json!({})).await;
    assert_eq!(list["billingProfiles"]["totalCount"], 1);
    assert_eq!(list["billingProfiles"]["nodes"][0]["id"], profile.as_str());
}

/// R1, R2, R25, R27: the list shows what the caller can view, paginated.
#[tokio::test]
async fn r27_billing_profiles_list_by_caller() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let other = app.register_org("Fabrikam", "US").await;
    let a = create_profile(&app, &org.admin, "A", "SE", false).await;
    let _b = create_profile(&app, &org.admin, "B", "SE", false).await;
    let reader = app.user(&org, "Reader", &[]).await;
    app.ok(&org.admin, GRANT, json!({"p": a, "u": reader.id, "r": "READER"})).await;
    let own = create_profile(&app, &reader.token, "Reader's own", "SE", true).await;
    let _foreign = create_profile(&app, &other.admin, "Foreign", "US", false).await;
    let plain = app.user(&org, "Plain", &[]).await;

    let ids = |data: &Value| -> Vec<String> {
        data["billingProfiles"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let q = "query($f: Int, $a: String) { billingProfiles(first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { id isSelfService myRights { canUpdate } } } }";
    let admin = app.ok(&org.admin, q, json!({})).await;
    assert_eq!(admin["billingProfiles"]["totalCount"], 2, "R1/R38: the admin sees the org profiles, not a buyer's own");
    assert!(!ids(&admin).contains(&own), "R38: a self-service buyer's profile is theirs alone");

    let mine = app.ok(&reader.token, q, json!({})).await;
    let mut got = ids(&mine);
    got.sort();
    let mut want = vec![a.clone(), own.clone()];
    want.sort();
    assert_eq!(got, want, "R2/R25: a role holder sees the profiles they hold a role on and their own");
    assert_eq!(app.ok(&plain.token, q, json!({})).await["billingProfiles"]["totalCount"], 0);
    let publisher = app.register_publisher("Northwind Apps").await;
    assert_eq!(
        app.err(Some(&publisher.token), q, json!({})).await,
        "FORBIDDEN",
        "SPEC §1: no billing data for publishers"
    );

    // Pagination: one at a time.
    let first = app.ok(&org.admin, q, json!({"f": 1})).await;
    assert_eq!(ids(&first).len(), 1);
    assert_eq!(first["billingProfiles"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["billingProfiles"]["pageInfo"]["endCursor"].as_str().expect("cursor");
    let second = app.ok(&org.admin, q, json!({"f": 1, "a": cursor})).await;
    assert_eq!(ids(&second).len(), 1);
    assert_eq!(second["billingProfiles"]["pageInfo"]["hasNextPage"], false);
    assert!(!ids(&first).contains(&ids(&second)[0]));
}

/// R25, R38: a self-service profile is its owner's alone; admins and others cannot see it.
#[tokio::test]
async fn r27_self_service_profile_owner_full_rights_admin_read_only() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let owner = app.user(&org, "Owner", &[]).await;
    let someone = app.user(&org, "Someone", &[]).await;
    let billing_admin = app.user(&org, "Billing Admin", &["BILLING_ADMIN"]).await;
    let profile = create_profile(&app, &owner.token, "My card", "SE", true).await;

    // Every field of the profile, as its owner sees it (R28).
    let full = format!("query($id: ID!) {{ billingProfile(id: $id) {{ {PROFILE} }} }}");
    let data = app.ok(&owner.token, &full, json!({"id": profile})).await;
    let shown = &data["billingProfile"];
    assert_eq!(shown["owner"]["id"], owner.id.as_str());
    assert_eq!(shown["isSelfService"], true);
    assert_eq!(shown["currency"], "SEK");
    assert_eq!(shown["contactEmail"], "billing@example.test");
    assert_eq!(shown["poNumber"], "PO-1");
    assert_eq!(shown["billToAddress"], address("SE"));
    assert!(shown["paymentMethod"].is_null(), "no payment method yet");
    assert_eq!(shown["roleAssignments"].as_array().map(Vec::len), Some(1));
    assert_eq!(shown["createdAt"], shown["updatedAt"]);

    // The owner: everything but roles, never granted on a self-service profile (R25, R26; issue 19).
    let data = app.ok(&owner.token, GET, json!({"id": profile})).await;
    assert_eq!(
        data["billingProfile"]["myRights"],
        json!({"canView": true, "canManageRoles": false, "canUpdate": true, "canManagePaymentMethod": true, "canPayInvoices": true})
    );
    app.ok(&owner.token, UPDATE, json!({"id": profile, "i": {"name": "My own card"}})).await;
    let added = app.ok(&owner.token, ADD_PM, json!({"p": profile, "i": valid_card()})).await;
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    app.ok(&owner.token, UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "A. Lovelace"}})).await;
    let methods = app.count("payment_methods").await;
    let response = app.gql(Some(&owner.token), ADD_PM, json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "R25: cards only: {response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "kind");
    assert_eq!(app.count("payment_methods").await, methods);
    let code = app.err(Some(&owner.token), GRANT, json!({"p": profile, "u": someone.id, "r": "READER"})).await;
    assert_eq!(code, "FORBIDDEN", "R25: no roles are granted on a self-service profile");

    // Admins: the buyer's profile and card are not part of their view (R38): NOT_FOUND, like a random ID.
    for (who, token) in [("GLOBAL_ADMIN", &org.admin), ("BILLING_ADMIN", &billing_admin.token)] {
        assert_eq!(app.err(Some(token), GET, json!({"id": profile})).await, "NOT_FOUND", "R38: {who}");
        let audit = app.count("audit_events").await;
        for (what, query, variables) in [
            ("update", UPDATE, json!({"id": profile, "i": {"name": "Taken over"}})),
            ("add payment method", ADD_PM, json!({"p": profile, "i": valid_card()})),
            ("replace payment method", REPLACE_PM, json!({"p": profile, "i": valid_card()})),
            ("update payment method", UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "Admin"}})),
            ("grant", GRANT, json!({"p": profile, "u": someone.id, "r": "OWNER"})),
            ("revoke", REVOKE, json!({"p": profile, "u": owner.id, "r": "OWNER"})),
        ] {
            let code = app.err(Some(token), query, variables).await;
            assert_eq!(code, "NOT_FOUND", "R38: {who} may not {what} a self-service profile");
        }
        assert_eq!(app.count("audit_events").await, audit, "R38: nothing changed");
    }

    // Another plain user cannot even see it (R3).
    assert_eq!(app.err(Some(&someone.token), GET, json!({"id": profile})).await, "NOT_FOUND");
    assert_eq!(
        app.err(Some(&someone.token), UPDATE_PM, json!({"id": method, "i": {"nameOnCard": "X"}})).await,
        "NOT_FOUND"
    );
}

/// R29: bad input is VALIDATION_FAILED naming the field, and nothing is written.
#[tokio::test]
async fn r29_bad_input_is_rejected_with_its_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "invalid Luhn number",
            ADD_PM,
            json!({"p": profile, "i": card("4242424242424241", "123", 12, 2030)}),
            "card.number",
        ),
        ("11-digit number", ADD_PM, json!({"p": profile, "i": card("42424242424", "123", 12, 2030)}), "card.number"),
        (
            "expiry year in the past",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "123", 12, 2025)}),
            "card.expirationYear",
        ),
        (
            "expiry month in the past",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "123", 2, 2026)}),
            "card.expirationMonth",
        ),
        ("month 13", ADD_PM, json!({"p": profile, "i": card(VALID_CARD, "123", 13, 2030)}), "card.expirationMonth"),
        (
            "5-digit security code",
            ADD_PM,
            json!({"p": profile, "i": card(VALID_CARD, "12345", 12, 2030)}),
            "card.securityCode",
        ),
        ("missing card for CREDIT_CARD", ADD_PM, json!({"p": profile, "i": {"kind": "CREDIT_CARD"}}), "card"),
        (
            "card given for CHECK_OR_WIRE",
            ADD_PM,
            json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE", "card": valid_card()["card"]}}),
            "card",
        ),
        (
            "replace with a bad number",
            REPLACE_PM,
            json!({"p": profile, "i": card("4242424242424243", "123", 12, 2030)}),
            "card.number",
        ),
        ("country XX", CREATE, json!({"i": profile_input("P", "XX", false)}), "billToAddress.country"),
        ("country not ISO-shaped", CREATE, json!({"i": profile_input("P", "SWE", false)}), "billToAddress.country"),
        ("blank name", CREATE, json!({"i": profile_input(" ", "SE", false)}), "name"),
        ("bad contact e-mail", UPDATE, json!({"id": profile, "i": {"contactEmail": "nope"}}), "contactEmail"),
        (
            "update to country XX",
            UPDATE,
            json!({"id": profile, "i": {"billToAddress": address("XX")}}),
            "billToAddress.country",
        ),
    ];
    // Issue 19 (one ID rule): a profile ID that is not a UUID is NOT_FOUND, like any unknown ID.
    assert_eq!(app.err(Some(&org.admin), GET, json!({"id": "42"})).await, "NOT_FOUND");
    for (what, query, variables, field) in cases {
        let profiles = app.count("billing_profiles").await;
        let methods = app.count("payment_methods").await;
        let audit = app.count("audit_events").await;
        let result = call(&app, &org.admin, query, variables).await;
        assert_eq!(result.err().as_deref(), Some(format!("VALIDATION_FAILED:{field}").as_str()), "R29: {what}");
        assert_eq!(app.count("billing_profiles").await, profiles, "{what}: billing_profiles unchanged");
        assert_eq!(app.count("payment_methods").await, methods, "{what}: payment_methods unchanged");
        assert_eq!(app.count("audit_events").await, audit, "{what}: no audit event");
    }

    // Edits on an existing card are checked the same way (R29).
    let added = app.ok(&org.admin, ADD_PM, json!({"p": profile, "i": valid_card()})).await;
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    for (what, input, field) in [
        ("5-digit security code", json!({"securityCode": "12345"}), "securityCode"),
        ("expired", json!({"expirationMonth": 1, "expirationYear": 2026}), "expirationMonth"),
        ("past year", json!({"expirationYear": 2020}), "expirationYear"),
        ("blank name on card", json!({"nameOnCard": "  "}), "nameOnCard"),
    ] {
        let audit = app.count("audit_events").await;
        let result = call(&app, &org.admin, UPDATE_PM, json!({"id": method, "i": input})).await;
        assert_eq!(result.err().as_deref(), Some(format!("VALIDATION_FAILED:{field}").as_str()), "R29 edit: {what}");
        assert_eq!(app.count("audit_events").await, audit);
    }
    let data = app.ok(&org.admin, GET, json!({"id": profile})).await;
    assert_eq!(data["billingProfile"]["paymentMethod"]["id"], method.as_str());
}

/// R29: add, edit and replace; the old method is kept but no longer current.
#[tokio::test]
async fn r29_add_edit_replace_payment_method() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let add = format!(
        "mutation($p: ID!, $i: PaymentMethodInput!) {{ addPaymentMethod(billingProfileId: $p, input: $i) {{ {PM} }} }}"
    );
    let data = app.ok(&org.admin, &add, json!({"p": profile, "i": card("4242 4242 4242 4242", "123", 12, 2030)})).await;
    let first = &data["addPaymentMethod"];
    assert_eq!(first["kind"], "CREDIT_CARD");
    assert_eq!(first["brand"], "VISA");
    assert_eq!(first["last4"], "4242");
    assert_eq!(first["expirationMonth"], 12);
    assert_eq!(first["expirationYear"], 2030);
    assert_eq!(first["nameOnCard"], "Ada Lovelace");
    assert_eq!(first["isCurrent"], true);
    assert_eq!(first["billingAddress"]["country"], "SE");
    let first_id = first["id"].as_str().expect("id").to_owned();

    let update = format!(
        "mutation($id: ID!, $i: UpdatePaymentMethodInput!) {{ updatePaymentMethod(paymentMethodId: $id, input: $i) {{ {PM} }} }}"
    );
    let data = app
        .ok(&org.admin, &update, json!({"id": first_id, "i": {"securityCode": "999", "expirationMonth": 6, "expirationYear": 2031, "nameOnCard": "Ada King"}}))
        .await;
    let edited = &data["updatePaymentMethod"];
    assert_eq!((edited["expirationMonth"].clone(), edited["expirationYear"].clone()), (json!(6), json!(2031)));
    assert_eq!(edited["nameOnCard"], "Ada King");
    assert_eq!(edited["last4"], "4242", "R29: the number never changes on edit");

    let replace = format!(
        "mutation($p: ID!, $i: PaymentMethodInput!) {{ replacePaymentMethod(billingProfileId: $p, input: $i) {{ {PM} }} }}"
    );
    let data = app.ok(&org.admin, &replace, json!({"p": profile, "i": card("378282246310005", "1234", 3, 2027)})).await;
    let second = &data["replacePaymentMethod"];
    assert_eq!(second["brand"], "AMEX");
    assert_eq!(second["last4"], "0005");
    let second_id = second["id"].as_str().expect("id").to_owned();
    let data = app.ok(&org.admin, GET, json!({"id": profile})).await;
    assert_eq!(
        data["billingProfile"]["paymentMethod"]["id"],
        second_id.as_str(),
        "R29: the new method is the profile's"
    );
    assert_eq!(app.count("payment_methods").await, 2, "R29: the old method is kept for its invoices");
    let code = app.err(Some(&org.admin), &update, json!({"id": first_id, "i": {"nameOnCard": "Late edit"}})).await;
    assert_eq!(code, "INVALID_STATE", "only the current method can be edited");

    // An org profile may switch to check or wire transfer.
    let data = app.ok(&org.admin, &add, json!({"p": profile, "i": {"kind": "CHECK_OR_WIRE"}})).await;
    assert_eq!(data["addPaymentMethod"]["kind"], "CHECK_OR_WIRE");
    assert!(data["addPaymentMethod"]["last4"].is_null() && data["addPaymentMethod"]["billingAddress"].is_null());
    let current = app
        .ok(
            &org.admin,
            "query($id: ID!) { billingProfile(id: $id) { paymentMethod { kind isCurrent } } }",
            json!({"id": profile}),
        )
        .await;
    assert_eq!(current["billingProfile"]["paymentMethod"], json!({"kind": "CHECK_OR_WIRE", "isCurrent": true}));
    let currents = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM payment_methods WHERE is_current = TRUE",
        ))
        .await
        .expect("query")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(currents, 1, "exactly one current method per profile");
}

/// Whether `token` occurs in `value` as a whole alphanumeric run not joined to
/// its neighbours by '-' (so UUID groups and dates do not count).
fn has_token(value: &str, token: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        if !chars[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < chars.len() && chars[end].is_ascii_alphanumeric() {
            end += 1;
        }
        let run: String = chars[start..end].iter().collect();
        let dashed = (start > 0 && chars[start - 1] == '-') || chars.get(end) == Some(&'-');
        if run == token && !dashed {
            return true;
        }
        start = end;
    }
    false
}

/// Every text value of every table, for the "never stored" scan.
async fn all_text_values(app: &TestApp) -> Vec<(String, String, String)> {
    let backend = app.db.get_database_backend();
    let tables_sql = if engine_is_postgres() {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .expect("tables")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("table name"))
        .collect();
    assert!(tables.iter().any(|t| t == "payment_methods") && tables.iter().any(|t| t == "audit_events"));
    let mut values = Vec::new();
    for table in tables {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(backend, format!("SELECT * FROM \"{table}\"")))
            .await
            .expect("select");
        for row in rows {
            for column in row.column_names() {
                if let Ok(Some(text)) = row.try_get::<Option<String>>("", &column) {
                    values.push((table.clone(), column, text));
                }
            }
        }
    }
    values
}

/// R29: after card operations no table holds a full card number or a security
/// code, in any text column (audit snapshots included), and no response returns them.
#[tokio::test]
async fn r29_card_number_and_security_code_are_never_stored() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "SE").await;
    let user = app.user(&org, "Self Service", &[]).await;
    let profile = create_profile(&app, &org.admin, "Main", "SE", false).await;
    let own = create_profile(&app, &user.token, "Mine", "SE", true).await;
    let numbers = ["4242424242424242", "5555555555554444", "378282246310005", "4000000000000002"];
    let codes = ["987", "614", "735", "842", "5081"];

    let added =
        app.ok(&org.admin, ADD_PM, json!({"p": profile, "i": card("4242 4242 4242 4242", codes[0], 12, 2030)})).await;
    let response = serde_json::to_string(&added).expect("json");
    let method = added["addPaymentMethod"]["id"].as_str().expect("id").to_owned();
    app.ok(&org.admin, UPDATE_PM, json!({"id": method, "i": {"securityCode": codes[1], "nameOnCard": "Edited"}})).await;
    app.ok(&org.admin, REPLACE_PM, json!({"p": profile, "i": card(numbers[1], codes[2], 1, 2031)})).await;
    app.ok(&user.token, ADD_PM, json!({"p": own, "i": card(numbers[2], "5081", 2, 2029)})).await;
    app.ok(&user.token, REPLACE_PM, json!({"p": own, "i": card(numbers[3], codes[3], 3, 2028)})).await;
    // A rejected attempt must not leave the number behind either.
    let _ = call(&app, &user.token, ADD_PM, json!({"p": own, "i": card("4242424242424242", "99999", 3, 2028)})).await;

    assert!(!response.contains(numbers[0]) && !response.contains(codes[0]), "R29: never returned");
    let values = all_text_values(&app).await;
    assert!(values.iter().any(|(table, _, _)| table == "payment_methods"), "sanity: payment methods were scanned");
    assert!(
        values.iter().any(|(table, _, v)| table == "audit_events" && v.contains("payment_method.replace")),
        "sanity: card operations were audited"
    );
    for (table, column, value) in &values {
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        for number in numbers {
            assert!(
                !value.contains(number) && !digits.contains(number),
                "R29: full card number stored in {table}.{column}: {value}"
            );
        }
        // Security codes as whole tokens; runs touching '-' are UUID groups or dates, not codes.
        for code in codes {
            assert!(!has_token(value, code), "R29: security code {code} stored in {table}.{column}: {value}");
        }
        assert!(!column.to_lowercase().contains("security"), "R29: no security-code column ({table}.{column})");
    }
    let last4: Vec<&str> = values
        .iter()
        .filter(|(table, column, _)| table == "payment_methods" && column == "card_last4")
        .map(|(_, _, v)| v.as_str())
        .collect();
    assert_eq!(last4.len(), 4, "R29: the last four digits are what is kept");
}
