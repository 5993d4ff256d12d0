//! Self-service purchases and the admins' read-only view (issue 5, SPEC §6:
//! R24–R27, with R29, R32, R35, R36). Source: seeds/004 "Manage self-service
//! purchases (Users)".

use serde_json::{Value, json};

use crate::authz::{
    ASSIGN, AUDIT, AUTO_RENEW, CANCEL, LIST, MOVE, POLICY, QUANTITY, STATE, UNASSIGN, VIEW, allowed, attempt, ids,
    outcome, snapshot,
};
use crate::helpers::*;

mod refusals_and_audit;

const CREATE_PROFILE: &str = "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id isSelfService owner { id } currency } }";
const ADD_METHOD: &str = "mutation($p: ID!, $i: PaymentMethodInput!) { addPaymentMethod(billingProfileId: $p, input: $i) \
    { id kind brand last4 isCurrent } }";
const REPLACE_METHOD: &str = "mutation($p: ID!, $i: PaymentMethodInput!) { replacePaymentMethod(billingProfileId: $p, input: $i) \
    { id kind brand last4 isCurrent } }";
const UPDATE_METHOD: &str = "mutation($m: ID!, $i: UpdatePaymentMethodInput!) { updatePaymentMethod(paymentMethodId: $m, input: $i) \
    { id expirationYear } }";
const PROFILE: &str =
    "query($id: ID!) { billingProfile(id: $id) { id isSelfService paymentMethod { id kind brand last4 } } }";
const UPDATE_PROFILE: &str =
    "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id name } }";
const PROFILES: &str = "{ billingProfiles(first: 100) { totalCount nodes { id } } }";
const BUY: &str = "mutation($i: PurchaseSubscriptionInput!) { purchaseSubscription(input: $i) \
    { id status quantity channel isSelfService purchaser { id } billingProfile { id } } }";
/// What R27 lets admins see: product, purchaser name, licenses purchased,
/// expiry date, purchase price and assigned users.
const READ_ONLY_VIEW: &str = "query($id: ID!) { subscription(id: $id) { id status isSelfService channel product { name } \
    purchaser { id name } quantity termEndDate unitPrice { amount currency } assignedUsers { id name } } }";
const SELF_SERVICE_LIST: &str = "{ subscriptions(filter: {selfService: true}, first: 100) \
    { totalCount nodes { id isSelfService purchaser { id name } quantity } } }";

fn purchase(product: &str, quantity: Option<i64>, profile: &str, channel: &str) -> Value {
    json!({"i": {"productId": product, "term": "MONTHLY", "quantity": quantity, "billingProfileId": profile, "channel": channel}})
}

/// A self-service purchase by `token` (R25).
async fn buy_self_service(app: &TestApp, token: &str, product: &str, quantity: i64, profile: &str) -> String {
    let data = app.ok(token, BUY, purchase(product, Some(quantity), profile, "SELF_SERVICE")).await;
    assert_eq!(data["purchaseSubscription"]["channel"], "SELF_SERVICE", "R9");
    data["purchaseSubscription"]["id"].as_str().expect("id").to_owned()
}

/// Every change one can make to a subscription, with inputs that would be
/// accepted from the purchaser: (operation, query, variables).
fn changes(sub: &str, free_user: &str, holder: &str, profile: &str) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("changeLicenseQuantity", QUANTITY, json!({"s": sub, "q": 110})),
        ("assignLicenses", ASSIGN, json!({"s": sub, "u": [free_user]})),
        ("unassignLicenses", UNASSIGN, json!({"s": sub, "u": [holder]})),
        ("cancelSubscription", CANCEL, json!({"s": sub, "r": "OTHER", "f": "not mine to cancel"})),
        ("setAutoRenew", AUTO_RENEW, json!({"s": sub, "a": false})),
        ("changeSubscriptionBillingProfile", MOVE, json!({"s": sub, "p": profile})),
    ]
}

fn names(users: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        users.as_array().expect("users").iter().filter_map(|u| u["name"].as_str().map(str::to_owned)).collect();
    names.sort();
    names
}

