//! Issue 25 item 2, R53: delegated access for a publisher's portal — the
//! OAuth 2.0 authorization code grant with PKCE (S256), the consent page,
//! refresh-token rotation, RFC 7009 revocation, the portal API and the
//! organization's consents — through the router in-process, on both engines.

use axum::{body::Body, http::Request};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use http_body_util::BodyExt as _;
use licensedesk::clock::Clock as _;
use serde_json::{Value, json};
use sha2::Digest;
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::{
    helpers::{PASSWORD, Person, Shop, TestApp},
    publisher_api::{api_get, api_post, token_request},
};

const REDIRECT: &str = "https://portal.fabrikam.example/callback";
const CREATE: &str = "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { id clientId redirectUris } } }";
const CONSENTS: &str = "{ organization { portalConsents(first: 20) { nodes { id scopes clientName grantedAt lastUsedAt revokedAt publisher { name } grantedBy { id } } } } }";
const REVOKE: &str = "mutation($id: ID!) { revokePortalConsent(id: $id) { id revokedAt } }";

/// A portal's API client of `publisher`: (client_id, secret).
async fn portal_client(app: &TestApp, publisher: &Person) -> (String, String) {
    let data = app
        .ok(
            &publisher.token,
            CREATE,
            json!({"i": {"name": "Fabrikam portal", "scopes": null, "redirectUris": [REDIRECT]}}),
        )
        .await;
    let created = &data["createApiClient"];
    assert_eq!(created["client"]["redirectUris"], json!([REDIRECT]));
    (
        created["client"]["clientId"].as_str().expect("client id").to_owned(),
        created["clientSecret"].as_str().expect("secret").to_owned(),
    )
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn verifier() -> String {
    format!("v-{}-{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A raw request: status, `Location`, `WWW-Authenticate` and the body as text.
async fn raw(app: &TestApp, request: Request<Body>) -> (u16, Option<String>, Option<String>, String) {
    let response = app.router.clone().oneshot(request).await.expect("router");
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (location, challenge) = (header("location"), header("www-authenticate"));
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, location, challenge, String::from_utf8_lossy(&bytes).into_owned())
}

async fn authorize_with(app: &TestApp, query: &str) -> (u16, Option<String>, String) {
    let request = Request::get(format!("/oauth/authorize?{query}")).body(Body::empty()).expect("request");
    let (status, location, _, body) = raw(app, request).await;
    (status, location, body)
}

fn authorize_query(client_id: &str, scope: &str, challenge: &str, state: &str) -> String {
    format!(
        "response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&code_challenge={}&code_challenge_method=S256",
        enc(client_id),
        enc(REDIRECT),
        enc(scope),
        enc(state),
        enc(challenge)
    )
}

/// The consent form's one-time token from the page.
fn form_token(page: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = page.find(marker).map(|i| i + marker.len()).expect("a consent form");
    page[start..].split('"').next().expect("token").to_owned()
}

async fn post_consent(
    app: &TestApp,
    token: &str,
    email: &str,
    password: &str,
    decision: &str,
) -> (u16, Option<String>, String) {
    let form = format!("form_token={}&email={}&password={}&decision={decision}", enc(token), enc(email), enc(password));
    let request = Request::post("/oauth/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let (status, location, _, body) = raw(app, request).await;
    (status, location, body)
}

/// The query parameters of a redirect.
fn params_of(location: &str) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location).expect("absolute redirect");
    url.query_pairs().into_owned().collect()
}

/// The consent page for `scope`, then the admin's approval: the code.
async fn consent(app: &TestApp, client_id: &str, who: &Person, scope: &str, verifier: &str) -> Result<String, String> {
    let (status, _, page) =
        authorize_with(app, &authorize_query(client_id, scope, &challenge_of(verifier), "st-1")).await;
    assert_eq!(status, 200, "{page}");
    let (status, location, body) = post_consent(app, &form_token(&page), &who.email, PASSWORD, "approve").await;
    assert_eq!(status, 303, "{body}");
    let location = location.expect("a redirect");
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = params_of(&location);
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"), "state comes back");
    match (params.get("code"), params.get("error")) {
        (Some(code), None) => Ok(code.clone()),
        (None, Some(error)) => Err(error.clone()),
        other => panic!("{other:?}"),
    }
}

async fn exchange(app: &TestApp, client: &(String, String), code: &str, verifier: &str) -> (u16, Value) {
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        enc(code),
        enc(REDIRECT),
        enc(verifier)
    );
    let (status, _, body) = token_request(app, &form, Some((&client.0, &client.1))).await;
    (status, body)
}

async fn refresh(app: &TestApp, client: &(String, String), token: &str) -> (u16, Value) {
    let form = format!("grant_type=refresh_token&refresh_token={}", enc(token));
    let (status, _, body) = token_request(app, &form, Some((&client.0, &client.1))).await;
    (status, body)
}

