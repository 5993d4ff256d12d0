//! R48 in process, on both engines: who configures an organization's single
//! sign-on and who sees it (R2, R3, R37), the client secret sealed at rest
//! and never answered, the settings' validation, SSO_REQUIRED for password
//! sign-in but not for the break-glass admin, and the doors of the flow that
//! need no provider (an origin not allowed, an unknown state or code).

use axum::{body::Body, http::Request};
use entity::oidc_provider;
use licensedesk::auth::sealing::SealingKey;
use licensedesk::service::sso::SsoSettings;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const SECRET: &str = "the-client-secret-4711";
const CONFIGURE: &str = "mutation($i: SingleSignOnInput!) { configureSingleSignOn(input: $i) { issuer clientId allowedDomains enabled requireSso breakGlassUser { id } redirectUri signInUrl } }";
const SETTINGS: &str = "{ organization { singleSignOn { issuer clientId allowedDomains enabled } } }";

fn input(changes: Value) -> Value {
    let mut input = json!({"issuer": "https://login.contoso.example/v2.0", "clientId": "licensedesk",
        "clientSecret": SECRET, "allowedDomains": ["Contoso.example", "@fabrikam.example"], "enabled": true});
    for (k, v) in changes.as_object().expect("object") {
        input[k] = v.clone();
    }
    json!({"i": input})
}

fn reason(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["reason"].as_str()
}

#[tokio::test]
async fn r48_only_the_global_admin_configures_and_sees_single_sign_on() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let billing = app.user(&org, "Bill", &["BILLING_ADMIN"]).await;
    let license = app.user(&org, "Lic", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&org, "Pat", &[]).await;
    let other = app.register_org("Northwind", "US").await;

    for (who, token) in [("BILLING_ADMIN", &billing.token), ("LICENSE_ADMIN", &license.token), ("USER", &plain.token)] {
        assert_eq!(app.err(Some(token), CONFIGURE, input(json!({}))).await, "FORBIDDEN", "{who} configures");
        let removed = app.gql(Some(token), "mutation { removeSingleSignOn }", json!({})).await;
        assert_eq!(removed["errors"][0]["extensions"]["code"], "FORBIDDEN", "{who} removes: {removed}");
    }
    let configured = app.ok(&org.admin, CONFIGURE, input(json!({}))).await;
    let provider = &configured["configureSingleSignOn"];
    assert_eq!(provider["allowedDomains"], json!(["contoso.example", "fabrikam.example"]), "lower-cased, deduplicated");
    assert_eq!(provider["redirectUri"], "http://licensedesk.test/auth/oidc/callback");
    assert_eq!(provider["signInUrl"], format!("http://licensedesk.test/auth/oidc/{}/start", org.id));
    assert!(!configured.to_string().contains(SECRET), "the secret is never answered: {configured}");

    // R37: every other role and organization sees no provider, as if none were configured.
    let seen = app.ok(&org.admin, SETTINGS, json!({})).await;
    assert_eq!(seen["organization"]["singleSignOn"]["clientId"], "licensedesk");
    for (who, token) in [
        ("BILLING_ADMIN", &billing.token),
        ("LICENSE_ADMIN", &license.token),
        ("USER", &plain.token),
        ("OTHER_ORG_ADMIN", &other.admin),
    ] {
        let seen = app.ok(token, SETTINGS, json!({})).await;
        assert_eq!(seen["organization"]["singleSignOn"], Value::Null, "{who}: {seen}");
    }

    // The audit log: the GLOBAL_ADMIN sees the change (without the secret), other admins do not.
    let audit = "{ auditEvents(first: 100) { nodes { action objectType after } } }";
    let admin_log = app.ok(&org.admin, audit, json!({})).await;
    let entry = admin_log["auditEvents"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|e| e["action"] == "organization.configure_sso")
        .cloned()
        .unwrap_or_else(|| panic!("{admin_log}"));
    assert_eq!(entry["objectType"], "single_sign_on");
    assert!(!entry.to_string().contains(SECRET), "{entry}");
    for token in [&billing.token, &license.token] {
        let log = app.ok(token, audit, json!({})).await;
        assert!(!log.to_string().contains("configure_sso"), "{log}");
    }
}

#[tokio::test]
async fn r48_the_client_secret_is_sealed_at_rest_for_its_organization() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    app.ok(&org.admin, CONFIGURE, input(json!({}))).await;
    let org_id = uuid::Uuid::parse_str(&org.id).expect("id");
    let row = oidc_provider::Entity::find_by_id(org_id).one(&app.db).await.expect("read").expect("row");
    assert!(!row.client_secret_sealed.contains(SECRET), "{}", row.client_secret_sealed);
    assert!(row.client_secret_sealed.starts_with("v1:"));
    let secret = app.state.config.jwt_secret.clone().expect("secret");
    let key = SealingKey::derive(secret.expose().as_bytes(), SsoSettings::SEALING_PURPOSE);
    assert_eq!(key.open(org_id.as_bytes(), &row.client_secret_sealed).as_deref(), Some(SECRET));
    assert_eq!(key.open(uuid::Uuid::nil().as_bytes(), &row.client_secret_sealed), None, "bound to its organization");

    // Changing other settings without a secret keeps the sealed one; a new secret is sealed anew.
    app.ok(&org.admin, CONFIGURE, input(json!({"clientSecret": null, "enabled": false}))).await;
    let kept = oidc_provider::Entity::find_by_id(org_id).one(&app.db).await.expect("read").expect("row");
    assert_eq!(kept.client_secret_sealed, row.client_secret_sealed);
    app.ok(&org.admin, CONFIGURE, input(json!({"clientSecret": "another-secret"}))).await;
    let changed = oidc_provider::Entity::find_by_id(org_id).one(&app.db).await.expect("read").expect("row");
    assert_eq!(key.open(org_id.as_bytes(), &changed.client_secret_sealed).as_deref(), Some("another-secret"));
}