/// Seed 004 as one end-to-end walkthrough over HTTP: a user buys, views their
/// subscriptions filtered to self-service, raises 100 → 105 licenses, finds
/// and assigns two colleagues, unassigns one, replaces their card, views the
/// invoices of the past 6 months and cancels with a reason and feedback; the
/// global and billing admins meanwhile see it all read-only and are refused
/// every change.
#[tokio::test]
async fn seed_004_self_service_walkthrough_end_to_end() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let publisher = app.register_publisher("Fabrikam").await;
    let product = app
        .product(
            &publisher,
            "Team Board",
            "PER_LICENSE",
            &[("MONTHLY", "USD", "10.00"), ("ANNUAL", "USD", "100.00")],
            None,
            true,
        )
        .await;
    let billing_admin = app.user(&org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let purchaser = app.user(&org, "Pat Purchaser", &[]).await;
    let alice = app.user(&org, "Colleague Alice", &[]).await;
    let bob = app.user(&org, "Colleague Bob", &[]).await;
    app.user(&org, "Carol Other", &[]).await;
    let org_profile = app.billing_profile(&org.admin, "US", Some(CARD_OK)).await;

    // R10: the global admin accepts the customer agreement for the organization.
    app.accept_agreement(&org.admin).await;

    // R25, R28: the user's own billing profile, then their card (R29).
    let input = json!({"i": {"name": "Pat's card", "contactName": "Pat Purchaser", "contactEmail": "pat@example.test",
        "billToAddress": address("US"), "selfService": true}});
    let profile = app.ok(&purchaser.token, CREATE_PROFILE, input).await["createBillingProfile"].clone();
    assert_eq!(profile["isSelfService"], true, "R28: a user's own profile");
    assert_eq!(profile["owner"]["id"], purchaser.id.as_str(), "R25: it belongs to the buyer");
    let profile = profile["id"].as_str().expect("id").to_owned();
    let first_card = app.ok(&purchaser.token, ADD_METHOD, json!({"p": profile, "i": card(CARD_OK, "US")})).await;
    assert_eq!(first_card["addPaymentMethod"]["last4"], "4242");

    // Buy 100 licenses self-service (R25): the buyer is the purchaser.
    let bought = app.ok(&purchaser.token, BUY, purchase(&product, Some(100), &profile, "SELF_SERVICE")).await;
    let bought = &bought["purchaseSubscription"];
    assert_eq!(bought["status"], "PENDING_ACTIVATION", "R12");
    assert_eq!(bought["isSelfService"], true);
    assert_eq!(bought["purchaser"]["id"], purchaser.id.as_str(), "R25: the buyer is the purchaser");
    assert_eq!(bought["billingProfile"]["id"], profile.as_str(), "R25: paid from their own profile");
    let sub = bought["id"].as_str().expect("id").to_owned();
    let charged: Vec<i64> = app.charges_of(&sub).await.into_iter().map(|(_, amount)| amount).collect();
    assert_eq!(charged, vec![100_000], "R30: 100 × 10.00 for the first term");

    // The publisher activates it in its portal (R14).
    app.activate(&publisher, &sub).await;

    // View your subscriptions: Billing > Your products, filter Self-service (R26).
    let mine = app.ok(&purchaser.token, SELF_SERVICE_LIST, json!({})).await;
    assert_eq!(mine["subscriptions"]["totalCount"], 1, "R26: the purchaser lists their self-service purchase");
    assert_eq!(mine["subscriptions"]["nodes"][0]["id"], sub.as_str());
    assert_eq!(mine["subscriptions"]["nodes"][0]["purchaser"]["id"], purchaser.id.as_str());

    // Buy more licenses: the new total, 100 + 5 → 105 (R18, R26).
    let more = app.ok(&purchaser.token, QUANTITY, json!({"s": sub, "q": 105})).await;
    assert_eq!(more["changeLicenseQuantity"]["quantity"], 105, "R18: the input is the new total");
    let charged: Vec<i64> = app.charges_of(&sub).await.into_iter().map(|(_, amount)| amount).collect();
    assert_eq!(charged, vec![100_000, 5_000], "R30: 5 added licenses for the whole (remaining) term");

    // "Begin typing a name" (R23), then assign to two colleagues (R19, R26).
    let search = "query($s: String) { users(search: $s, first: 20) { totalCount nodes { id name } } }";
    let found = app.ok(&purchaser.token, search, json!({"s": "Colleague"})).await;
    assert_eq!(names(&found["users"]["nodes"]), vec!["Colleague Alice", "Colleague Bob"], "R23");
    let colleagues: Vec<String> = found["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    let assigned = app.ok(&purchaser.token, ASSIGN, json!({"s": sub, "u": colleagues})).await;
    assert_eq!(assigned["assignLicenses"]["subscription"]["assigned"], 2, "R19, R26");
    let licenses = app.ok(&alice.token, "{ myLicenses { subscriptionId } }", json!({})).await;
    assert_eq!(licenses["myLicenses"][0]["subscriptionId"], sub.as_str(), "R22: the colleague sees the license");

    // Unassign one (R20, R26).
    let unassigned = app.ok(&purchaser.token, UNASSIGN, json!({"s": sub, "u": [alice.id]})).await;
    assert_eq!(unassigned["unassignLicenses"]["subscription"]["assigned"], 1, "R20");

    // Meanwhile: the admins' read-only view (R27), and every change refused.
    for (label, token) in [("GLOBAL_ADMIN", org.admin.as_str()), ("BILLING_ADMIN", billing_admin.token.as_str())] {
        let view = app.ok(token, READ_ONLY_VIEW, json!({"id": sub})).await["subscription"].clone();
        assert_eq!(view["product"]["name"], "Team Board", "R27: {label} sees the product");
        assert_eq!(view["purchaser"]["name"], "Pat Purchaser", "R27: {label} sees the purchaser's name");
        assert_eq!(view["quantity"], 105, "R27: {label} sees the licenses purchased");
        assert_eq!(view["termEndDate"], "2026-04-01", "R27: {label} sees the expiry date");
        assert_eq!(view["unitPrice"], json!({"amount": "10.00", "currency": "USD"}), "R27: {label} sees the price");
        assert_eq!(names(&view["assignedUsers"]), vec!["Colleague Bob"], "R27: {label} sees the assigned users");
        let listed = app.ok(token, SELF_SERVICE_LIST, json!({})).await;
        assert_eq!(ids(&listed["subscriptions"]), vec![sub.clone()], "R27: {label} filters to self-service purchases");
        let org_only = app.ok(token, LIST, json!({"f": {"selfService": false}})).await;
        assert!(!ids(&org_only["subscriptions"]).contains(&sub), "R27: selfService: false leaves it out");
        for (operation, query, variables) in changes(&sub, &alice.id, &bob.id, &org_profile) {
            let before = snapshot(&app, &org.admin, &sub).await;
            let result = attempt(&app, Some(token), query, variables).await;
            assert_eq!(outcome(&result), "FORBIDDEN", "R27: {label} {operation} on a self-service subscription");
            assert_eq!(snapshot(&app, &org.admin, &sub).await, before, "R27: {label} {operation} changed nothing");
        }
    }

    // Replace the card (R26, R29): the new card pays for the profile's subscriptions.
    let replaced =
        app.ok(&purchaser.token, REPLACE_METHOD, json!({"p": profile, "i": card("5555555555554444", "US")})).await;
    assert_eq!(replaced["replacePaymentMethod"]["brand"], "MASTERCARD");
    assert_eq!(replaced["replacePaymentMethod"]["last4"], "4444");
    let current = app.ok(&purchaser.token, PROFILE, json!({"id": profile})).await;
    assert_eq!(current["billingProfile"]["paymentMethod"]["last4"], "4444", "R29: the replacement is current");

    // View your invoices for the past 6 months (R26, R32): the billing run issues March's on April 1.
    app.bill(date(2026, 4, 1)).await;
    let page = app.invoice_page(&purchaser.token, json!({"period": "PAST_6_MONTHS"}), Some(100), None).await;
    assert_eq!(page["totalCount"], 1, "R32: the purchaser's invoice: {page}");
    let invoice = &page["edges"][0]["node"];
    assert_eq!(invoice["billingProfile"]["id"], profile.as_str(), "R25: invoiced on the purchaser's profile");
    assert_eq!(invoice["total"]["amount"], "1050.00", "R30, R31: 1000.00 + 50.00");
    assert_eq!(invoice["status"], "PAID", "R31: charged to the purchaser's card at issue");
    assert!(
        invoice["paymentMethod"].as_str().unwrap_or("").contains("4444"),
        "R29: the replacement card paid: {invoice}"
    );

    // Cancel with a reason and feedback (R26, R35).
    let cancel = "mutation($s: ID!, $f: String) { cancelSubscription(subscriptionId: $s, reason: TOO_EXPENSIVE, feedback: $f) \
        { status disabledReason cancelReason cancelFeedback } }";
    let canceled = app.ok(&purchaser.token, cancel, json!({"s": sub, "f": "We went back to the whiteboard."})).await;
    assert_eq!(
        canceled["cancelSubscription"],
        json!({"status": "DISABLED", "disabledReason": "CANCELED", "cancelReason": "TOO_EXPENSIVE",
            "cancelFeedback": "We went back to the whiteboard."}),
        "R35"
    );
    assert_eq!(
        app.err(Some(&purchaser.token), QUANTITY, json!({"s": sub, "q": 106})).await,
        "SUBSCRIPTION_DISABLED",
        "R16: disabled is final"
    );
    let view = app.ok(&billing_admin.token, READ_ONLY_VIEW, json!({"id": sub})).await;
    assert_eq!(view["subscription"]["status"], "DISABLED", "R27: admins still see it");
}

/// R24: admins set the policy per product (default allowed); a disallowed
/// product cannot be bought self-service, a non-eligible one never; the policy
/// affects future purchases only, and only this organization's.
#[tokio::test]
async fn r24_self_service_policy_governs_future_purchases_only() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let product = shop.per_license.as_str();
    let billing_admin = app.user(&shop.org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license_admin = app.user(&shop.org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let purchaser = app.user(&shop.org, "Pat Purchaser", &[]).await;
    let colleague = app.user(&shop.org, "Colleague Alice", &[]).await;
    let other = app.register_org("Northwind", "US").await;
    let profile = app.personal_profile(&purchaser.token, "US", CARD_OK).await;
    let not_eligible = app
        .product(&shop.publisher, "Enterprise Suite", "PER_LICENSE", &[("MONTHLY", "USD", "30.00")], None, false)
        .await;

    assert_eq!(allowed(&app, &purchaser.token, product).await, true, "R24: allowed by default");
    for (label, token) in [("LICENSE_ADMIN", license_admin.token.as_str()), ("USER", purchaser.token.as_str())] {
        let result = attempt(&app, Some(token), POLICY, json!({"p": product, "a": false})).await;
        assert_eq!(outcome(&result), "FORBIDDEN", "R24: {label} does not set the policy");
        assert_eq!(allowed(&app, &purchaser.token, product).await, true, "R24: unchanged after {label}");
    }

    let existing = buy_self_service(&app, &purchaser.token, product, 10, &profile).await;
    app.activate(&shop.publisher, &existing).await;

    // The global admin forbids it.
    let set = app.ok(&shop.org.admin, POLICY, json!({"p": product, "a": false})).await;
    assert_eq!(set["setSelfServicePolicy"]["selfServiceAllowed"], false, "R24");
    for token in [&purchaser.token, &billing_admin.token, &shop.org.admin] {
        assert_eq!(allowed(&app, token, product).await, false, "R24: products show the organization's policy");
    }
    let listed = app
        .ok(
            &purchaser.token,
            "{ products(filter: {selfServiceEligible: true}) { nodes { id selfServiceAllowed } } }",
            json!({}),
        )
        .await;
    let node = listed["products"]["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == product).cloned();
    assert_eq!(node.expect("listed")["selfServiceAllowed"], false, "R24: in the catalog list too");
    assert_eq!(allowed(&app, &other.admin, product).await, true, "R24: per organization");

    let (subscriptions, charges) = (app.count("subscriptions").await, app.count("charges").await);
    let refused = app.err(Some(&purchaser.token), BUY, purchase(product, Some(5), &profile, "SELF_SERVICE")).await;
    assert_eq!(refused, "SELF_SERVICE_NOT_ALLOWED", "R24: a disallowed product");
    assert_eq!(
        (app.count("subscriptions").await, app.count("charges").await),
        (subscriptions, charges),
        "nothing bought"
    );

    // A change affects future purchases only: the existing one keeps working.
    let more = app.ok(&purchaser.token, QUANTITY, json!({"s": existing, "q": 12})).await;
    assert_eq!(more["changeLicenseQuantity"]["quantity"], 12, "R24: existing self-service subscriptions keep working");
    app.ok(&purchaser.token, ASSIGN, json!({"s": existing, "u": [colleague.id]})).await;
    app.ok(&purchaser.token, AUTO_RENEW, json!({"s": existing, "a": false})).await;
    let state = app.ok(&shop.org.admin, STATE, json!({"id": existing})).await;
    assert_eq!(state["subscription"]["status"], "ACTIVE");
    assert_eq!(state["subscription"]["assigned"], 1);
    // The policy is about self-service: the organization itself still buys the product.
    app.buy(&shop.org.admin, product, "MONTHLY", Some(1), &shop.profile).await;

    // The billing admin allows it again.
    app.ok(&billing_admin.token, POLICY, json!({"p": product, "a": true})).await;
    assert_eq!(allowed(&app, &purchaser.token, product).await, true, "R24");
    buy_self_service(&app, &purchaser.token, product, 5, &profile).await;

    // Not eligible: never, whatever the policy (R24).
    let (subscriptions, charges) = (app.count("subscriptions").await, app.count("charges").await);
    for (name, id, quantity) in
        [("Enterprise Suite", not_eligible.as_str(), Some(5)), ("Site App", shop.flat.as_str(), None)]
    {
        let refused = app.err(Some(&purchaser.token), BUY, purchase(id, quantity, &profile, "SELF_SERVICE")).await;
        assert_eq!(refused, "NOT_SELF_SERVICE_ELIGIBLE", "R24: {name} is not eligible");
    }
    assert_eq!(
        (app.count("subscriptions").await, app.count("charges").await),
        (subscriptions, charges),
        "nothing bought"
    );
}