/// Tokens (access, refresh) for `who`'s consent to `scope`.
async fn tokens(app: &TestApp, client: &(String, String), who: &Person, scope: &str) -> (String, String) {
    let verifier = verifier();
    let code = consent(app, &client.0, who, scope, &verifier).await.expect("a code");
    let (status, body) = exchange(app, client, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    (
        body["access_token"].as_str().expect("access").to_owned(),
        body["refresh_token"].as_str().expect("refresh").to_owned(),
    )
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

/// Contoso bought Fabrikam's per-license app (3 seats, active) and a rival
/// publisher's app; another organization bought Fabrikam's app too.
struct World {
    shop: Shop,
    sub: String,
    rival_sub: String,
    foreign_sub: String,
    license_admin: Person,
    people: Vec<Person>,
    client: (String, String),
}

async fn world(app: &TestApp) -> World {
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let rival = app.register_publisher("Northwind").await;
    let rival_product =
        app.product(&rival, "Rival App", "PER_LICENSE", &[("MONTHLY", "USD", "5.00")], None, true).await;
    let rival_sub = app.buy(&shop.org.admin, &rival_product, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&rival, &rival_sub).await;
    let other = app.register_org("Tailspin", "US").await;
    app.accept_agreement(&other.admin).await;
    let other_profile = app.billing_profile(&other.admin, "US", Some(crate::helpers::CARD_OK)).await;
    let foreign_sub = app.buy(&other.admin, &shop.per_license, "MONTHLY", Some(2), &other_profile).await;
    app.activate(&shop.publisher, &foreign_sub).await;
    let license_admin = app.user(&shop.org, "Lena Licenser", &["LICENSE_ADMIN"]).await;
    let people = vec![
        app.user(&shop.org, "Ada Lovelace", &[]).await,
        app.user(&shop.org, "Alan Turing", &[]).await,
        app.user(&shop.org, "Grace Hopper", &[]).await,
        app.user(&shop.org, "Edsger Dijkstra", &[]).await,
    ];
    let client = portal_client(app, &shop.publisher).await;
    World { shop, sub, rival_sub, foreign_sub, license_admin, people, client }
}

const BOTH: &str = "licenses.read licenses.assign";

#[tokio::test]
async fn r53_the_portal_assigns_licenses_through_a_delegated_token() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // RFC 8414 metadata names the new endpoints.
    let (status, meta) = api_get(&app, "", "/.well-known/oauth-authorization-server").await;
    assert_eq!(status, 200);
    assert!(meta["authorization_endpoint"].as_str().is_some_and(|a| a.ends_with("/oauth/authorize")), "{meta}");
    assert!(meta["revocation_endpoint"].as_str().is_some_and(|a| a.ends_with("/oauth/revoke")), "{meta}");
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(meta["grant_types_supported"].as_array().expect("grants").contains(&json!(grant)), "{grant}");
    }
    let (access, refresh_token) = tokens(&app, &w.client, &w.license_admin, BOTH).await;
    // The organization's subscriptions of this publisher only, with seat counts.
    let (status, list) = api_get(&app, &access, "/api/v1/portal/subscriptions").await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["id"], json!(w.sub));
    assert_eq!(
        (items[0]["quantity"].as_i64(), items[0]["assigned"].as_i64(), items[0]["available"].as_i64()),
        (Some(3), Some(0), Some(3))
    );
    assert_eq!(list["organizationId"], json!(w.shop.org.id));
    // "Begin typing a name": a prefix of any word of the name, paged.
    let (status, found) = api_get(&app, &access, "/api/v1/portal/people?search=a&first=1").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(found["items"][0]["name"], "Ada Lovelace");
    assert_eq!(found["pageInfo"]["hasNextPage"], true);
    let after = found["pageInfo"]["endCursor"].as_str().expect("cursor");
    let (_, next) =
        api_get(&app, &access, &format!("/api/v1/portal/people?search=a&first=1&after={}", enc(after))).await;
    assert_eq!(next["items"][0]["name"], "Alan Turing", "{next}");
    // R19–R21: assignment through the admin center's service.
    let path = format!("/api/v1/portal/subscriptions/{}/assignments", w.sub);
    let (status, assigned) = api_post(&app, &access, &path, json!({"userIds": [w.people[0].id, w.people[1].id]})).await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["seats"], json!({"quantity": 3, "assigned": 2, "available": 1}));
    // Seats are never oversold.
    let (status, over) = api_post(&app, &access, &path, json!({"userIds": [w.people[2].id, w.people[3].id]})).await;
    assert_eq!((status, code(&over)), (409, "INSUFFICIENT_LICENSES"), "{over}");
    let (_, one) = api_get(&app, &access, &format!("/api/v1/portal/subscriptions/{}", w.sub)).await;
    assert_eq!(one["assigned"], 2);
    assert_eq!(one["holders"].as_array().map(Vec::len), Some(2), "{one}");
    let unassign = format!("/api/v1/portal/subscriptions/{}/unassignments", w.sub);
    let (status, removed) = api_post(&app, &access, &unassign, json!({"userIds": [w.people[1].id]})).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["seats"]["assigned"], 1);
    // The audit log and the event name the portal as the channel.
    let audit = app
        .ok(&w.shop.org.admin, "{ auditEvents(first: 20, filter: {action: \"subscription.assign_licenses\"}) { nodes { after actor { id } } } }", json!({}))
        .await;
    let entry = &audit["auditEvents"]["nodes"][0];
    assert_eq!(entry["after"]["channel"], "PORTAL", "{audit}");
    assert_eq!(entry["actor"]["id"], json!(w.license_admin.id), "the consenting admin acted");
    assert!(entry["after"]["apiClientId"].is_string());
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let event = entity::outbox_event::Entity::find()
            .filter(entity::outbox_event::Column::EventType.eq("LICENSES_UNASSIGNED"))
            .order_by_desc(entity::outbox_event::Column::CreatedAt)
            .one(&app.db)
            .await
            .expect("read")
            .expect("an event");
        assert!(event.payload.contains("\"channel\":\"PORTAL\""), "{event:?}");
    }
    // Refresh rotates; the rotated token sent again revokes the grant (RFC 6749 §10.4).
    let (status, fresh) = refresh(&app, &w.client, &refresh_token).await;
    assert_eq!(status, 200, "{fresh}");
    let new_access = fresh["access_token"].as_str().expect("access").to_owned();
    assert_ne!(new_access, access);
    assert_eq!(api_get(&app, &new_access, "/api/v1/portal/subscriptions").await.0, 200);
    let (status, replay) = refresh(&app, &w.client, &refresh_token).await;
    assert_eq!((status, replay["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(api_get(&app, &new_access, "/api/v1/portal/subscriptions").await.0, 401, "the replay ended the grant");
    let new_refresh = fresh["refresh_token"].as_str().expect("refresh");
    assert_eq!(refresh(&app, &w.client, new_refresh).await.0, 400);
}

#[tokio::test]
async fn r53_authorization_requests_are_refused_by_rfc_6749() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let challenge = challenge_of(&verifier());
    // Before a trusted redirect URI: a page, never a redirect.
    for query in [
        format!(
            "response_type=code&client_id=ldc_unknown&redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256",
            enc(REDIRECT)
        ),
        format!(
            "response_type=code&client_id={}&redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256",
            w.client.0,
            enc("https://evil.example/cb")
        ),
        format!("response_type=code&client_id={}&code_challenge={challenge}&code_challenge_method=S256", w.client.0),
        format!("response_type=code&client_id={}&client_id=x&redirect_uri={}", w.client.0, enc(REDIRECT)),
    ] {
        let (status, location, page) = authorize_with(&app, &query).await;
        assert_eq!((status, location), (400, None), "{query}: {page}");
        assert!(!page.contains("form_token"), "{query}");
    }
    // After it: back to the redirect URI with `error` and `state` (§4.1.2.1).
    let cases = [
        ("code", BOTH, Some("plain"), "invalid_request"),
        ("code", BOTH, None, "invalid_request"),
        ("token", BOTH, Some("S256"), "unsupported_response_type"),
        ("code", "licenses.check", Some("S256"), "invalid_scope"),
        ("code", "admin", Some("S256"), "invalid_scope"),
    ];
    for (response_type, scope, method, error) in cases {
        let mut query = format!(
            "response_type={response_type}&client_id={}&redirect_uri={}&scope={}&state=xyz&code_challenge={challenge}",
            w.client.0,
            enc(REDIRECT),
            enc(scope)
        );
        if let Some(method) = method {
            query.push_str(&format!("&code_challenge_method={method}"));
        }
        let (status, location, _) = authorize_with(&app, &query).await;
        assert_eq!(status, 303, "{query}");
        let params = params_of(&location.expect("redirect"));
        assert_eq!(params.get("error").map(String::as_str), Some(error), "{query}");
        assert_eq!(params.get("state").map(String::as_str), Some("xyz"));
    }
    // Deny → access_denied; the form token works once (CSRF and replay).
    let query = authorize_query(&w.client.0, BOTH, &challenge, "s2");
    let (_, _, page) = authorize_with(&app, &query).await;
    let token = form_token(&page);
    let (status, location, _) = post_consent(&app, &token, &w.license_admin.email, PASSWORD, "deny").await;
    assert_eq!(status, 303);
    assert_eq!(params_of(&location.expect("redirect")).get("error").map(String::as_str), Some("access_denied"));
    let (status, location, _) = post_consent(&app, &token, &w.license_admin.email, PASSWORD, "approve").await;
    assert_eq!((status, location), (400, None), "a used form token");
    let (status, location, _) = post_consent(&app, "forged", &w.license_admin.email, PASSWORD, "approve").await;
    assert_eq!((status, location), (400, None), "a forged form token");
    // A wrong password shows the form again with a new token; the old one is spent.
    let (_, _, page) = authorize_with(&app, &query).await;
    let token = form_token(&page);
    let (status, _, again) = post_consent(&app, &token, &w.license_admin.email, "wrong-password-123", "approve").await;
    assert_eq!(status, 401);
    let retry = form_token(&again);
    assert_ne!(retry, token);
    assert_eq!(post_consent(&app, &token, &w.license_admin.email, PASSWORD, "approve").await.0, 400);
    let (status, location, _) = post_consent(&app, &retry, &w.license_admin.email, PASSWORD, "approve").await;
    assert_eq!(status, 303);
    assert!(params_of(&location.expect("redirect")).contains_key("code"));
    // Expired consent forms (ten minutes) are refused.
    let (_, _, page) = authorize_with(&app, &query).await;
    app.clock.set(app.clock.now() + Duration::minutes(11));
    assert_eq!(post_consent(&app, &form_token(&page), &w.license_admin.email, PASSWORD, "approve").await.0, 400);
}

#[tokio::test]
async fn r53_only_admins_who_assign_licenses_may_consent() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let global = app.user(&w.shop.org, "Gia Global", &["GLOBAL_ADMIN"]).await;
    let billing = app.user(&w.shop.org, "Bill Billing", &["BILLING_ADMIN"]).await;
    let plain = &w.people[0];
    assert!(consent(&app, &w.client.0, &global, BOTH, &verifier()).await.is_ok(), "GLOBAL_ADMIN");
    assert!(consent(&app, &w.client.0, &w.license_admin, BOTH, &verifier()).await.is_ok(), "LICENSE_ADMIN");
    for who in [&billing, plain, &w.shop.publisher] {
        let answer = consent(&app, &w.client.0, who, BOTH, &verifier()).await;
        assert_eq!(answer, Err("access_denied".to_owned()), "{}", who.email);
    }
}

