//! R48, outside in: single sign-on through a REAL OpenID provider process
//! (the Node package `oidc-provider`, tests/oidc/provider.mjs) against the
//! real binary. The test plays the browser over HTTP: it follows redirects
//! with the provider's cookies and posts the provider's login and consent
//! forms, then exchanges the one-time `sso_code` for a session (R47).
//! CI installs the package (`npm ci` in tests/oidc) and sets
//! LICENSEDESK_REQUIRE_OIDC=1; without it the tests skip with a WARNING.

use std::{collections::HashMap, path::PathBuf, process::Stdio};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::harness::{Server, code, fresh_database_url};

const RETURN_TO: &str = "http://console.example/signed-in";
const CLIENT_SECRET: &str = "licensedesk-secret";
const PASSWORD: &str = "correct-horse-battery";

fn provider_dir() -> Option<PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
    let why = if !dir.join("node_modules/oidc-provider").exists() {
        "tests/oidc has no node_modules (cd tests/oidc && npm ci)"
    } else if std::process::Command::new("node").arg("--version").output().is_err() {
        "no node on PATH"
    } else {
        return Some(dir);
    };
    if std::env::var_os("LICENSEDESK_REQUIRE_OIDC").is_some() {
        panic!("LICENSEDESK_REQUIRE_OIDC is set but {why}");
    }
    eprintln!("WARNING: the single sign-on test against a real OpenID provider is skipped: {why}");
    None
}

/// The OpenID provider process; killed when dropped.
struct Provider {
    _child: tokio::process::Child,
    issuer: String,
}

impl Provider {
    async fn start(dir: &std::path::Path, redirect_uri: &str) -> Provider {
        let port = super::harness::free_port();
        let mut child = tokio::process::Command::new("node")
            .arg(dir.join("provider.mjs"))
            .arg(port.to_string())
            .arg(redirect_uri)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the OpenID provider");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
            .await
            .expect("the provider starts")
            .expect("read")
            .expect("a line");
        // Read on to the end: the provider also notes things on stdout, and a closed pipe would stop it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ready: Value = serde_json::from_str(&line).expect("the provider's JSON line");
        Provider { _child: child, issuer: ready["issuer"].as_str().expect("issuer").to_owned() }
    }

    /// The next token answer carries a forged-but-validly-signed ID token.
    async fn next_id_token(&self, fault: &str) {
        let url = format!("{}/__test/next-id-token?fault={fault}", self.issuer);
        let response = reqwest::get(url).await.expect("provider");
        assert!(response.status().is_success());
    }
}

/// What a sign-in through the browser ended with.
struct Returned {
    /// The final address the server sent the browser to (`returnTo` with its parameters).
    location: url::Url,
    /// The provider's redirect to the server's callback (with `state` and `code`).
    callback: Option<String>,
}

impl Returned {
    fn param(&self, name: &str) -> Option<String> {
        self.location.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// A browser without JavaScript: no automatic redirects, cookies kept per host.
struct Browser {
    client: reqwest::Client,
    cookies: HashMap<String, HashMap<String, String>>,
}

impl Browser {
    fn new() -> Browser {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser { client, cookies: HashMap::new() }
    }

    fn authority(url: &url::Url) -> String {
        format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or_default())
    }

    async fn send(&mut self, request: reqwest::RequestBuilder, url: &url::Url) -> (u16, Option<String>, String) {
        let jar = self.cookies.entry(Self::authority(url)).or_default();
        let cookie = jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let request = if cookie.is_empty() { request } else { request.header("cookie", cookie) };
        let response = request.send().await.expect("HTTP");
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            if let Some((name, rest)) = text.split(';').next().and_then(|pair| pair.split_once('=')) {
                jar.insert(name.trim().to_owned(), rest.trim().to_owned());
            }
        }
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (status, location, response.text().await.unwrap_or_default())
    }

