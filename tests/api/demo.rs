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
    assert_eq!(counts, (7, 2, 1), "6 org users + 1 publisher user, 2 products, 1 subscription");
    let data = app
        .ok_anon(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({"e": licensedesk::demo::DEMO_ADMIN, "p": licensedesk::demo::DEMO_PASSWORD}),
        )
        .await;
    let token = data["login"]["token"].as_str().expect("token");
    let subs =
        app.ok(token, "{ subscriptions { nodes { status assigned quantity product { name } } } }", json!({})).await;
    assert_eq!(
        subs["subscriptions"]["nodes"][0],
        json!({"status": "ACTIVE", "assigned": 2, "quantity": 10, "product": {"name": "Fabrikam Chat"}})
    );
    let roles = app.ok(token, "{ users(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(roles["users"]["totalCount"], 6);
}