#[tokio::test]
async fn r53_codes_are_one_time_bound_and_short_lived() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let other_client = portal_client(&app, &w.shop.publisher).await;
    let bad = |body: &Value| body["error"].as_str() == Some("invalid_grant");
    // Wrong verifier, wrong redirect URI, another client: refused (and the code is spent).
    let v = verifier();
    let code = consent(&app, &w.client.0, &w.license_admin, BOTH, &v).await.expect("code");
    let (status, body) = exchange(&app, &w.client, &code, &verifier()).await;
    assert!(status == 400 && bad(&body), "{body}");
    let v = verifier();
    let code = consent(&app, &w.client.0, &w.license_admin, BOTH, &v).await.expect("code");
    let (status, body) = exchange(&app, &other_client, &code, &v).await;
    assert!(status == 400 && bad(&body), "another client: {body}");
    let v = verifier();
    let code = consent(&app, &w.client.0, &w.license_admin, BOTH, &v).await.expect("code");
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        enc(&code),
        enc("https://portal.fabrikam.example/other"),
        enc(&v)
    );
    let (status, _, body) = token_request(&app, &form, Some((&w.client.0, &w.client.1))).await;
    assert!(status == 400 && bad(&body), "{body}");
    // A wrong secret is invalid_client.
    let (status, body) = exchange(&app, &(w.client.0.clone(), "lds_wrong".into()), &code, &v).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    // A code after its minute is refused.
    let v = verifier();
    let code = consent(&app, &w.client.0, &w.license_admin, BOTH, &v).await.expect("code");
    app.clock.set(app.clock.now() + Duration::seconds(61));
    assert_eq!(exchange(&app, &w.client, &code, &v).await.0, 400);
    // A code used twice revokes the tokens it gave (RFC 6749 §4.1.2).
    let v = verifier();
    let code = consent(&app, &w.client.0, &w.license_admin, BOTH, &v).await.expect("code");
    let (status, first) = exchange(&app, &w.client, &code, &v).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().expect("access");
    assert_eq!(api_get(&app, access, "/api/v1/portal/subscriptions").await.0, 200);
    let (status, second) = exchange(&app, &w.client, &code, &v).await;
    assert!(status == 400 && bad(&second), "{second}");
    assert_eq!(api_get(&app, access, "/api/v1/portal/subscriptions").await.0, 401);
    let refresh_token = first["refresh_token"].as_str().expect("refresh");
    assert_eq!(refresh(&app, &w.client, refresh_token).await.0, 400);
    // Codes and tokens are stored only as hashes.
    let stored = {
        use sea_orm::EntityTrait;
        format!(
            "{:?}{:?}",
            entity::portal_authorization::Entity::find().all(&app.db).await.expect("rows"),
            entity::portal_token::Entity::find().all(&app.db).await.expect("rows")
        )
    };
    assert!(!stored.contains(&code) && !stored.contains(access) && !stored.contains(refresh_token));
}