    /// From the server's start address through the provider's forms to the
    /// server's last redirect (to `returnTo`), which is not followed.
    async fn sign_in(&mut self, start: &str, login: &str) -> Returned {
        self.sign_in_to(start, login, RETURN_TO).await
    }

    /// As [`Browser::sign_in`], stopping at the first address that starts with `until`.
    async fn sign_in_to(&mut self, start: &str, login: &str, until: &str) -> Returned {
        let mut url = url::Url::parse(start).expect("start URL");
        let mut callback = None;
        for _ in 0..20 {
            if url.as_str().starts_with(until) {
                return Returned { location: url, callback };
            }
            if url.path() == "/auth/oidc/callback" {
                callback = Some(url.to_string());
            }
            let (status, location, body) = self.send(self.client.get(url.clone()), &url).await;
            let next = match (status, location) {
                (300..=399, Some(location)) => location,
                (200, _) if body.contains(r#"name="prompt" value="login""#) => {
                    let form = [("prompt", "login"), ("login", login), ("password", "any")];
                    self.post_form(&url, &body, &form).await
                }
                (200, _) if body.contains(r#"name="prompt" value="consent""#) => {
                    self.post_form(&url, &body, &[("prompt", "consent")]).await
                }
                (status, _) => panic!("{status} at {url}: {body}"),
            };
            url = url.join(&next).expect("redirect target");
        }
        panic!("too many redirects, last at {url}");
    }

    /// Posts the page's form (its `action`) and answers where it redirects.
    async fn post_form(&mut self, page: &url::Url, body: &str, fields: &[(&str, &str)]) -> String {
        let action = body
            .split(r#"action=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form in {body}"));
        let target = page.join(action).expect("form action");
        let form: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request =
            self.client.post(target.clone()).header("content-type", "application/x-www-form-urlencoded").body(form);
        let (status, location, text) = self.send(request, &target).await;
        match (status, location) {
            (300..=399, Some(location)) => location,
            (status, _) => panic!("form post answered {status}: {text}"),
        }
    }
}

/// One binary and one provider, with an organization whose GLOBAL_ADMIN has
/// connected the provider for contoso.example.
struct Setup {
    server: Server,
    provider: Provider,
    admin_token: String,
    admin_email: String,
    organization_id: String,
}

impl Setup {
    async fn new(dir: &std::path::Path) -> Setup {
        let env =
            [("LICENSEDESK_SSO_ALLOW_PRIVATE", "true"), ("LICENSEDESK_SSO_RETURN_ORIGINS", "http://console.example")];
        let server = Server::start(&fresh_database_url().await, &env).await;
        let provider = Provider::start(dir, &format!("http://{}/auth/oidc/callback", server.addr)).await;
        let (admin_token, admin_email) = server.register("Contoso").await;
        let me = server.graphql(Some(&admin_token), "{ me { organization { id } } }", json!({})).await;
        let organization_id = me["data"]["me"]["organization"]["id"].as_str().expect("organization").to_owned();
        let setup = Setup { server, provider, admin_token, admin_email, organization_id };
        let configured = setup.configure(json!({"clientId": "licensedesk", "clientSecret": CLIENT_SECRET})).await;
        assert_eq!(
            configured["data"]["configureSingleSignOn"]["issuer"],
            setup.provider.issuer.as_str(),
            "{configured}"
        );
        setup
    }

    /// Sets the provider with `changes` over the defaults (enabled, contoso.example).
    async fn configure(&self, changes: Value) -> Value {
        let mut input = json!({"issuer": self.provider.issuer, "clientId": "licensedesk",
            "allowedDomains": ["contoso.example"], "enabled": true});
        for (k, v) in changes.as_object().expect("object") {
            input[k] = v.clone();
        }
        let query = "mutation($i: SingleSignOnInput!) { configureSingleSignOn(input: $i) { issuer clientId allowedDomains enabled requireSso redirectUri signInUrl } }";
        self.server.graphql(Some(&self.admin_token), query, json!({"i": input})).await
    }

