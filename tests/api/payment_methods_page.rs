//! R41 (issue 9 item 3): the payment methods page. Methods are listed per
//! organization (and per self-service buyer), a billing profile uses one of
//! them, one method may serve several profiles, and a method in use cannot be
//! removed. Runs on SQLite and, with the PostgreSQL URL set, on PostgreSQL.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

const LIST: &str = "{ paymentMethods(first: 100) { totalCount nodes { id brand last4 expirationMonth expirationYear nameOnCard billingProfiles { id } } } }";
const ADD: &str =
    "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) { id } }";
const USE: &str = "mutation($p: ID!, $m: ID!) { useExistingPaymentMethod(billingProfileId: $p, paymentMethodId: $m) { id paymentMethod { id } } }";
const REMOVE: &str = "mutation($m: ID!) { removePaymentMethod(paymentMethodId: $m) { id removedAt } }";
const PROFILE: &str = "query($id: ID!) { billingProfile(id: $id) { paymentMethod { id last4 } } }";

async fn list(app: &TestApp, token: &str) -> Value {
    app.ok(token, LIST, json!({})).await["paymentMethods"].clone()
}

async fn ids(app: &TestApp, token: &str) -> BTreeSet<String> {
    let page = list(app, token).await;
    page["nodes"].as_array().expect("nodes").iter().map(|n| n["id"].as_str().expect("id").to_owned()).collect()
}