#[tokio::test]
async fn r53_the_portal_reaches_only_its_scopes_publisher_and_organization() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (read_only, _) = tokens(&app, &w.client, &w.license_admin, "licenses.read").await;
    let path = |sub: &str| format!("/api/v1/portal/subscriptions/{sub}/assignments");
    // Wrong scope: 403 with insufficient_scope.
    let request = Request::post(path(&w.sub))
        .header("authorization", format!("Bearer {read_only}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"userIds": [w.people[0].id]}).to_string()))
        .expect("request");
    let (status, _, challenge, body) = raw(&app, request).await;
    assert_eq!(status, 403, "{body}");
    assert!(challenge.is_some_and(|c| c.contains("insufficient_scope")));
    assert_eq!(app.count("license_assignments").await, 0);
    let (access, _) = tokens(&app, &w.client, &w.license_admin, BOTH).await;
    // Another publisher's, another organization's and unknown subscriptions are all NOT_FOUND.
    for sub in [w.rival_sub.clone(), w.foreign_sub.clone(), Uuid::new_v4().to_string(), "nope".to_owned()] {
        let (status, body) = api_post(&app, &access, &path(&sub), json!({"userIds": [w.people[0].id]})).await;
        assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "{sub}: {body}");
        let (status, body) = api_get(&app, &access, &format!("/api/v1/portal/subscriptions/{sub}")).await;
        assert_eq!((status, code(&body)), (404, "NOT_FOUND"), "{sub}: {body}");
    }
    // R19: at most 20 people; another organization's person is refused and nothing changes.
    let many: Vec<String> = (0..21).map(|_| Uuid::new_v4().to_string()).collect();
    let (status, body) = api_post(&app, &access, &path(&w.sub), json!({"userIds": many})).await;
    assert_eq!((status, code(&body)), (400, "TOO_MANY_USERS"), "{body}");
    let stranger = app.register_org("Stranger", "US").await;
    let (status, body) =
        api_post(&app, &access, &path(&w.sub), json!({"userIds": [w.people[0].id, stranger.admin_id]})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(app.count("license_assignments").await, 0);
    let (status, body) = api_post(&app, &access, &path(&w.sub), json!({"users": []})).await;
    assert_eq!((status, code(&body)), (400, "VALIDATION_FAILED"), "{body}");
    // No token, a forged one, a client-credentials token: 401.
    assert_eq!(api_get(&app, "ldp_forged", "/api/v1/portal/subscriptions").await.0, 401);
    let app_token = crate::publisher_api::app_token(&app, &w.client.0, &w.client.1).await;
    assert_eq!(api_get(&app, &app_token, "/api/v1/portal/subscriptions").await.0, 401);
    // The portal token is no GraphQL token.
    let answer = app.gql(Some(&access), "{ me { id } }", json!({})).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{answer}");
    // Access tokens are short-lived.
    app.clock.set(app.clock.now() + Duration::seconds(601));
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
}

#[tokio::test]
async fn r53_the_token_follows_the_admins_rights_at_request_time() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let set_roles = "mutation($u: ID!, $r: [OrgRole!]!) { setUserRoles(userId: $u, roles: $r) { id } }";
    let (access, refresh_token) = tokens(&app, &w.client, &w.license_admin, BOTH).await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 200);
    // R2/R3: the role removed → the token stops, and cannot be refreshed.
    app.ok(&w.shop.org.admin, set_roles, json!({"u": w.license_admin.id, "r": []})).await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
    assert_eq!(refresh(&app, &w.client, &refresh_token).await.0, 400);
    // Given back → it works again (the consent was not withdrawn).
    app.ok(&w.shop.org.admin, set_roles, json!({"u": w.license_admin.id, "r": ["LICENSE_ADMIN"]})).await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 200);
    // Deactivated → stops.
    app.ok(
        &w.shop.org.admin,
        "mutation($u: ID!) { deactivateUser(userId: $u) { id } }",
        json!({"u": w.license_admin.id}),
    )
    .await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
    // A revoked client stops its portal's tokens too.
    app.ok(
        &w.shop.org.admin,
        "mutation($u: ID!) { reactivateUser(userId: $u) { id } }",
        json!({"u": w.license_admin.id}),
    )
    .await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 200);
    let clients =
        app.ok(&w.shop.publisher.token, "{ apiClients(first: 5) { nodes { id clientId } } }", json!({})).await;
    let id = clients["apiClients"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["clientId"] == json!(w.client.0))
        .expect("client")["id"]
        .clone();
    app.ok(&w.shop.publisher.token, "mutation($c: ID!) { revokeApiClient(apiClientId: $c) { id } }", json!({"c": id}))
        .await;
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
}

