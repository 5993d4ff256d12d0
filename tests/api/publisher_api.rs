//! Issue 25, R50, R51: a publisher's API clients, the OAuth 2.0
//! client-credentials grant, the license check and usage reports, through
//! the router in-process, on both engines.

use axum::{body::Body, http::Request};
use base64::Engine;
use chrono::{Duration, Utc};
use http_body_util::BodyExt as _;
use licensedesk::clock::Clock as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::helpers::{Org, Person, Shop, TestApp};

pub const CREATE: &str = "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { id clientId scopes revokedAt } } }";

/// A publisher's API client: (row id, client_id, secret).
pub async fn api_client(app: &TestApp, publisher: &Person, scopes: Option<&[&str]>) -> (String, String, String) {
    let data = app.ok(&publisher.token, CREATE, json!({"i": {"name": "Production app", "scopes": scopes}})).await;
    let created = &data["createApiClient"];
    (
        created["client"]["id"].as_str().expect("id").to_owned(),
        created["client"]["clientId"].as_str().expect("client id").to_owned(),
        created["clientSecret"].as_str().expect("secret").to_owned(),
    )
}

/// A raw request through the router: status, headers and JSON body.
pub async fn send(app: &TestApp, request: Request<Body>) -> (u16, axum::http::HeaderMap, Value) {
    let response = app.router.clone().oneshot(request).await.expect("router");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, value)
}

/// POST /oauth/token with a form body and optional HTTP Basic credentials.
pub async fn token_request(
    app: &TestApp,
    form: &str,
    basic: Option<(&str, &str)>,
) -> (u16, axum::http::HeaderMap, Value) {
    let mut builder = Request::post("/oauth/token").header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        builder = builder.header("authorization", format!("Basic {encoded}"));
    }
    send(app, builder.body(Body::from(form.to_owned())).expect("request")).await
}

/// A client-credentials access token.
pub async fn app_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (status, _, body) = token_request(app, "grant_type=client_credentials", Some((client_id, secret))).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

pub async fn api_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let request =
        Request::get(path).header("authorization", format!("Bearer {token}")).body(Body::empty()).expect("request");
    let (status, _, body) = send(app, request).await;
    (status, body)
}

pub async fn api_post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let request = Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, _, body) = send(app, request).await;
    (status, body)
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

/// A shop whose organization bought the per-license app (3 seats), activated,
/// with `holder` assigned and `other` not.
struct Licensed {
    shop: Shop,
    subscription: String,
    holder: Person,
    other: Person,
}

async fn licensed(app: &TestApp) -> Licensed {
    let shop = app.shop().await;
    let subscription = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &subscription).await;
    let holder = app.user(&shop.org, "Holder", &[]).await;
    let other = app.user(&shop.org, "Other", &[]).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": subscription, "u": [holder.id]}),
    )
    .await;
    Licensed { shop, subscription, holder, other }
}

/// The directory's ID, as directory sync would set it.
async fn set_external_id(app: &TestApp, user: &str, external_id: &str) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::user::Entity::update_many()
        .col_expr(entity::user::Column::ExternalId, Expr::value(external_id))
        .filter(entity::user::Column::Id.eq(Uuid::parse_str(user).expect("uuid")))
        .exec(&app.db)
        .await
        .expect("external id");
}

async fn last_used_of(app: &TestApp, user: &str) -> Option<chrono::DateTime<Utc>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = Uuid::parse_str(user).expect("uuid");
    entity::license_assignment::Entity::find()
        .filter(entity::license_assignment::Column::UserId.eq(id))
        .one(&app.db)
        .await
        .expect("assignment")
        .expect("row")
        .last_used_at
}

fn check_path(org: &Org, who: &str) -> String {
    format!("/api/v1/license-checks?organizationId={}&{who}", org.id)
}