async fn method_of(app: &TestApp, token: &str, profile: &str) -> String {
    let data = app.ok(token, PROFILE, json!({"id": profile})).await;
    data["billingProfile"]["paymentMethod"]["id"].as_str().expect("method").to_owned()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// R41 + R1/R2/R25/R38: who sees which methods on the page.
#[tokio::test]
async fn r41_payment_methods_are_listed_per_organization_and_per_actor() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let billing = app.user(&org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let owner = app.user(&org, "Olga Owner", &[]).await;
    let reader = app.user(&org, "Rita Reader", &[]).await;
    let buyer = app.user(&org, "Sam Buyer", &[]).await;
    let other = app.register_org("Fabrikam", "US").await;
    let publisher = app.register_publisher("Adatum").await;

    let main = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let second = app.billing_profile(&org.admin, "US", Some("5555555555554444")).await;
    app.grant_role(&org.admin, &main, &owner.id, "OWNER").await;
    app.grant_role(&org.admin, &second, &reader.id, "READER").await;
    let personal = app.personal_profile(&buyer.token, "US", "378282246310005").await;
    let _foreign = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
    let m_main = method_of(&app, &org.admin, &main).await;
    let m_second = method_of(&app, &org.admin, &second).await;
    let m_personal = method_of(&app, &buyer.token, &personal).await;

    let page = list(&app, &org.admin).await;
    assert_eq!(page["totalCount"], 2, "{page}");
    let first = &page["nodes"][0];
    assert_eq!(first["id"], m_main.as_str());
    assert_eq!(first["brand"], "VISA");
    assert_eq!(first["last4"], "4242");
    assert_eq!(first["expirationMonth"], 12);
    assert_eq!(first["expirationYear"], 2030);
    assert_eq!(first["nameOnCard"], "Pat Payer");
    assert_eq!(first["billingProfiles"], json!([{"id": main}]));

    // GA and BA: all of the org's methods, never a buyer's own card (R38).
    assert_eq!(ids(&app, &org.admin).await, set(&[&m_main, &m_second]));
    assert_eq!(ids(&app, &billing.token).await, set(&[&m_main, &m_second]));
    // R1: a license admin holds no billing role: nothing.
    assert_eq!(ids(&app, &license.token).await, BTreeSet::new());
    // R2: the roles per profile decide.
    assert_eq!(ids(&app, &owner.token).await, set(&[&m_main]));
    assert_eq!(ids(&app, &reader.token).await, set(&[&m_second]));
    // R25: the self-service buyer sees only their own card.
    assert_eq!(ids(&app, &buyer.token).await, set(&[&m_personal]));
    // R3: another organization sees only its own.
    let foreign = ids(&app, &other.admin).await;
    assert_eq!(foreign.len(), 1);
    assert!(foreign.is_disjoint(&set(&[&m_main, &m_second, &m_personal])));
    // SPEC §1: a publisher sees no customer's billing data.
    let response = app.gql(Some(&publisher.token), LIST, json!({})).await;
    assert!(response["errors"].is_array() || response["data"]["paymentMethods"]["totalCount"] == 0, "{response}");
}

/// R41: one method serves two profiles; `billingProfiles` shows only those the caller may view.
#[tokio::test]
async fn r41_one_method_serves_two_profiles() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let owner = app.user(&org, "Olga Owner", &[]).await;
    let main = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let second = app.billing_profile(&org.admin, "US", Some("5555555555554444")).await;
    app.grant_role(&org.admin, &second, &owner.id, "OWNER").await;
    let shared = method_of(&app, &org.admin, &main).await;
    let old = method_of(&app, &org.admin, &second).await;

    // R2: a reader of `second` may not change its payment method.
    let reader = app.user(&org, "Rita Reader", &[]).await;
    app.grant_role(&org.admin, &second, &reader.id, "READER").await;
    assert_eq!(app.err(Some(&reader.token), USE, json!({"p": second, "m": old})).await, "FORBIDDEN");
    // The owner of `second` cannot see the method of `main`: NOT_FOUND (R3).
    let code = app.err(Some(&owner.token), USE, json!({"p": second, "m": shared})).await;
    assert_eq!(code, "NOT_FOUND");
    assert_eq!(method_of(&app, &org.admin, &second).await, old, "nothing changed");

    let used = app.ok(&org.admin, USE, json!({"p": second, "m": shared})).await;
    assert_eq!(used["useExistingPaymentMethod"]["paymentMethod"]["id"], shared.as_str());
    assert_eq!(method_of(&app, &org.admin, &main).await, shared);
    assert_eq!(method_of(&app, &org.admin, &second).await, shared);
    let page = list(&app, &org.admin).await;
    let node = page["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == shared.as_str()).expect("shared");
    let users: BTreeSet<String> = node["billingProfiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(users, set(&[&main, &second]));
    // The owner of `second` now sees the shared method through their profile, listing only `second`.
    let theirs = list(&app, &owner.token).await;
    let node = theirs["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == shared.as_str()).expect("visible");
    assert_eq!(node["billingProfiles"], json!([{"id": second}]));
    // The old method of `second` stays on the page, unused.
    let node = page["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == old.as_str()).expect("old");
    assert_eq!(node["billingProfiles"], json!([]));
    let audit = app.count("audit_events").await;
    assert!(audit > 0);
}

/// R41: a method in use cannot be removed (INVALID_STATE, nothing changed); an unused one can.
#[tokio::test]
async fn r41_remove_in_use_is_refused_and_unused_is_removed() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let reader = app.user(&org, "Rita Reader", &[]).await;
    let main = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    app.grant_role(&org.admin, &main, &reader.id, "READER").await;
    let first = method_of(&app, &org.admin, &main).await;

    let before = app.count("audit_events").await;
    let code = app.err(Some(&org.admin), REMOVE, json!({"m": first})).await;
    assert_eq!(code, "INVALID_STATE");
    assert_eq!(app.count("audit_events").await, before, "nothing recorded");
    assert_eq!(ids(&app, &org.admin).await, set(&[&first]), "still listed");
    assert_eq!(method_of(&app, &org.admin, &main).await, first);

    // A new card on the profile frees the first one.
    app.ok(&org.admin, ADD, json!({"p": main, "i": card("5555555555554444", "US")})).await;
    let second = method_of(&app, &org.admin, &main).await;
    assert_ne!(second, first);
    // R2: a reader may not manage payment methods.
    let code = app.err(Some(&reader.token), REMOVE, json!({"m": first})).await;
    assert_eq!(code, "FORBIDDEN");

    let removed = app.ok(&org.admin, REMOVE, json!({"m": first})).await;
    assert_eq!(removed["removePaymentMethod"]["id"], first.as_str());
    assert!(removed["removePaymentMethod"]["removedAt"].is_string());
    assert_eq!(ids(&app, &org.admin).await, set(&[&second]), "gone from the page");
    assert_eq!(app.count("audit_events").await, before + 2, "add and remove recorded");
    // A removed method can neither be removed again nor used.
    assert_eq!(app.err(Some(&org.admin), REMOVE, json!({"m": first})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&org.admin), USE, json!({"p": main, "m": first})).await, "NOT_FOUND");
}

/// R41 + R3 + R38: a method of another organization or of a self-service
/// buyer cannot be used or removed by others: NOT_FOUND, nothing changed.
#[tokio::test]
async fn r41_foreign_method_is_not_found() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let buyer = app.user(&org, "Sam Buyer", &[]).await;
    let other = app.register_org("Fabrikam", "US").await;
    let main = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;
    let personal = app.personal_profile(&buyer.token, "US", "378282246310005").await;
    let foreign = app.billing_profile(&other.admin, "US", Some(CARD_OK)).await;
    let m_main = method_of(&app, &org.admin, &main).await;
    let m_personal = method_of(&app, &buyer.token, &personal).await;
    let m_foreign = method_of(&app, &other.admin, &foreign).await;
    let before = app.count("audit_events").await;

    assert_eq!(app.err(Some(&org.admin), USE, json!({"p": main, "m": m_foreign})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&org.admin), REMOVE, json!({"m": m_foreign})).await, "NOT_FOUND");
    // R38: an admin cannot use a buyer's own card, nor the buyer an org card.
    assert_eq!(app.err(Some(&org.admin), USE, json!({"p": main, "m": m_personal})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&buyer.token), USE, json!({"p": personal, "m": m_main})).await, "NOT_FOUND");
    assert_eq!(
        app.err(Some(&org.admin), USE, json!({"p": main, "m": "not-an-id"})).await,
        "NOT_FOUND",
        "issue 19: one ID rule"
    );
    assert_eq!(app.count("audit_events").await, before, "nothing changed");
    assert_eq!(method_of(&app, &org.admin, &main).await, m_main);
    assert_eq!(method_of(&app, &buyer.token, &personal).await, m_personal);
    assert_eq!(method_of(&app, &other.admin, &foreign).await, m_foreign);

    // A buyer's second personal profile may use their own card (R41: per buyer).
    let personal2 = app.personal_profile(&buyer.token, "US", "5555555555554444").await;
    app.ok(&buyer.token, USE, json!({"p": personal2, "m": m_personal})).await;
    assert_eq!(method_of(&app, &buyer.token, &personal2).await, m_personal);
}