#[tokio::test]
async fn r53_consents_are_listed_and_withdrawn_by_the_organizations_admins() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let billing = app.user(&w.shop.org, "Bill Billing", &["BILLING_ADMIN"]).await;
    let (access, refresh_token) = tokens(&app, &w.client, &w.license_admin, BOTH).await;
    api_get(&app, &access, "/api/v1/portal/subscriptions").await;
    let listed = app.ok(&w.shop.org.admin, CONSENTS, json!({})).await;
    let nodes = listed["organization"]["portalConsents"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(nodes.len(), 1, "{listed}");
    let consent = &nodes[0];
    assert_eq!(consent["scopes"], json!(["licenses.read", "licenses.assign"]));
    assert_eq!(consent["clientName"], "Fabrikam portal");
    assert_eq!(consent["publisher"]["name"], "Fabrikam");
    assert_eq!(consent["grantedBy"]["id"], json!(w.license_admin.id));
    assert!(consent["lastUsedAt"].is_string() && consent["revokedAt"].is_null());
    let id = consent["id"].as_str().expect("id").to_owned();
    // R37: the billing admin sees it but may not withdraw it; a plain user sees none;
    // another organization, a publisher: NOT_FOUND.
    let seen = app.ok(&billing.token, CONSENTS, json!({})).await;
    assert_eq!(seen["organization"]["portalConsents"]["nodes"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.err(Some(&billing.token), REVOKE, json!({"id": id})).await, "FORBIDDEN");
    let plain = app.ok(&w.people[0].token, CONSENTS, json!({})).await;
    assert_eq!(plain["organization"]["portalConsents"]["nodes"], json!([]));
    assert_eq!(app.err(Some(&w.people[0].token), REVOKE, json!({"id": id})).await, "NOT_FOUND");
    let stranger = app.register_org("Stranger", "US").await;
    assert_eq!(app.err(Some(&stranger.admin), REVOKE, json!({"id": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&w.shop.publisher.token), REVOKE, json!({"id": id})).await, "NOT_FOUND");
    assert_eq!(app.err(Some(&w.shop.org.admin), REVOKE, json!({"id": Uuid::new_v4()})).await, "NOT_FOUND");
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 200, "nothing withdrew it yet");
    // The GLOBAL_ADMIN withdraws it: the access token stops at once, the refresh token too.
    let revoked = app.ok(&w.shop.org.admin, REVOKE, json!({"id": id})).await;
    assert!(revoked["revokePortalConsent"]["revokedAt"].is_string());
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
    assert_eq!(refresh(&app, &w.client, &refresh_token).await.0, 400);
    let audit =
        app.ok(&w.shop.org.admin, "{ auditEvents(first: 20) { nodes { action } } }", json!({})).await.to_string();
    assert!(audit.contains("portal_consent.grant") && audit.contains("portal_consent.revoke"), "{audit}");
    // RFC 7009: the portal gives its refresh token up, which ends that grant.
    let (access, refresh_token) = tokens(&app, &w.client, &w.license_admin, BOTH).await;
    let (status, _, _) = token_request_at(
        &app,
        "/oauth/revoke",
        &format!("token={}&token_type_hint=refresh_token", enc(&refresh_token)),
        &w.client,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(api_get(&app, &access, "/api/v1/portal/subscriptions").await.0, 401);
    let (status, _, _) = token_request_at(&app, "/oauth/revoke", "token=unknown", &w.client).await;
    assert_eq!(status, 200, "an unknown token is no error (RFC 7009 §2.2)");
    let (status, _, _) =
        token_request_at(&app, "/oauth/revoke", "token=x", &(w.client.0.clone(), "lds_wrong".into())).await;
    assert_eq!(status, 401);
}

async fn token_request_at(
    app: &TestApp,
    path: &str,
    form: &str,
    client: &(String, String),
) -> (u16, axum::http::HeaderMap, Value) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", client.0, client.1));
    let request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {encoded}"))
        .body(Body::from(form.to_owned()))
        .expect("request");
    crate::publisher_api::send(app, request).await
}

#[tokio::test]
async fn r53_redirect_uris_are_checked_and_updated_by_the_publisher() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam").await;
    for bad in ["http://portal.example/cb", "https://portal.example/cb#frag", "not a url", "ftp://x.example/"] {
        let answer = app.err(Some(&publisher.token), CREATE, json!({"i": {"name": "p", "redirectUris": [bad]}})).await;
        assert_eq!(answer, "VALIDATION_FAILED", "{bad}");
    }
    let (client_id, _) = portal_client(&app, &publisher).await;
    let clients = app.ok(&publisher.token, "{ apiClients(first: 5) { nodes { id } } }", json!({})).await;
    let id = clients["apiClients"]["nodes"][0]["id"].clone();
    let update = "mutation($c: ID!, $i: UpdateApiClientInput!) { updateApiClient(apiClientId: $c, input: $i) { name redirectUris } }";
    let updated =
        app.ok(&publisher.token, update, json!({"c": id, "i": {"redirectUris": ["http://127.0.0.1:8123/cb"]}})).await;
    assert_eq!(updated["updateApiClient"]["redirectUris"], json!(["http://127.0.0.1:8123/cb"]));
    assert_eq!(updated["updateApiClient"]["name"], "Fabrikam portal");
    // The old URI is no longer trusted.
    let query = authorize_query(&client_id, BOTH, &challenge_of(&verifier()), "s");
    assert_eq!(authorize_with(&app, &query).await.0, 400);
    let rival = app.register_publisher("Northwind").await;
    assert_eq!(app.err(Some(&rival.token), update, json!({"c": id, "i": {"name": "x"}})).await, "NOT_FOUND");
}

