//! Issue 25, R50, R51 from outside: the real binary, played by a publisher's
//! app. It obtains a token with the OAuth 2.0 client-credentials grant
//! (HTTP Basic, as stock OAuth clients send it), checks licenses one by one
//! and in a batch, and the uses it caused are written behind its back —
//! periodically, and on shutdown (SIGTERM) when the period has not come yet.
//! A revoked client's token stops at once. Both engines.

use serde_json::{Value, json};

use crate::{
    harness::{Server, fresh_database_url},
    marketplace::{data, new_user, product, publisher, ready_to_buy, subscription},
};

/// What a customer, a publisher and a purchase leave behind.
pub struct Marketplace {
    pub org_id: String,
    pub publisher: String,
    pub product: String,
    pub subscription: String,
    /// A user holding a license, and one who does not.
    pub holder: (String, String),
    pub other: (String, String),
}

/// A customer organization with an active subscription (5 seats) of a
/// publisher's per-license product, one license assigned.
pub async fn marketplace(server: &Server) -> Marketplace {
    let (org_admin, _) = server.register("Contoso").await;
    let me = data(server, Some(&org_admin), "{ me { organization { id } } }", json!({})).await;
    let org_id = me["me"]["organization"]["id"].as_str().expect("org").to_owned();
    let publisher = publisher(server, "Fabrikam").await;
    let product = product(server, &publisher, "Seat App").await;
    let profile = ready_to_buy(server, &org_admin).await;
    let subscription = subscription(server, &org_admin, &profile, &product, &publisher, 5).await;
    let holder = new_user(server, &org_admin, "Holder", &[]).await;
    let other = new_user(server, &org_admin, "Other", &[]).await;
    data(
        server,
        Some(&org_admin),
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": subscription, "u": [holder.0]}),
    )
    .await;
    Marketplace { org_id, publisher, product, subscription, holder, other }
}

/// An API client of the publisher: (row id, client_id, secret).
pub async fn api_client(server: &Server, publisher: &str) -> (String, String, String) {
    let created = data(
        server,
        Some(publisher),
        "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { id clientId } } }",
        json!({"i": {"name": "Seat App backend"}}),
    )
    .await;
    let c = &created["createApiClient"];
    (
        c["client"]["id"].as_str().expect("id").to_owned(),
        c["client"]["clientId"].as_str().expect("client id").to_owned(),
        c["clientSecret"].as_str().expect("secret").to_owned(),
    )
}

async fn app_token(http: &reqwest::Client, server: &Server, client_id: &str, secret: &str) -> String {
    let response = http
        .post(format!("http://{}/oauth/token", server.addr))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "licenses.check")])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().await.expect("body")).expect("JSON");
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().expect("access token").to_owned()
}

async fn check(http: &reqwest::Client, server: &Server, token: &str, org: &str, email: &str) -> (u16, Value) {
    let response = http
        .get(format!("http://{}/api/v1/license-checks", server.addr))
        .query(&[("organizationId", org), ("email", email)])
        .bearer_auth(token)
        .send()
        .await
        .expect("check");
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.text().await.expect("body")).unwrap_or(Value::Null))
}

/// Waits until `done` holds (the write-behind runs on its own schedule).
async fn eventually<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the license check's use was never written");
}

fn terminate(server: &mut Server) {
    let sent = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().expect("kill");
    assert!(sent.success(), "SIGTERM not sent");
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "the server did not stop cleanly: {status}");
}