    fn start_url(&self) -> String {
        let return_to: String = url::form_urlencoded::byte_serialize(RETURN_TO.as_bytes()).collect();
        format!("http://{}/auth/oidc/{}/start?returnTo={return_to}", self.server.addr, self.organization_id)
    }

    async fn sign_in(&self, login: &str) -> Returned {
        Browser::new().sign_in(&self.start_url(), login).await
    }

    async fn redeem(&self, code: &str) -> Value {
        let query =
            "mutation($c: String!) { signInWithSingleSignOn(code: $c) { token refreshToken user { id email } } }";
        self.server.graphql(None, query, json!({"c": code})).await
    }

    async fn login(&self, email: &str, password: &str) -> Value {
        let query = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
        self.server.graphql(None, query, json!({"e": email, "p": password})).await
    }
}

fn reason(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["reason"].as_str()
}

#[tokio::test]
async fn r48_single_sign_on_through_a_real_openid_provider_end_to_end() {
    let Some(dir) = provider_dir() else { return };
    let setup = Setup::new(&dir).await;
    let server = &setup.server;

    // First sign-in: a new user of the organization, signed in with the session tokens of R47.
    let returned = setup.sign_in("ada@contoso.example").await;
    assert_eq!(returned.param("sso_error"), None, "{}", returned.location);
    let sso_code = returned.param("sso_code").expect("a one-time code, not a token, in the URL");
    assert!(!returned.location.as_str().contains("eyJ"), "no JWT in the return address: {}", returned.location);
    let session = setup.redeem(&sso_code).await;
    let payload = &session["data"]["signInWithSingleSignOn"];
    assert_eq!(payload["user"]["email"], "ada@contoso.example", "{session}");
    let token = payload["token"].as_str().expect("access token");
    let me = server.graphql(Some(token), "{ me { email organization { id } } }", json!({})).await;
    assert_eq!(me["data"]["me"]["organization"]["id"], setup.organization_id.as_str(), "{me}");
    let refreshed = server
        .graphql(
            None,
            "mutation($r: String!) { refreshSession(refreshToken: $r) { token } }",
            json!({"r": payload["refreshToken"]}),
        )
        .await;
    assert!(
        refreshed["data"]["refreshSession"]["token"].is_string(),
        "a refresh token like a password sign-in's: {refreshed}"
    );
    let sessions = server.graphql(Some(token), "{ sessions { totalCount } }", json!({})).await;
    assert_eq!(sessions["data"]["sessions"]["totalCount"], 1, "{sessions}");

    // The exchange code works once.
    let again = setup.redeem(&sso_code).await;
    assert_eq!(code(&again), Some("UNAUTHENTICATED"), "{again}");
    assert_eq!(reason(&again), Some("STATE_INVALID"));

    // A replayed state (the provider's redirect to the callback, sent again) is refused.
    let callback = returned.callback.expect("the callback address");
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(&callback)
        .send()
        .await
        .expect("replay");
    assert_eq!(replay.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&replay.text().await.unwrap_or_default()).unwrap_or_else(|_| json!({}));
    assert_eq!(body["errors"][0]["extensions"]["reason"], "STATE_INVALID", "{body}");

    // Signing in again finds the same user (linked by the provider's subject).
    let second = setup.sign_in("ada@contoso.example").await;
    let second = setup.redeem(&second.param("sso_code").expect("code")).await;
    assert_eq!(second["data"]["signInWithSingleSignOn"]["user"]["id"], payload["user"]["id"], "{second}");

    // ES256 ID tokens (the provider's EC key), the stored secret kept.
    let es = setup.configure(json!({"clientId": "licensedesk-es256"})).await;
    assert_eq!(es["data"]["configureSingleSignOn"]["clientId"], "licensedesk-es256", "{es}");
    let returned = setup.sign_in("grace@contoso.example").await;
    let grace = setup.redeem(&returned.param("sso_code").unwrap_or_else(|| panic!("{}", returned.location))).await;
    assert_eq!(grace["data"]["signInWithSingleSignOn"]["user"]["email"], "grace@contoso.example", "{grace}");

    // The secret is in no answer.
    let settings = server
        .graphql(Some(&setup.admin_token), "{ organization { singleSignOn { issuer clientId } } }", json!({}))
        .await;
    assert!(!settings.to_string().contains(CLIENT_SECRET), "{settings}");
    assert_eq!(settings["data"]["organization"]["singleSignOn"]["clientId"], "licensedesk-es256");
}

#[tokio::test]
async fn r48_single_sign_on_refuses_a_wrong_audience_an_expired_token_a_foreign_domain_and_a_disabled_provider() {
    let Some(dir) = provider_dir() else { return };
    let setup = Setup::new(&dir).await;
    let refused = |returned: &Returned| returned.param("sso_error");

    // The control: an ID token re-signed unchanged by the provider's key is accepted.
    setup.provider.next_id_token("resigned").await;
    let returned = setup.sign_in("ada@contoso.example").await;
    assert!(returned.param("sso_code").is_some(), "{}", returned.location);

    // An ID token for another audience, signed with the provider's own key.
    setup.provider.next_id_token("wrong-audience").await;
    let returned = setup.sign_in("ada@contoso.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("ID_TOKEN_INVALID"), "{}", returned.location);
    assert_eq!(returned.param("sso_code"), None);

    // An expired ID token.
    setup.provider.next_id_token("expired").await;
    let returned = setup.sign_in("ada@contoso.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("ID_TOKEN_INVALID"), "{}", returned.location);

    // A domain the organization does not allow, and an unverified e-mail.
    let returned = setup.sign_in("eve@elsewhere.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("DOMAIN_NOT_ALLOWED"), "{}", returned.location);
    let returned = setup.sign_in("unverified@contoso.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("EMAIL_NOT_VERIFIED"), "{}", returned.location);

    // A user of another organization is refused, not moved.
    let other = setup
        .server
        .graphql(
            None,
            "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }",
            json!({"i": {"organizationName": "Fabrikam", "country": "US", "name": "Bob", "email": "bob@contoso.example", "password": PASSWORD}}),
        )
        .await;
    assert!(other["data"]["registerOrganization"]["token"].is_string(), "{other}");
    let returned = setup.sign_in("bob@contoso.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("ACCOUNT_NOT_ALLOWED"), "{}", returned.location);

    // None of the refused ones created a user (the admin and Ada from the control are all).
    let users = setup.server.graphql(Some(&setup.admin_token), "{ users { totalCount } }", json!({})).await;
    assert_eq!(users["data"]["users"]["totalCount"], 2, "{users}");

    // A returnTo on an origin that is not allowed is answered at the server, not redirected.
    let start = setup.start_url().replace("console.example", "evil.example");
    let (status, _, body) =
        Browser::new().send(reqwest::Client::new().get(&start), &url::Url::parse(&start).expect("url")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("VALIDATION_FAILED"), "{body}");

    // A provider turned off: the start sends the browser straight back with the reason.
    let disabled = setup.configure(json!({"enabled": false})).await;
    assert_eq!(disabled["data"]["configureSingleSignOn"]["enabled"], false, "{disabled}");
    let returned = setup.sign_in("ada@contoso.example").await;
    assert_eq!(refused(&returned).as_deref(), Some("PROVIDER_DISABLED"), "{}", returned.location);
}

#[tokio::test]
async fn r48_required_single_sign_on_refuses_passwords_but_not_the_break_glass_admin() {
    let Some(dir) = provider_dir() else { return };
    let setup = Setup::new(&dir).await;
    let server = &setup.server;
    let created = server
        .graphql(
            Some(&setup.admin_token),
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({"i": {"name": "Linus", "email": "linus@contoso.example", "password": PASSWORD, "roles": ["GLOBAL_ADMIN"]}}),
        )
        .await;
    assert!(created["data"]["createUser"]["id"].is_string(), "{created}");
    let me = server.graphql(Some(&setup.admin_token), "{ me { id } }", json!({})).await;
    let admin_id = me["data"]["me"]["id"].clone();
    let required = setup.configure(json!({"requireSso": true, "breakGlassUserId": admin_id})).await;
    assert_eq!(required["data"]["configureSingleSignOn"]["requireSso"], true, "{required}");

    // Everyone else's password is refused with a typed error; the break-glass admin's works.
    let refused = setup.login("linus@contoso.example", PASSWORD).await;
    assert_eq!(code(&refused), Some("FORBIDDEN"), "{refused}");
    assert_eq!(reason(&refused), Some("SSO_REQUIRED"));
    let allowed = setup.login(&setup.admin_email, PASSWORD).await;
    assert!(allowed["data"]["login"]["token"].is_string(), "{allowed}");

    // The same person signs in through the provider: linked to the existing user by e-mail.
    let returned = setup.sign_in("linus@contoso.example").await;
    let session = setup.redeem(&returned.param("sso_code").unwrap_or_else(|| panic!("{}", returned.location))).await;
    assert_eq!(
        session["data"]["signInWithSingleSignOn"]["user"]["id"], created["data"]["createUser"]["id"],
        "{session}"
    );
}

/// R53 with R48: an admin of an organization that requires single sign-on
/// consents to a publisher's portal on the consent page through the real
/// OpenID provider (the password form refuses them), and the portal assigns a
/// license with the token it gets.
#[tokio::test]
async fn r53_r48_an_sso_only_admin_consents_to_the_portal_through_the_provider() {
    use crate::marketplace::{product, publisher, ready_to_buy, subscription};
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use sha2::Digest;
    const REDIRECT: &str = "http://127.0.0.1:9/portal/callback";
    let Some(dir) = provider_dir() else { return };
    let setup = Setup::new(&dir).await;
    let server = &setup.server;
    let base = format!("http://{}", server.addr);
    let fabrikam = publisher(server, "Fabrikam").await;
    let app = product(server, &fabrikam, "Seat App").await;
    let profile = ready_to_buy(server, &setup.admin_token).await;
    let sub = subscription(server, &setup.admin_token, &profile, &app, &fabrikam, 2).await;
    let created = server
        .graphql(
            Some(&setup.admin_token),
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({"i": {"name": "Linus", "email": "linus@contoso.example", "password": PASSWORD, "roles": ["LICENSE_ADMIN"]}}),
        )
        .await;
    let linus = created["data"]["createUser"]["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let me = server.graphql(Some(&setup.admin_token), "{ me { id } }", json!({})).await;
    let required = setup.configure(json!({"requireSso": true, "breakGlassUserId": me["data"]["me"]["id"]})).await;
    assert_eq!(required["data"]["configureSingleSignOn"]["requireSso"], true, "{required}");
    let client = server
        .graphql(
            Some(&fabrikam),
            "mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { clientSecret client { clientId } } }",
            json!({"i": {"name": "Fabrikam portal", "redirectUris": [REDIRECT]}}),
        )
        .await;
    let client_id = client["data"]["createApiClient"]["client"]["clientId"].as_str().expect("client id").to_owned();
    let secret = client["data"]["createApiClient"]["clientSecret"].as_str().expect("secret").to_owned();

    // The portal sends the browser to the consent page (PKCE S256).
    let verifier = format!("verifier-{}-{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&format!("{base}/oauth/authorize")).expect("URL");
    authorize.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "licenses.read licenses.assign"),
        ("state", "portal-state"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    let mut browser = Browser::new();
    let http = browser.client.clone();
    let hidden = |page: &str, name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        page.find(&marker).map(|i| page[i + marker.len()..].split('"').next().unwrap_or_default().to_owned())
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let http = http.clone();
        let target = format!("{base}/oauth/authorize");
        async move {
            let response = http.post(target).form(&fields).send().await.expect("consent form");
            let status = response.status().as_u16();
            let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, location, response.text().await.unwrap_or_default())
        }
    };
    let (status, _, page) = browser.send(http.get(authorize.clone()), &authorize).await;
    assert_eq!(status, 200, "{page}");
    // R48: the password form refuses the license admin of this organization.
    let token = hidden(&page, "form_token").expect("form token");
    let (status, _, refused) = post(vec![
        ("form_token", token),
        ("email", "linus@contoso.example".into()),
        ("password", PASSWORD.into()),
        ("decision", "approve".into()),
    ])
    .await;
    assert_eq!(status, 401, "{refused}");
    assert!(refused.contains("single sign-on"), "{refused}");

    // Single sign-on: the provider's login, then back to the consent page with a one-time code.
    let token = hidden(&refused, "form_token").expect("a new form token");
    let (status, start, body) =
        post(vec![("form_token", token), ("organization", setup.organization_id.clone()), ("decision", "sso".into())])
            .await;
    assert_eq!(status, 303, "{body}");
    let start = format!("{base}{}", start.expect("to the sign-in start"));
    let returned = browser.sign_in_to(&start, "linus@contoso.example", &format!("{base}/oauth/authorize?")).await;
    assert_eq!(returned.param("sso_error"), None, "{}", returned.location);
    assert!(returned.param("sso_code").is_some() && returned.param("resume").is_some(), "{}", returned.location);
    assert!(!returned.location.as_str().contains("eyJ"), "no JWT in the address: {}", returned.location);
    let (status, _, page) = browser.send(http.get(returned.location.clone()), &returned.location).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(hidden(&page, "sso_user").as_deref(), Some(linus.as_str()), "{page}");
    // The code was redeemed by the page: it signs nobody in again.
    let again = setup.redeem(&returned.param("sso_code").unwrap_or_default()).await;
    assert_eq!(reason(&again), Some("STATE_INVALID"), "{again}");

    // Allow: the portal gets its code, then tokens, and assigns a license as Linus.
    let (status, location, body) = post(vec![
        ("form_token", hidden(&page, "form_token").expect("form token")),
        ("sso_user", linus.clone()),
        ("decision", "approve".into()),
    ])
    .await;
    assert_eq!(status, 303, "{body}");
    let back = url::Url::parse(&location.expect("to the portal")).expect("URL");
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let param = |name: &str| back.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    assert_eq!(param("state").as_deref(), Some("portal-state"));
    let code = param("code").unwrap_or_else(|| panic!("a code: {back}"));
    let answer = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(answer.status().as_u16(), 200);
    let answer: Value = serde_json::from_str(&answer.text().await.expect("body")).expect("JSON");
    let access = answer["access_token"].as_str().expect("access token");
    let assigned = http
        .post(format!("{base}/api/v1/portal/subscriptions/{sub}/assignments"))
        .bearer_auth(access)
        .header("content-type", "application/json")
        .body(json!({"userIds": [linus]}).to_string())
        .send()
        .await
        .expect("assign");
    assert_eq!(assigned.status().as_u16(), 200);
    let assigned: Value = serde_json::from_str(&assigned.text().await.expect("body")).expect("JSON");
    assert_eq!(assigned["seats"], json!({"quantity": 2, "assigned": 1, "available": 1}), "{assigned}");
    let audit = server
        .graphql(
            Some(&setup.admin_token),
            "{ auditEvents(first: 5, filter: {action: \"subscription.assign_licenses\"}) { nodes { after actor { id } } } }",
            json!({}),
        )
        .await;
    let entry = &audit["data"]["auditEvents"]["nodes"][0];
    assert_eq!(entry["after"]["channel"], "PORTAL", "{audit}");
    assert_eq!(entry["actor"]["id"], json!(linus), "{audit}");
}