// ---- R53 with R48: single sign-on on the consent page ----

const CONFIGURE_SSO: &str = "mutation($i: SingleSignOnInput!) { configureSingleSignOn(input: $i) { requireSso } }";

/// What the OpenID provider's callback leaves behind (flow::callback): a
/// sign-in of `organization` for `user`, started for `return_to`, with a
/// one-time exchange code — the in-process stand-in for the provider
/// (tests/process/portal.rs goes through a real one).
async fn provider_signed_in(app: &TestApp, organization: &str, user: &str, return_to: &str) -> String {
    use sea_orm::{ActiveModelTrait as _, Set};
    let code = format!("sso-{}", Uuid::new_v4().simple());
    let now = chrono::Utc::now();
    entity::oidc_sign_in::ActiveModel {
        state_hash: Set(licensedesk::auth::token_hash(&format!("state-{code}"))),
        organization_id: Set(organization.parse().expect("organization ID")),
        nonce: Set("n".into()),
        pkce_verifier: Set("v".into()),
        return_to: Set(return_to.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(10)),
        callback_at: Set(Some(now)),
        user_id: Set(Some(user.parse().expect("user ID"))),
        exchange_code_hash: Set(Some(licensedesk::auth::token_hash(&code))),
        exchange_expires_at: Set(Some(now + Duration::seconds(60))),
        exchanged_at: Set(None),
    }
    .insert(&app.db)
    .await
    .expect("sign-in row");
    code
}

async fn post_form(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let form: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = Request::post("/oauth/authorize")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let (status, location, _, body) = raw(app, request).await;
    (status, location, body)
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    page[start..].split('"').next().map(str::to_owned)
}