#[tokio::test]
async fn r48_settings_are_validated() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let plain = app.user(&org, "Pat", &[]).await;
    let other = app.register_org("Northwind", "US").await;
    let other_admin = app.ok(&other.admin, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let field = |answer: &Value| answer["errors"][0]["extensions"]["field"].as_str().map(str::to_owned);
    let cases = [
        (json!({"clientSecret": null}), "clientSecret", "REQUIRED"),
        (json!({"issuer": "not a url"}), "issuer", "BAD_FORMAT"),
        (json!({"issuer": "ftp://login.contoso.example"}), "issuer", "NOT_ALLOWED"),
        (json!({"allowedDomains": []}), "allowedDomains", "REQUIRED"),
        (json!({"allowedDomains": ["no-dot"]}), "allowedDomains", "BAD_FORMAT"),
        (json!({"requireSso": true}), "breakGlassUserId", "REQUIRED"),
        (json!({"requireSso": true, "enabled": false, "breakGlassUserId": org.admin_id}), "requireSso", "NOT_ALLOWED"),
        (json!({"requireSso": true, "breakGlassUserId": plain.id}), "breakGlassUserId", "NOT_ALLOWED"),
    ];
    for (changes, expected_field, expected_reason) in cases {
        let answer = app.gql(Some(&org.admin), CONFIGURE, input(changes.clone())).await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{changes}: {answer}");
        assert_eq!(field(&answer).as_deref(), Some(expected_field), "{changes}: {answer}");
        assert_eq!(reason(&answer), Some(expected_reason), "{changes}: {answer}");
    }
    // R3: another organization's admin as break-glass is a user that does not exist.
    let answer =
        app.gql(Some(&org.admin), CONFIGURE, input(json!({"requireSso": true, "breakGlassUserId": other_admin}))).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "NOT_FOUND", "{answer}");
    assert_eq!(app.count("oidc_providers").await, 0, "nothing was stored");
}

#[tokio::test]
async fn r48_required_single_sign_on_refuses_passwords_except_the_break_glass_admin() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let admin =
        app.ok(&org.admin, "{ me { email } }", json!({})).await["me"]["email"].as_str().expect("email").to_owned();
    let colleague = app.user(&org, "Linus", &["GLOBAL_ADMIN"]).await;
    let other = app.register_org("Northwind", "US").await;
    let outsider = app.user(&other, "Nils", &[]).await;
    let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";

    app.ok(&org.admin, CONFIGURE, input(json!({"requireSso": true, "breakGlassUserId": org.admin_id}))).await;
    let refused = app.gql_full(None, login, json!({"e": colleague.email, "p": PASSWORD}), Some("sv")).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    assert_eq!(reason(&refused), Some("SSO_REQUIRED"));
    assert!(refused["errors"][0]["message"].as_str().is_some_and(|m| m.contains("enkel inloggning")), "{refused}");
    // A wrong password still answers UNAUTHENTICATED: the requirement is told only to the password's holder.
    let wrong = app.gql(None, login, json!({"e": colleague.email, "p": "wrong-password-123"})).await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{wrong}");
    // The break-glass admin and other organizations' people sign in as before.
    app.ok_anon(login, json!({"e": admin, "p": PASSWORD})).await;
    app.ok_anon(login, json!({"e": outsider.email, "p": PASSWORD})).await;
    // Turning the requirement off (or removing the provider) lets passwords in again.
    app.ok(&org.admin, CONFIGURE, input(json!({"requireSso": false}))).await;
    app.ok_anon(login, json!({"e": colleague.email, "p": PASSWORD})).await;
    app.ok(&org.admin, CONFIGURE, input(json!({"requireSso": true, "breakGlassUserId": org.admin_id}))).await;
    assert_eq!(app.ok(&org.admin, "mutation { removeSingleSignOn }", json!({})).await["removeSingleSignOn"], true);
    app.ok_anon(login, json!({"e": colleague.email, "p": PASSWORD})).await;
}

async fn get(app: &TestApp, path: &str) -> (u16, Option<String>, String) {
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get(path).header("accept-language", "nl").body(Body::empty()).expect("request"),
    )
    .await
    .expect("router");
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    (status, location, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn r48_r46_the_doors_of_the_flow_answer_with_the_usual_codes() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let back = "returnTo=http%3A%2F%2Fconsole.test%2Fdone";

    // No provider (or an organization that does not exist): straight back with the reason.
    for organization in [org.id.as_str(), "00000000-0000-0000-0000-000000000000", "not-an-id"] {
        let (status, location, body) = get(&app, &format!("/auth/oidc/{organization}/start?{back}")).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("http://console.test/done?sso_error=PROVIDER_DISABLED"));
    }
    // A return address on an origin not allowed is refused here, never redirected to.
    let (status, location, body) =
        get(&app, &format!("/auth/oidc/{}/start?returnTo=https%3A%2F%2Fevil.example%2F", org.id)).await;
    assert_eq!((status, location), (400, None), "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "returnTo");
    assert!(body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("returnTo")), "{body}");
    // An unknown state.
    let (status, _, body) = get(&app, "/auth/oidc/callback?state=made-up&code=x").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("STATE_INVALID"), "{body}");
    // An unknown exchange code.
    let answer = app.gql(None, "mutation { signInWithSingleSignOn(code: \"made-up\") { token } }", json!({})).await;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{answer}");
    assert_eq!(reason(&answer), Some("STATE_INVALID"));
    assert_eq!(app.count("sessions").await, 1, "only the registration's session");
}