#[tokio::test]
async fn r50_a_publisher_manages_its_api_clients_and_nobody_else_sees_them() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam").await;
    let rival = app.register_publisher("Northwind").await;
    let org = app.register_org("Contoso", "US").await;
    let (id, client_id, secret) = api_client(&app, &publisher, None).await;
    assert!(client_id.starts_with("ldc_") && secret.starts_with("lds_"));
    // The secret is stored only as a hash.
    let stored = {
        use sea_orm::EntityTrait;
        entity::api_client::Entity::find_by_id(Uuid::parse_str(&id).expect("uuid"))
            .one(&app.db)
            .await
            .expect("row")
            .expect("client")
            .secret_hash
    };
    assert_ne!(stored, secret);
    assert!(!stored.contains(&secret[4..]));
    let list = "{ apiClients(first: 10) { totalCount nodes { id name clientId scopes lastUsedAt revokedAt } } }";
    let data = app.ok(&publisher.token, list, json!({})).await;
    assert_eq!(data["apiClients"]["totalCount"], 1);
    assert_eq!(data["apiClients"]["nodes"][0]["scopes"], json!(["licenses.check", "usage.write"]));
    // R3, R37: another publisher sees none and cannot touch it; org users are refused.
    let rival_list = app.ok(&rival.token, list, json!({})).await;
    assert_eq!(rival_list["apiClients"]["totalCount"], 0);
    let rotate = "mutation($c: ID!) { rotateApiClientSecret(apiClientId: $c) { clientSecret } }";
    let revoke = "mutation($c: ID!) { revokeApiClient(apiClientId: $c) { revokedAt } }";
    assert_eq!(app.err(Some(&rival.token), rotate, json!({"c": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&rival.token), revoke, json!({"c": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&rival.token), revoke, json!({"c": Uuid::new_v4()})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&org.admin), list, json!({})).await, "FORBIDDEN");
    assert_eq!(app.err(Some(&org.admin), revoke, json!({"c": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&org.admin), CREATE, json!({"i": {"name": "x", "scopes": null}})).await, "FORBIDDEN");
    // Scopes come from the app family only.
    assert_eq!(
        app.err(Some(&publisher.token), CREATE, json!({"i": {"name": "x", "scopes": ["licenses.assign"]}})).await,
        "VALIDATION_FAILED"
    );
    // Rotation gives a new secret; revocation is final.
    let rotated = app.ok(&publisher.token, rotate, json!({"c": id})).await;
    assert_ne!(rotated["rotateApiClientSecret"]["clientSecret"].as_str(), Some(secret.as_str()));
    let revoked = app.ok(&publisher.token, revoke, json!({"c": id})).await;
    assert!(revoked["revokeApiClient"]["revokedAt"].is_string());
    assert_eq!(app.err(Some(&publisher.token), rotate, json!({"c": id})).await, "INVALID_STATE");
    // The publisher's audit log has the three changes; the org's has none.
    let audit = "{ auditEvents(first: 20) { nodes { action } } }";
    let actions = app.ok(&publisher.token, audit, json!({})).await;
    let actions: Vec<&str> = actions["auditEvents"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["action"].as_str())
        .collect();
    for action in ["api_client.create", "api_client.rotate_secret", "api_client.revoke"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    let org_actions = app.ok(&org.admin, audit, json!({})).await.to_string();
    assert!(!org_actions.contains("api_client"), "{org_actions}");
}

#[tokio::test]
async fn r50_the_client_credentials_grant_follows_rfc_6749() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam").await;
    let (id, client_id, secret) = api_client(&app, &publisher, None).await;
    // HTTP Basic, and credentials in the body.
    let (status, headers, body) =
        token_request(&app, "grant_type=client_credentials", Some((&client_id, &secret))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "licenses.check usage.write");
    assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let form =
        format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=licenses.check");
    let (status, _, body) = token_request(&app, &form, None).await;
    assert_eq!((status, body["scope"].as_str()), (200, Some("licenses.check")), "{body}");
    // Refusals with the standard codes.
    let (status, headers, body) =
        token_request(&app, "grant_type=client_credentials", Some((&client_id, "lds_wrong"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert!(headers.contains_key("www-authenticate"));
    let (status, _, body) = token_request(&app, "grant_type=client_credentials", Some(("ldc_unknown", &secret))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, _, body) = token_request(&app, "grant_type=password", Some((&client_id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, _, body) =
        token_request(&app, "grant_type=client_credentials&scope=licenses.assign", Some((&client_id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    let (status, _, body) = token_request(&app, &format!("{form}&client_id=again"), None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    let (status, _, body) = token_request(
        &app,
        &format!("grant_type=client_credentials&client_secret={secret}"),
        Some((&client_id, &secret)),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "two ways of authenticating");
    // A client limited to usage.write cannot get licenses.check.
    let (_, narrow_id, narrow_secret) = api_client(&app, &publisher, Some(&["usage.write"])).await;
    let (status, _, body) =
        token_request(&app, "grant_type=client_credentials&scope=licenses.check", Some((&narrow_id, &narrow_secret)))
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    // The token endpoint notes the client's last use.
    let data = app.ok(&publisher.token, "{ apiClients(first: 10) { nodes { id lastUsedAt } } }", json!({})).await;
    let node = data["apiClients"]["nodes"].as_array().expect("nodes").iter().find(|n| n["id"] == id.as_str()).cloned();
    assert!(node.expect("client")["lastUsedAt"].is_string());
}

/// R46, R37: the app's token is no user's access token: the GraphQL door, the
/// PDF route and every field behind them answer as to an invalid token.
#[tokio::test]
async fn r50_an_app_token_opens_no_other_door() {
    let app = TestApp::spawn().await;
    let setup = licensed(&app).await;
    let (_, client_id, secret) = api_client(&app, &setup.shop.publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;
    for query in [
        "{ me { id } }",
        "{ publisherSubscriptions(first: 5) { nodes { id } } }",
        "{ apiClients(first: 5) { nodes { id } } }",
        "{ subscriptions(first: 5) { nodes { id } } }",
    ] {
        assert_eq!(app.err(Some(&token), query, json!({})).await, "UNAUTHENTICATED", "{query}");
    }
    let request = Request::get(format!("/invoices/{}.pdf", Uuid::new_v4()))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(&app, request).await;
    assert_eq!(status, 401);
    // And a user's access token is not the app's.
    let (status, body) =
        api_get(&app, &setup.shop.publisher.token, &check_path(&setup.shop.org, "email=a@b.test")).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
}

#[tokio::test]
async fn r50_the_license_check_answers_for_the_publishers_own_products_only() {
    let app = TestApp::spawn().await;
    let setup = licensed(&app).await;
    let org = &setup.shop.org;
    let (_, client_id, secret) = api_client(&app, &setup.shop.publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;

    let (status, body) = api_get(&app, &token, &check_path(org, &format!("email={}", setup.holder.email))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["licensed"], true);
    assert_eq!(body["licenses"][0]["status"], "ACTIVE");
    assert_eq!(body["licenses"][0]["subscriptionId"], setup.subscription.as_str());
    assert_eq!(body["licenses"][0]["productId"], setup.shop.per_license.as_str());
    let (_, body) = api_get(&app, &token, &check_path(org, &format!("email={}", setup.other.email))).await;
    assert_eq!((body["licensed"].as_bool(), body["licenses"].as_array().map(Vec::len)), (Some(false), Some(0)));
    // An unknown person answers exactly like one without a license.
    let (_, unknown) = api_get(&app, &token, &check_path(org, "email=nobody%40example.test")).await;
    assert_eq!(unknown["licensed"], false);
    assert_eq!(unknown["licenses"], json!([]));
    // By the directory's external ID.
    set_external_id(&app, &setup.holder.id, "00u-holder").await;
    let (_, body) = api_get(&app, &token, &check_path(org, "externalId=00u-holder")).await;
    assert_eq!(body["licensed"], true, "{body}");
    // One product: the right one, and another product of the publisher.
    let (_, body) = api_get(
        &app,
        &token,
        &check_path(org, &format!("email={}&productId={}", setup.holder.email, setup.shop.per_license)),
    )
    .await;
    assert_eq!(body["licensed"], true);
    let (_, body) =
        api_get(&app, &token, &check_path(org, &format!("email={}&productId={}", setup.holder.email, setup.shop.flat)))
            .await;
    assert_eq!(body["licensed"], false);
    // Batched, answers in the order asked.
    let batch = json!({"organizationId": org.id, "users": [
        {"email": setup.other.email}, {"externalId": "00u-holder"}, {"email": setup.holder.email.to_uppercase()}]});
    let (status, body) = api_post(&app, &token, "/api/v1/license-checks", batch).await;
    assert_eq!(status, 200, "{body}");
    let licensed: Vec<bool> =
        body["results"].as_array().expect("results").iter().map(|r| r["licensed"].as_bool().unwrap_or(true)).collect();
    assert_eq!(licensed, [false, true, true]);
    let too_many: Vec<Value> = (0..101).map(|i| json!({"email": format!("p{i}@example.test")})).collect();
    let (status, body) =
        api_post(&app, &token, "/api/v1/license-checks", json!({"organizationId": org.id, "users": too_many})).await;
    assert_eq!((status, code(&body)), (400, "TOO_MANY_USERS"));
    let (status, body) =
        api_post(&app, &token, "/api/v1/license-checks", json!({"organizationId": org.id, "users": [{}]})).await;
    assert_eq!((status, code(&body)), (400, "VALIDATION_FAILED"));

    // R3, R37: an organization without the publisher's products, a random
    // one and a malformed one answer alike; so does another publisher's product.
    let stranger = app.register_org("Adatum", "US").await;
    let (status, foreign) = api_get(&app, &token, &check_path(&stranger, "email=a%40b.test")).await;
    assert_eq!((status, code(&foreign)), (404, "NOT_FOUND"));
    let (_, random) =
        api_get(&app, &token, &format!("/api/v1/license-checks?organizationId={}&email=a%40b.test", Uuid::new_v4()))
            .await;
    let (_, malformed) = api_get(&app, &token, "/api/v1/license-checks?organizationId=x&email=a%40b.test").await;
    for body in [&random, &malformed] {
        assert_eq!(body["errors"][0]["extensions"]["entity"], foreign["errors"][0]["extensions"]["entity"]);
        assert_eq!(body["errors"][0]["message"], foreign["errors"][0]["message"]);
    }
    let rival = app.register_publisher("Northwind").await;
    let rival_product = app.product(&rival, "Rival", "PER_LICENSE", &[("MONTHLY", "USD", "5.00")], None, true).await;
    let (status, body) =
        api_get(&app, &token, &check_path(org, &format!("email={}&productId={rival_product}", setup.holder.email)))
            .await;
    assert_eq!((status, body["errors"][0]["extensions"]["entity"].as_str()), (404, Some("PRODUCT")));
    // The rival's own app sees nothing of this organization.
    let (_, rival_id, rival_secret) = api_client(&app, &rival, None).await;
    let rival_token = app_token(&app, &rival_id, &rival_secret).await;
    let (status, body) = api_get(&app, &rival_token, &check_path(org, &format!("email={}", setup.holder.email))).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));
    // Wrong scope: a usage-only client may not check.
    let (_, usage_id, usage_secret) = api_client(&app, &setup.shop.publisher, Some(&["usage.write"])).await;
    let usage_token = app_token(&app, &usage_id, &usage_secret).await;
    let (status, body) = api_get(&app, &usage_token, &check_path(org, &format!("email={}", setup.holder.email))).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
}

#[tokio::test]
async fn r50_revoked_clients_rotated_secrets_and_expired_tokens_stop_at_once() {
    let app = TestApp::spawn().await;
    let setup = licensed(&app).await;
    let publisher = &setup.shop.publisher;
    let path = check_path(&setup.shop.org, &format!("email={}", setup.holder.email));
    let (id, client_id, secret) = api_client(&app, publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;
    assert_eq!(api_get(&app, &token, &path).await.0, 200);
    // Rotation: the old secret and its tokens stop; the new secret works.
    let rotated = app
        .ok(
            &publisher.token,
            "mutation($c: ID!) { rotateApiClientSecret(apiClientId: $c) { clientSecret } }",
            json!({"c": id}),
        )
        .await;
    let new_secret = rotated["rotateApiClientSecret"]["clientSecret"].as_str().expect("secret").to_owned();
    let (status, body) = api_get(&app, &token, &path).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
    let (status, _, body) = token_request(&app, "grant_type=client_credentials", Some((&client_id, &secret))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let token = app_token(&app, &client_id, &new_secret).await;
    assert_eq!(api_get(&app, &token, &path).await.0, 200);
    // Expiry: the token works for its lifetime only.
    app.clock.set(app.clock.now() + Duration::seconds(901));
    let (status, body) = api_get(&app, &token, &path).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
    // Revocation: no more tokens, and the current one stops.
    let token = app_token(&app, &client_id, &new_secret).await;
    app.ok(&publisher.token, "mutation($c: ID!) { revokeApiClient(apiClientId: $c) { id } }", json!({"c": id})).await;
    let (status, body) = api_get(&app, &token, &path).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
    let (status, _, body) = token_request(&app, "grant_type=client_credentials", Some((&client_id, &new_secret))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

/// R51: a check notes the use in memory; nothing is written until the flush,
/// which writes the whole batch in one transaction.
#[tokio::test]
async fn r51_license_checks_record_last_use_write_behind() {
    let app = TestApp::spawn().await;
    let setup = licensed(&app).await;
    let (_, client_id, secret) = api_client(&app, &setup.shop.publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;
    let path = check_path(&setup.shop.org, &format!("email={}", setup.holder.email));
    for _ in 0..3 {
        assert_eq!(api_get(&app, &token, &path).await.0, 200);
    }
    assert_eq!(last_used_of(&app, &setup.holder.id).await, None, "a check wrote to the database");
    assert_eq!(app.state.usage.pending(), 1, "three checks of one license are one pending use");
    let moved = app.state.usage.flush(&app.db).await.expect("flush");
    assert_eq!(moved, 1);
    assert_eq!(last_used_of(&app, &setup.holder.id).await, Some(app.clock.now()));
    assert_eq!(app.state.usage.pending(), 0);
    // The check shows the recorded time.
    let (_, body) = api_get(&app, &token, &path).await;
    assert!(body["licenses"][0]["lastUsedAt"].is_string(), "{body}");
}

#[tokio::test]
async fn r51_usage_reports_record_last_use_for_the_publishers_licenses() {
    let app = TestApp::spawn().await;
    let setup = licensed(&app).await;
    let org = &setup.shop.org;
    let (_, client_id, secret) = api_client(&app, &setup.shop.publisher, None).await;
    let token = app_token(&app, &client_id, &secret).await;
    let earlier = app.clock.now() - Duration::days(2);
    let report = json!({"organizationId": org.id, "uses": [
        {"email": setup.holder.email, "usedAt": earlier.to_rfc3339()},
        {"email": setup.other.email, "usedAt": earlier.to_rfc3339()},
        {"email": "nobody@example.test", "usedAt": earlier.to_rfc3339()}]});
    let (status, body) = api_post(&app, &token, "/api/v1/usage-reports", report).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"matched": 1, "unmatched": 2, "updated": 1}));
    assert_eq!(last_used_of(&app, &setup.holder.id).await, Some(earlier));
    // An older report does not move the time back.
    let older = json!({"organizationId": org.id, "uses": [{"email": setup.holder.email, "usedAt": (earlier - Duration::days(1)).to_rfc3339()}]});
    let (_, body) = api_post(&app, &token, "/api/v1/usage-reports", older).await;
    assert_eq!(body["updated"], 0);
    assert_eq!(last_used_of(&app, &setup.holder.id).await, Some(earlier));
    // A use in the future is refused.
    let future = json!({"organizationId": org.id, "uses": [{"email": setup.holder.email, "usedAt": (app.clock.now() + Duration::hours(1)).to_rfc3339()}]});
    let (status, body) = api_post(&app, &token, "/api/v1/usage-reports", future).await;
    assert_eq!((status, code(&body)), (400, "VALIDATION_FAILED"));
    // Scope and visibility as for the check.
    let (_, check_id, check_secret) = api_client(&app, &setup.shop.publisher, Some(&["licenses.check"])).await;
    let check_token = app_token(&app, &check_id, &check_secret).await;
    let report =
        json!({"organizationId": org.id, "uses": [{"email": setup.holder.email, "usedAt": earlier.to_rfc3339()}]});
    let (status, body) = api_post(&app, &check_token, "/api/v1/usage-reports", report.clone()).await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN"));
    let rival = app.register_publisher("Northwind").await;
    let (_, rival_id, rival_secret) = api_client(&app, &rival, None).await;
    let rival_token = app_token(&app, &rival_id, &rival_secret).await;
    let (status, body) = api_post(&app, &rival_token, "/api/v1/usage-reports", report).await;
    assert_eq!((status, code(&body)), (404, "NOT_FOUND"));
}

/// RFC 8414: OAuth clients discover the token endpoint and what it serves.
#[tokio::test]
async fn r50_the_authorization_server_metadata_names_the_token_endpoint() {
    let app = TestApp::spawn().await;
    let request = Request::get("/.well-known/oauth-authorization-server").body(Body::empty()).expect("request");
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, 200);
    assert_eq!(body["issuer"], "http://licensedesk.test");
    assert_eq!(body["token_endpoint"], "http://licensedesk.test/oauth/token");
    // R53 added the portal's authorization code and refresh grants and scopes.
    assert_eq!(body["grant_types_supported"], json!(["client_credentials", "authorization_code", "refresh_token"]));
    assert_eq!(body["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post"]));
    assert_eq!(body["scopes_supported"], json!(["licenses.check", "usage.write", "licenses.read", "licenses.assign"]));
    assert_eq!(body["authorization_endpoint"], "http://licensedesk.test/oauth/authorize");
    assert_eq!(body["revocation_endpoint"], "http://licensedesk.test/oauth/revoke");
    assert_eq!(body["code_challenge_methods_supported"], json!(["S256"]));
}