/// A fresh consent page; then `decision=sso` for `organization`: the
/// `returnTo` the browser is sent to the provider with.
async fn sso_return_to(app: &TestApp, client_id: &str, verifier: &str, organization: &str) -> String {
    let (status, _, page) =
        authorize_with(app, &authorize_query(client_id, BOTH, &challenge_of(verifier), "st-1")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("value=\"sso\""), "the page offers single sign-on: {page}");
    let token = form_token(&page);
    let (status, location, body) =
        post_form(app, &[("form_token", &token), ("organization", organization), ("decision", "sso")]).await;
    assert_eq!(status, 303, "{body}");
    let location = location.expect("to the sign-in start");
    let start = url::Url::parse(&format!("http://licensedesk.test{location}")).expect("start URL");
    assert_eq!(start.path(), format!("/auth/oidc/{organization}/start"));
    let return_to = start.query_pairs().find(|(k, _)| k == "returnTo").map(|(_, v)| v.into_owned()).expect("returnTo");
    // On the server's own public address, naming no credential.
    assert!(return_to.starts_with("http://licensedesk.test/oauth/authorize?resume="), "{return_to}");
    // The form token was used up by choosing single sign-on.
    let (status, _, _) = post_consent(app, &token, "nobody@example.com", PASSWORD, "approve").await;
    assert_eq!(status, 400, "the form token is one-time");
    return_to
}

async fn back_from_provider(app: &TestApp, return_to: &str, extra: &str) -> (u16, Option<String>, String) {
    let path = return_to.strip_prefix("http://licensedesk.test").expect("own origin");
    let request = Request::get(format!("{path}&{extra}")).body(Body::empty()).expect("request");
    let (status, location, _, body) = raw(app, request).await;
    (status, location, body)
}

#[tokio::test]
async fn r53_r48_an_admin_of_an_organization_requiring_sso_consents_through_single_sign_on() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let org = &w.shop.org;
    let sso = json!({"i": {"issuer": "https://login.contoso.example/v2.0", "clientId": "licensedesk",
        "clientSecret": "the-client-secret-4711", "allowedDomains": ["example.com"], "enabled": true,
        "requireSso": true, "breakGlassUserId": org.admin_id}});
    let configured = app.ok(&org.admin, CONFIGURE_SSO, sso).await;
    assert_eq!(configured["configureSingleSignOn"]["requireSso"], true);

    // R48: the password form refuses the license admin of this organization…
    let verifier = verifier();
    let (_, _, page) =
        authorize_with(&app, &authorize_query(&w.client.0, BOTH, &challenge_of(&verifier), "st-1")).await;
    let (status, location, body) =
        post_consent(&app, &form_token(&page), &w.license_admin.email, PASSWORD, "approve").await;
    assert_eq!((status, location), (401, None), "{body}");
    assert!(body.contains("single sign-on"), "the page says how to sign in: {body}");

    // …so they choose single sign-on; the provider signs them in and sends the browser back.
    let return_to = sso_return_to(&app, &w.client.0, &verifier, &org.id).await;
    let sso_code = provider_signed_in(&app, &org.id, &w.license_admin.id, &return_to).await;
    let (status, _, page) = back_from_provider(&app, &return_to, &format!("sso_code={}", enc(&sso_code))).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Lena Licenser"), "the page names who signed in: {page}");
    let token = form_token(&page);
    let user = hidden(&page, "sso_user").expect("the form names the signed-in user");
    assert_eq!(user, w.license_admin.id);
    // No session started: the sign-in is only known to this form.
    let sessions = app.ok(&w.license_admin.token, "{ sessions { totalCount } }", json!({})).await;
    let before = sessions["sessions"]["totalCount"].clone();

    // The same return again: the resume token and the code are used up.
    let (status, _, again) = back_from_provider(&app, &return_to, &format!("sso_code={}", enc(&sso_code))).await;
    assert_eq!(status, 400, "{again}");
    // The bound form token opens nothing with another user's ID, nor as a password form.
    let other = &w.people[0].id;
    let (status, _, _) = post_form(&app, &[("form_token", &token), ("sso_user", other), ("decision", "approve")]).await;
    assert_eq!(status, 400, "the token is bound to the signed-in user");
    let (status, _, _) = post_consent(&app, &token, &org_admin_email(&app, org).await, PASSWORD, "approve").await;
    assert_eq!(status, 400, "the bound token is no password form");

    // Allow: a code for the portal, tokens, and the portal assigns a license as the admin.
    let (status, location, body) =
        post_form(&app, &[("form_token", &token), ("sso_user", &user), ("decision", "approve")]).await;
    assert_eq!(status, 303, "{body}");
    let params = params_of(&location.expect("back to the portal"));
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    let code = params.get("code").expect("a code");
    let (status, answer) = exchange(&app, &w.client, code, &verifier).await;
    assert_eq!(status, 200, "{answer}");
    let access = answer["access_token"].as_str().expect("access token");
    let path = format!("/api/v1/portal/subscriptions/{}/assignments", w.sub);
    let (status, assigned) = api_post(&app, access, &path, json!({"userIds": [w.people[0].id]})).await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["seats"]["assigned"], 1);
    let consents = app.ok(&org.admin, CONSENTS, json!({})).await;
    assert_eq!(consents["organization"]["portalConsents"]["nodes"][0]["grantedBy"]["id"], json!(w.license_admin.id));
    let sessions = app.ok(&w.license_admin.token, "{ sessions { totalCount } }", json!({})).await;
    assert_eq!(sessions["sessions"]["totalCount"], before, "consenting through single sign-on starts no session");

    // R48 break-glass: the organization's GLOBAL_ADMIN still consents with a password.
    let verifier2 = self::verifier();
    let (_, _, page) =
        authorize_with(&app, &authorize_query(&w.client.0, BOTH, &challenge_of(&verifier2), "st-1")).await;
    let email = org_admin_email(&app, org).await;
    let (status, location, body) = post_consent(&app, &form_token(&page), &email, PASSWORD, "approve").await;
    assert_eq!(status, 303, "{body}");
    assert!(params_of(&location.expect("redirect")).contains_key("code"));
}

