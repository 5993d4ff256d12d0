//! Issue 25 item 2, R53 from outside: the real binary, played by a
//! publisher's portal on a stock OAuth client (Python Authlib,
//! tests/clients/portal_app.py): the authorization code grant with PKCE, the
//! consent form posted like a browser, licenses assigned through the
//! delegated token, refusals outside the granted scope, another
//! organization's and another publisher's subscriptions, refresh-token
//! rotation — and, after the organization's admin withdraws the consent
//! through GraphQL, the token and the refresh token refused. Both engines.

use serde_json::{Value, json};

use crate::{
    harness::{PASSWORD, Server, fresh_database_url},
    marketplace::{data, new_user, product, publisher, ready_to_buy, subscription},
};

const REDIRECT: &str = "http://127.0.0.1:9/portal/callback";

/// A customer organization ready to buy: (admin token, billing profile).
async fn customer(server: &Server, name: &str) -> (String, String) {
    let (admin, _) = server.register(name).await;
    let profile = ready_to_buy(server, &admin).await;
    (admin, profile)
}

/// Skips with a warning unless LICENSEDESK_TEST_PYTHON is set (required when
/// LICENSEDESK_REQUIRE_CLIENTS is set, as in CI).
#[tokio::test]
async fn r53_a_stock_oauth_client_plays_the_publishers_portal() {
    let Some(python) = std::env::var_os("LICENSEDESK_TEST_PYTHON") else {
        assert!(
            std::env::var_os("LICENSEDESK_REQUIRE_CLIENTS").is_none(),
            "LICENSEDESK_REQUIRE_CLIENTS is set but LICENSEDESK_TEST_PYTHON is not"
        );
        eprintln!("WARNING: skipped: set LICENSEDESK_TEST_PYTHON to a python with tests/clients/requirements.txt");
        return;
    };
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let fabrikam = publisher(&server, "Fabrikam").await;
    let northwind = publisher(&server, "Northwind").await;
    let seat_app = product(&server, &fabrikam, "Seat App").await;
    let rival_app = product(&server, &northwind, "Rival App").await;
    let (contoso, profile) = customer(&server, "Contoso").await;
    let sub = subscription(&server, &contoso, &profile, &seat_app, &fabrikam, 3).await;
    let rival_sub = subscription(&server, &contoso, &profile, &rival_app, &northwind, 3).await;
    let (tailspin, tailspin_profile) = customer(&server, "Tailspin").await;
    let foreign_sub = subscription(&server, &tailspin, &tailspin_profile, &seat_app, &fabrikam, 3).await;
    let (_, admin_email) = new_user(&server, &contoso, "Lena Licenser", &["LICENSE_ADMIN"]).await;
    let ada = new_user(&server, &contoso, "Ada Lovelace", &[]).await;
    let alan = new_user(&server, &contoso, "Alan Turing", &[]).await;
    let client = data(
        &server,
        Some(&fabrikam),
        "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { clientId } } }",
        json!({"i": {"name": "Fabrikam portal", "redirectUris": [REDIRECT]}}),
    )
    .await;
    let client_id = client["createApiClient"]["client"]["clientId"].as_str().expect("client id").to_owned();
    let secret = client["createApiClient"]["clientSecret"].as_str().expect("secret").to_owned();
    let plan = json!({"email": admin_email, "password": PASSWORD, "subscription": sub, "rivalSubscription": rival_sub,
        "foreignSubscription": foreign_sub, "search": "lovel", "assign": [ada.0, alan.0]});
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/portal_app.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", server.addr))
        .args([&client_id, &secret, REDIRECT, &plan.to_string()])
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "authlib failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let seen: Value = serde_json::from_str(stdout.trim()).expect("JSON from the script");
    assert_eq!(seen["scope"], "licenses.read licenses.assign", "{seen}");
    // Only the organization's subscription of the portal's publisher.
    let items = &seen["subscriptions"]["body"]["items"];
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{seen}");
    assert_eq!(items[0]["id"], json!(sub));
    assert_eq!(seen["people"]["body"]["items"][0]["id"], json!(ada.0), "{seen}");
    // R19–R21 through the delegated token.
    assert_eq!(seen["assign"]["status"], 200, "{seen}");
    assert_eq!(seen["assign"]["body"]["seats"], json!({"quantity": 3, "assigned": 2, "available": 1}));
    // Another publisher's and another organization's subscriptions are unknown to it.
    for name in ["rivalSubscription", "foreignSubscription"] {
        assert_eq!(seen[name]["status"], 404, "{name}: {seen}");
        assert_eq!(seen[name]["body"]["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
    // Outside the granted scope.
    assert_eq!(seen["outsideScope"]["status"], 403, "{seen}");
    assert!(seen["outsideScope"]["challenge"].as_str().is_some_and(|c| c.contains("insufficient_scope")));
    assert_eq!(seen["refreshRotated"], true);
    assert_eq!(seen["afterRefresh"], 200);
    // The admin center shows the assignment, made by the portal.
    let holders = data(
        &server,
        Some(&contoso),
        "query($s: ID!) { subscription(id: $s) { assigned } auditEvents(first: 5, filter: {action: \"subscription.assign_licenses\"}) { nodes { after } } }",
        json!({"s": sub}),
    )
    .await;
    assert_eq!(holders["subscription"]["assigned"], 2, "{holders}");
    assert_eq!(holders["auditEvents"]["nodes"][0]["after"]["channel"], "PORTAL", "{holders}");
    // The GLOBAL_ADMIN withdraws the consents through GraphQL: the tokens stop at once.
    let consents = data(
        &server,
        Some(&contoso),
        "{ organization { portalConsents(first: 10) { nodes { id revokedAt } } } }",
        json!({}),
    )
    .await;
    let nodes = consents["organization"]["portalConsents"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), 2, "two consents (read/assign, read only): {consents}");
    let access = seen["accessToken"].as_str().expect("access");
    let http = reqwest::Client::new();
    let portal = format!("http://{}/api/v1/portal/subscriptions", server.addr);
    let before = http.get(&portal).bearer_auth(access).send().await.expect("portal");
    assert_eq!(before.status().as_u16(), 200);
    for node in &nodes {
        let revoked = data(
            &server,
            Some(&contoso),
            "mutation($id: ID!) { revokePortalConsent(id: $id) { revokedAt } }",
            json!({"id": node["id"]}),
        )
        .await;
        assert!(revoked["revokePortalConsent"]["revokedAt"].is_string());
    }
    let after = http.get(&portal).bearer_auth(access).send().await.expect("portal");
    assert_eq!(after.status().as_u16(), 401);
    let refresh = http
        .post(format!("http://{}/oauth/token", server.addr))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", seen["refreshToken"].as_str().expect("refresh"))])
        .send()
        .await
        .expect("token");
    assert_eq!(refresh.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&refresh.text().await.expect("body")).expect("json");
    assert_eq!(body["error"], "invalid_grant");
}
