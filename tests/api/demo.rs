//! Issue 2 §11: the demo data loads through the API, logs in, and loading it twice duplicates nothing.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn demo_data_loads_once_and_its_admin_can_log_in() {
    let app = TestApp::spawn().await;
    licensedesk::demo::seed(&app.state).await.expect("first seed");
    let counts = (app.count("users").await, app.count("products").await, app.count("subscriptions").await);
    licensedesk::demo::seed(&app.state).await.expect("second seed");
    assert_eq!(
        (app.count("users").await, app.count("products").await, app.count("subscriptions").await),
        counts,
        "idempotent"
    );
    // Issue 13 item 8: Chat (per license), Whiteboard (flat rate, wire), Chat
    // on a declined card, Ann's self-service Chat, a canceled annual Chat.
    assert_eq!(counts, (7, 2, 5), "6 org users + 1 publisher user, 2 products, 5 subscriptions");
    let data = app
        .ok_anon(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": licensedesk::demo::DEMO_ADMIN, "p": licensedesk::demo::DEMO_PASSWORD}),
        )
        .await;
    let token = data["login"]["token"].as_str().expect("token");
    let subs = app
        .ok(
            token,
            "{ subscriptions(filter: {selfService: false}) { nodes { status assigned quantity product { name } } } }",
            json!({}),
        )
        .await;
    assert!(
        subs["subscriptions"]["nodes"].as_array().expect("nodes").contains(
            &json!({"status": "ACTIVE", "assigned": 2, "quantity": 10, "product": {"name": "Fabrikam Chat"}})
        ),
        "{subs}"
    );
    let roles = app.ok(token, "{ users(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(roles["users"]["totalCount"], 6);
}

/// Issue 13 item 8: the demo shows months of history under the default
/// invoice filter (PAST_3_MONTHS): paid, open and overdue invoices, a
/// flat-rate and a per-license subscription, a self-service purchase, a
/// subscription disabled after its card was declined, a proposal waiting.
#[tokio::test]
async fn demo_data_shows_every_kind_of_invoice_and_subscription() {
    let app = TestApp::spawn().await;
    licensedesk::demo::seed(&app.state).await.expect("seed");
    let token = demo_login(&app, licensedesk::demo::DEMO_ADMIN).await;
    let data = app
        .ok(
            &token,
            "{ invoices(first: 100) { nodes { status } } subscriptions { nodes { status disabledReason pricingModel channel } } \
             proposals { nodes { status } } billingProfiles { nodes { creditBalance { amount } } } }",
            json!({}),
        )
        .await;
    let invoices: Vec<&str> =
        data["invoices"]["nodes"].as_array().expect("invoices").iter().filter_map(|i| i["status"].as_str()).collect();
    for status in ["PAID", "OPEN", "OVERDUE", "CREDITED"] {
        assert!(invoices.contains(&status), "a {status} invoice under the default filter: {invoices:?}");
    }
    let subs = data["subscriptions"]["nodes"].as_array().expect("subscriptions");
    let has = |key: &str, value: &str| subs.iter().any(|s| s[key] == value);
    assert!(has("pricingModel", "FLAT_RATE") && has("pricingModel", "PER_LICENSE"), "{subs:?}");
    assert!(has("channel", "SELF_SERVICE"), "{subs:?}");
    assert!(has("disabledReason", "PAYMENT_NOT_CURRENT"), "the declined card's subscription: {subs:?}");
    assert_eq!(data["proposals"]["nodes"][0]["status"], "OPEN");
    let balances = data["billingProfiles"]["nodes"].as_array().expect("profiles");
    assert!(
        balances.iter().any(|p| p["creditBalance"]["amount"].as_str().is_some_and(|a| a != "0.00")),
        "{balances:?}"
    );
}

pub async fn demo_login(app: &TestApp, email: &str) -> String {
    let data = app
        .ok_anon(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": email, "p": licensedesk::demo::DEMO_PASSWORD}),
        )
        .await;
    data["login"]["token"].as_str().expect("token").to_owned()
}