async fn org_admin_email(app: &TestApp, org: &crate::helpers::Org) -> String {
    let me = app.ok(&org.admin, "{ me { email } }", json!({})).await;
    me["me"]["email"].as_str().expect("email").to_owned()
}

#[tokio::test]
async fn r53_r48_single_sign_on_on_the_consent_page_refuses_what_it_must() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let org = &w.shop.org;
    let verifier = verifier();

    // The provider's refusal (sso_error) brings the password form back with the reason.
    let return_to = sso_return_to(&app, &w.client.0, &verifier, &org.id).await;
    let (status, _, page) = back_from_provider(&app, &return_to, "sso_error=PROVIDER_DISABLED").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Single sign-on did not sign you in"), "{page}");
    assert_eq!(hidden(&page, "sso_user"), None);

    // A code from a sign-in started for another address (the app's) is refused here.
    let return_to = sso_return_to(&app, &w.client.0, &verifier, &org.id).await;
    let foreign = provider_signed_in(&app, &org.id, &w.license_admin.id, "http://licensedesk.test/").await;
    let (status, _, page) = back_from_provider(&app, &return_to, &format!("sso_code={}", enc(&foreign))).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Single sign-on did not sign you in"), "{page}");

    // A code for a user of another organization than the provider's is refused.
    let return_to = sso_return_to(&app, &w.client.0, &verifier, &org.id).await;
    let other = app.register_org("Litware", "US").await;
    let stranger = provider_signed_in(&app, &org.id, &other.admin_id, &return_to).await;
    let (_, _, page) = back_from_provider(&app, &return_to, &format!("sso_code={}", enc(&stranger))).await;
    assert!(page.contains("Single sign-on did not sign you in"), "{page}");

    // A person without a license-assigning role signs in but may not allow (access_denied).
    let return_to = sso_return_to(&app, &w.client.0, &verifier, &org.id).await;
    let plain = provider_signed_in(&app, &org.id, &w.people[1].id, &return_to).await;
    let (_, _, page) = back_from_provider(&app, &return_to, &format!("sso_code={}", enc(&plain))).await;
    let (token, user) = (form_token(&page), hidden(&page, "sso_user").expect("signed in"));
    let (status, location, body) =
        post_form(&app, &[("form_token", &token), ("sso_user", &user), ("decision", "approve")]).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(params_of(&location.expect("redirect")).get("error").map(String::as_str), Some("access_denied"));

    // An organization field that is no ID goes on like an organization without single sign-on.
    let (_, _, page) =
        authorize_with(&app, &authorize_query(&w.client.0, BOTH, &challenge_of(&verifier), "st-1")).await;
    let (status, location, _) =
        post_form(&app, &[("form_token", &form_token(&page)), ("organization", "no\u{202e}id\0"), ("decision", "sso")])
            .await;
    assert_eq!(status, 303);
    assert!(location.is_some_and(|l| l.starts_with(&format!("/auth/oidc/{}/start?", Uuid::nil()))));
}

/// R53: the consent page cannot be framed, and its Content-Security-Policy
/// lets its forms' answers redirect where they must go — Allow and Deny to the
/// portal's `redirect_uri`, single sign-on to the identity provider (browsers
/// check `form-action` on redirects) — while a refusal page keeps
/// `form-action 'self'`.
#[tokio::test]
async fn r53_the_consent_pages_policy_lets_its_answers_reach_the_portal() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let csp = |response: &axum::response::Response| {
        response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    let query = authorize_query(&w.client.0, BOTH, &challenge_of(&verifier()), "st-csp");
    let request = Request::get(format!("/oauth/authorize?{query}")).body(Body::empty()).expect("request");
    let consent = app.router.clone().oneshot(request).await.expect("router");
    assert_eq!(consent.status().as_u16(), 200);
    let policy = csp(&consent).expect("a policy on the consent page");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("form-action"), "form-action would block the redirect to the portal: {policy}");
    let request = Request::get("/oauth/authorize?response_type=code").body(Body::empty()).expect("request");
    let refused = app.router.clone().oneshot(request).await.expect("router");
    assert_eq!(refused.status().as_u16(), 400);
    assert!(csp(&refused).is_some_and(|p| p.contains("form-action 'self'")), "{:?}", csp(&refused));
}