#[tokio::test]
async fn r50_r51_the_publishers_app_checks_licenses_with_client_credentials() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[("LICENSEDESK_USAGE_FLUSH_SECONDS", "1")]).await;
    let market = marketplace(&server).await;
    let (client_row, client_id, secret) = api_client(&server, &market.publisher).await;
    let http = reqwest::Client::new();
    let token = app_token(&http, &server, &client_id, &secret).await;

    let (status, body) = check(&http, &server, &token, &market.org_id, &market.holder.1).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["licensed"], true);
    assert_eq!(body["licenses"][0]["status"], "ACTIVE");
    assert_eq!(body["licenses"][0]["productId"], market.product.as_str());
    let (_, body) = check(&http, &server, &token, &market.org_id, &market.other.1).await;
    assert_eq!(body["licensed"], false);
    let batch = http
        .post(format!("http://{}/api/v1/license-checks", server.addr))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(
            json!({"organizationId": market.org_id, "users": [{"email": market.other.1}, {"email": market.holder.1}]})
                .to_string(),
        )
        .send()
        .await
        .expect("batch");
    assert_eq!(batch.status(), 200);
    let batch: Value = serde_json::from_str(&batch.text().await.expect("body")).expect("JSON");
    assert_eq!(batch["results"][0]["licensed"], false);
    assert_eq!(batch["results"][1]["licensed"], true);
    assert_eq!(batch["results"][1]["licenses"][0]["subscriptionId"], market.subscription.as_str());

    // R51: the use is written behind the check, within the flush period.
    eventually(|| async {
        let (_, body) = check(&http, &server, &token, &market.org_id, &market.holder.1).await;
        body["licenses"][0]["lastUsedAt"].is_string()
    })
    .await;

    // The app's token is no key to GraphQL.
    let response = server.graphql(Some(&token), "{ me { id } }", json!({})).await;
    assert_eq!(crate::harness::code(&response), Some("UNAUTHENTICATED"));

    // Revoked: the token stops at once.
    data(
        &server,
        Some(&market.publisher),
        "mutation($c: ID!) { revokeApiClient(apiClientId: $c) { revokedAt } }",
        json!({"c": client_row}),
    )
    .await;
    let (status, body) = check(&http, &server, &token, &market.org_id, &market.holder.1).await;
    assert_eq!((status, crate::harness::code(&body)), (401, Some("UNAUTHENTICATED")));
}

/// R51: uses noted just before a shutdown are written on the way out.
#[tokio::test]
async fn r51_uses_noted_before_shutdown_are_written() {
    let url = fresh_database_url().await;
    let mut server = Server::start(&url, &[("LICENSEDESK_USAGE_FLUSH_SECONDS", "300")]).await;
    let market = marketplace(&server).await;
    let (_, client_id, secret) = api_client(&server, &market.publisher).await;
    let http = reqwest::Client::new();
    let token = app_token(&http, &server, &client_id, &secret).await;
    let (_, body) = check(&http, &server, &token, &market.org_id, &market.holder.1).await;
    assert_eq!(body["licenses"][0]["lastUsedAt"], Value::Null, "{body}");
    terminate(&mut server);
    let server = Server::start(&url, &[("LICENSEDESK_USAGE_FLUSH_SECONDS", "300")]).await;
    let (status, body) = check(&http, &server, &token, &market.org_id, &market.holder.1).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["licenses"][0]["lastUsedAt"].is_string(), "the shutdown did not write the use: {body}");
}

/// A stock OAuth client (Python Authlib, tests/clients/oauth_app.py) plays
/// the publisher's app: metadata discovery, client credentials, the check.
/// Skips with a warning unless LICENSEDESK_TEST_PYTHON is set (required when
/// LICENSEDESK_REQUIRE_CLIENTS is set, as in CI).
#[tokio::test]
async fn r50_a_stock_oauth_client_gets_a_token_and_checks_a_license() {
    let Some(python) = std::env::var_os("LICENSEDESK_TEST_PYTHON") else {
        assert!(
            std::env::var_os("LICENSEDESK_REQUIRE_CLIENTS").is_none(),
            "LICENSEDESK_REQUIRE_CLIENTS is set but LICENSEDESK_TEST_PYTHON is not"
        );
        eprintln!("WARNING: skipped: set LICENSEDESK_TEST_PYTHON to a python with tests/clients/requirements.txt");
        return;
    };
    let server = Server::start(&fresh_database_url().await, &[]).await;
    let market = marketplace(&server).await;
    let (_, client_id, secret) = api_client(&server, &market.publisher).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/oauth_app.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("http://{}", server.addr))
        .args([&client_id, &secret, &market.org_id, &market.holder.1])
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "authlib failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let answer: Value = serde_json::from_str(stdout.trim()).expect("JSON from the script");
    assert_eq!(answer["scope"], "licenses.check");
    assert_eq!(answer["status"], 200);
    assert_eq!(answer["body"]["licensed"], true, "{answer}");
}
