//! Foundation: auth, errors, limits, users, the HTTP surface (SPEC §1, §10).

use axum::{body::Body, http::Request};
use licensedesk::{app, config::Config, db};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "{ me { id name email roles organization { id name country market } publisher { id name } } }";

#[tokio::test]
async fn register_organization_login_and_me() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "se").await;
    let me = app.ok(&org.admin, ME, json!({})).await;
    assert_eq!(me["me"]["roles"], json!(["GLOBAL_ADMIN", "USER"]), "R1: the first user is GLOBAL_ADMIN");
    assert_eq!(me["me"]["organization"]["country"], "SE", "country is stored upper-case");
    assert_eq!(me["me"]["organization"]["market"], "WESTERN_EUROPE", "R8: SE is in Western Europe");
    let email = me["me"]["email"].as_str().expect("email").to_owned();
    let token = app.login(&email.to_uppercase()).await;
    let again = app.ok(&token, ME, json!({})).await;
    assert_eq!(again["me"]["id"], me["me"]["id"]);
}

#[tokio::test]
async fn register_publisher_me_shows_publisher() {
    let app = TestApp::spawn().await;
    let publisher = app.register_publisher("Fabrikam Apps").await;
    let me = app.ok(&publisher.token, ME, json!({})).await;
    assert_eq!(me["me"]["publisher"]["name"], "Fabrikam Apps");
    assert!(me["me"]["organization"].is_null());
    assert_eq!(me["me"]["roles"], json!([]));
}

#[tokio::test]
async fn login_fails_the_same_way_for_unknown_email_and_wrong_password() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let me = app.ok(&org.admin, ME, json!({})).await;
    let email = me["me"]["email"].as_str().expect("email");
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    let wrong = app.gql(None, q, json!({"e": email, "p": "not-the-password"})).await;
    let unknown = app.gql(None, q, json!({"e": "nobody@nowhere.test", "p": "not-the-password"})).await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"], "no user enumeration");
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn duplicate_email_and_bad_registration_input_are_validation_errors() {
    let app = TestApp::spawn().await;
    let q = "mutation($i: RegisterOrganizationInput!) { registerOrganization(input: $i) { token } }";
    let input = json!({"organizationName": "A", "country": "US", "name": "A", "email": "dup@example.test", "password": PASSWORD});
    app.ok_anon(q, json!({"i": input})).await;
    let response = app.gql(None, q, json!({"i": input})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
    assert_eq!(response["errors"][0]["extensions"]["field"], "email");
    let orgs_before = app.count("organizations").await;
    for (field, bad) in [
        (
            "country",
            json!({"organizationName": "B", "country": "USA", "name": "B", "email": "b@example.test", "password": PASSWORD}),
        ),
        (
            "password",
            json!({"organizationName": "B", "country": "US", "name": "B", "email": "b@example.test", "password": "short"}),
        ),
        (
            "email",
            json!({"organizationName": "B", "country": "US", "name": "B", "email": "not-an-email", "password": PASSWORD}),
        ),
        (
            "organizationName",
            json!({"organizationName": "x".repeat(201), "country": "US", "name": "B", "email": "b@example.test", "password": PASSWORD}),
        ),
    ] {
        let response = app.gql(None, q, json!({"i": bad})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{field}: {response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], field, "{response}");
    }
    assert_eq!(app.count("organizations").await, orgs_before, "bad input changes nothing");
}

#[tokio::test]
async fn forged_expired_none_alg_and_deactivated_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let user = app.user(&org, "Bob", &[]).await;
    assert_eq!(app.err(Some("garbage"), ME, json!({})).await, "UNAUTHENTICATED");
    // Signed with another key.
    let other = licensedesk::auth::jwt::JwtKeys::new(b"another-secret-another-secret-xx", 600);
    let user_id = uuid::Uuid::parse_str(&user.id).expect("uuid");
    // The user's real, open session: only the key or the expiry is wrong below.
    let session = app.state.jwt.verify(&user.token).expect("the user's token").session_id;
    let (forged, _) = other.issue(user_id, session, chrono::Utc::now().timestamp()).expect("issue");
    assert_eq!(app.err(Some(&forged), ME, json!({})).await, "UNAUTHENTICATED");
    // Expired: issued with the right key two hours ago.
    let (expired, _) = app.state.jwt.issue(user_id, session, chrono::Utc::now().timestamp() - 7200).expect("issue");
    assert_eq!(app.err(Some(&expired), ME, json!({})).await, "UNAUTHENTICATED");
    // alg: none
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = chrono::Utc::now().timestamp();
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(
            json!({"sub": user.id, "iss": "licensedesk", "aud": "licensedesk-api", "iat": now, "exp": now + 600})
                .to_string()
        )
    );
    assert_eq!(app.err(Some(&none), ME, json!({})).await, "UNAUTHENTICATED");
    // A deactivated (deleted) user: the token stops working at once.
    app.ok(&user.token, ME, json!({})).await;
    app.db
        .execute_unprepared(&format!("UPDATE users SET active = FALSE WHERE email = '{}'", user.email))
        .await
        .expect("deactivate");
    assert_eq!(app.err(Some(&user.token), ME, json!({})).await, "UNAUTHENTICATED");
}

/// Issue 2 §8: each of today's operations against every role and another organization.
#[tokio::test]
async fn authorization_table_for_identity_operations() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let other = app.register_org("Northwind", "GB").await;
    let billing = app.user(&org, "Bill Admin", &["BILLING_ADMIN"]).await;
    let license = app.user(&org, "Lisa Admin", &["LICENSE_ADMIN"]).await;
    let plain = app.user(&org, "Ursula User", &[]).await;
    let publisher = app.register_publisher("Fabrikam").await;
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    let users = "{ users(first: 100) { totalCount nodes { id email } } }";
    // (who, may create users, may search users)
    let table: Vec<(&str, &str, bool, bool)> = vec![
        ("GLOBAL_ADMIN", org.admin.as_str(), true, true),
        ("BILLING_ADMIN", billing.token.as_str(), false, true),
        ("LICENSE_ADMIN", license.token.as_str(), false, true),
        ("USER", plain.token.as_str(), false, true),
        ("PUBLISHER", publisher.token.as_str(), false, false),
    ];
    for (role, token, may_create, may_search) in table {
        let email = format!("new-{}@example.test", uuid::Uuid::new_v4().simple());
        let input = json!({"i": {"name": "New Person", "email": email, "password": PASSWORD}});
        let response = app.gql(Some(token), create, input).await;
        if may_create {
            assert!(response.get("errors").is_none(), "{role} should create users (R1): {response}");
        } else {
            assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role} must not create users (R1)");
        }
        let response = app.gql(Some(token), users, json!({})).await;
        if may_search {
            assert!(response.get("errors").is_none(), "{role} searches own org (R23): {response}");
            let ids: Vec<&str> = response["data"]["users"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .filter_map(|n| n["id"].as_str())
                .collect();
            assert!(ids.contains(&org.admin_id.as_str()), "{role} lists its own organization's people: {response}");
            assert!(!ids.contains(&other.admin_id.as_str()), "R3: no user of another organization is listed");
        } else {
            assert_eq!(response["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role}");
        }
    }
    // Another organization's admin sees only its own people (R3).
    let theirs = app.ok(&other.admin, users, json!({})).await;
    assert_eq!(theirs["users"]["totalCount"], 1, "Northwind sees only its own admin");
    assert_eq!(app.err(None, users, json!({})).await, "UNAUTHENTICATED");
    assert_eq!(
        app.err(None, create, json!({"i": {"name": "x", "email": "x@example.test", "password": PASSWORD}})).await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn users_search_by_name_or_email_prefix_is_paginated() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    for name in ["Anna Berg", "Anders Holm", "Bertil Ek", "Annika Lund", "Carl Anka"] {
        app.user(&org, name, &[]).await;
    }
    let q = "query($s: String, $f: Int, $a: String) { users(search: $s, first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } }";
    let page1 = app.ok(&org.admin, q, json!({"s": "an", "f": 2})).await;
    assert_eq!(
        page1["users"]["totalCount"], 4,
        "R23: Anna, Anders, Annika and Carl Anka have a word starting with 'an'"
    );
    assert_eq!(page1["users"]["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(page1["users"]["pageInfo"]["hasNextPage"], true);
    let cursor = page1["users"]["pageInfo"]["endCursor"].as_str().expect("cursor");
    let page2 = app.ok(&org.admin, q, json!({"s": "an", "f": 2, "a": cursor})).await;
    assert_eq!(page2["users"]["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(page2["users"]["pageInfo"]["hasNextPage"], false);
    let by_email = app.ok(&org.admin, q, json!({"s": "bertil."})).await;
    assert_eq!(by_email["users"]["nodes"][0]["name"], "Bertil Ek", "search matches the e-mail prefix");
    let wildcard = app.ok(&org.admin, q, json!({"s": "%"})).await;
    assert_eq!(wildcard["users"]["totalCount"], 0, "LIKE wildcards are literal");
    for bad in [0, 101] {
        let response = app.gql(Some(&org.admin), q, json!({"f": bad})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
        assert_eq!(response["errors"][0]["extensions"]["field"], "first");
    }
}

/// R23, issue 23: a plain prefix is written into the search statement (so
/// PostgreSQL plans it for its range) and anything with a quote, backslash
/// or control character stays a parameter; both find the same people, and
/// text that looks like SQL is only ever text.
#[tokio::test]
async fn r23_search_prefixes_with_quotes_and_backslashes_are_text() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    for name in ["Seán O'Brien", "Back\\slash Bo", "Olle Ek"] {
        app.user(&org, name, &[]).await;
    }
    let q = "query($s: String) { users(search: $s) { totalCount nodes { name } } }";
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["users"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["name"].as_str().map(str::to_owned))
            .collect()
    };
    let quoted = app.ok(&org.admin, q, json!({"s": "o'b"})).await;
    assert_eq!(names(&quoted), ["Seán O'Brien"], "a quote is part of the prefix");
    let slash = app.ok(&org.admin, q, json!({"s": "back\\"})).await;
    assert_eq!(names(&slash), ["Back\\slash Bo"], "a backslash is part of the prefix");
    let plain = app.ok(&org.admin, q, json!({"s": "o"})).await;
    assert_eq!(plain["users"]["totalCount"], 2, "O'Brien and Olle have a word starting with 'o'");
    for injection in ["' OR '1'='1", "x'); DROP TABLE users; --", "$1", "?"] {
        let found = app.ok(&org.admin, q, json!({"s": injection})).await;
        assert_eq!(found["users"]["totalCount"], 0, "{injection:?} is text, not SQL");
    }
    let still = app.ok(&org.admin, q, json!({"s": "olle"})).await;
    assert_eq!(names(&still), ["Olle Ek"], "the users table is intact");
}

#[tokio::test]
async fn messages_follow_accept_language() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let q = "{ users(first: 0) { totalCount } }";
    let mut seen = Vec::new();
    for lang in ["en-US", "sv-SE", "da", "nl-NL", "zh-TW", "fr-FR"] {
        let response = app.gql_full(Some(&org.admin), q, json!({}), Some(lang)).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
        let message = response["errors"][0]["message"].as_str().expect("message").to_owned();
        assert!(message.contains("first"), "the field is named in every language: {message}");
        seen.push(message);
    }
    assert_eq!(seen[0], seen[5], "unsupported languages fall back to English");
    for i in 1..5 {
        assert_ne!(seen[0], seen[i], "language {i} has its own text");
    }
    assert!(seen[4].chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "zh-TW is Chinese: {}", seen[4]);
}

#[tokio::test]
async fn internal_errors_carry_a_request_id_and_no_cause() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    // Break the database under the server: reading billing profiles will fail
    // (not a table the caller's own statement reads, so the request gets that far).
    app.db.execute_unprepared("ALTER TABLE billing_profiles RENAME TO billing_profiles_gone").await.expect("rename");
    let response = app.gql(Some(&org.admin), "{ billingProfiles { nodes { name } } }", json!({})).await;
    let error = &response["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL");
    let request_id = error["extensions"]["requestId"].as_str().expect("request id");
    assert!(request_id.len() >= 8);
    let text = error.to_string().to_lowercase();
    for leak in ["billing_profiles", "select", "sqlite", "postgres", "relation", "no such table"] {
        assert!(!text.contains(leak), "INTERNAL leaked {leak}: {text}");
    }
}

#[tokio::test]
async fn http_surface_rejects_what_is_not_a_single_json_post() {
    let app = TestApp::spawn().await;
    let post = |body: &str, content_type: &str| {
        Request::post("/graphql")
            .header("content-type", content_type)
            .body(Body::from(body.to_owned()))
            .expect("request")
    };
    let (status, body) = app.http(post("{not json", "application/json")).await;
    assert_eq!(status, 400);
    let value: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(value["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
    let (status, _) = app.http(post(r#"[{"query":"{ me { id } }"}]"#, "application/json")).await;
    assert_eq!(status, 400, "no array batches");
    let (status, _) = app.http(post(r#"{"query":"{ me { id } }"}"#, "text/plain")).await;
    assert_eq!(status, 415, "JSON only");
    // Issue 24: GET runs queries (this one needs a token), never mutations.
    let (status, _) =
        app.http(Request::get("/graphql?query=%7Bme%7Bid%7D%7D").body(Body::empty()).expect("request")).await;
    assert_eq!(status, 200, "GET queries");
    let (status, _) = app
        .http(
            Request::get("/graphql?query=mutation%7BacceptCustomerAgreement%7BacceptedAt%7D%7D")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, 405, "no GET mutations");
    let big =
        format!(r#"{{"query":"{{ me {{ id }} }}","variables":{{"x":"{}"}}}}"#, "a".repeat(app::MAX_BODY_BYTES + 10));
    let (status, _) = app.http(post(&big, "application/json")).await;
    assert_eq!(status, 413, "body size limit");
    let (status, body) = app.http(Request::get("/healthz").body(Body::empty()).expect("request")).await;
    assert_eq!((status.as_u16(), body.as_slice()), (200, b"ok".as_slice()));
    let (status, _) = app.http(Request::get("/readyz").body(Body::empty()).expect("request")).await;
    assert_eq!(status, 200);
    let (status, body) = app.http(Request::get("/").body(Body::empty()).expect("request")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).to_lowercase().contains("graphiql"), "GraphiQL at / in development");
    // Unknown fields, wrong types and syntax errors are typed validation errors.
    for query in ["{ nope }", "{ users(first: \"ten\") { totalCount } }", "{ me { "] {
        let response = app.gql(None, query, json!({})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{query}: {response}");
    }
}

#[tokio::test]
async fn deep_queries_are_refused_as_too_complex() {
    let app = TestApp::spawn().await;
    // Introspection-only operations have a limit of their own (depth 32, issue 13):
    // 30 levels of ofType go past it.
    let mut query = String::from("{ __schema { types { fields { type ");
    for _ in 0..30 {
        query.push_str("{ ofType ");
    }
    query.push_str("{ name }");
    for _ in 0..30 {
        query.push_str(" }");
    }
    query.push_str(" } } } }");
    let response = app.gql(None, &query, json!({})).await;
    assert_eq!(response["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{response}");
}

#[tokio::test]
async fn production_mode_hides_graphiql_and_introspection() {
    let url = fresh_database_url().await;
    let mut config = Config::for_tests(&url);
    config.mode = licensedesk::config::Mode::Production;
    config.graphiql = false;
    config.introspection = false;
    let database = db::connect(&url).await.expect("connect");
    db::migrate(&database).await.expect("migrate");
    let state = licensedesk::state::AppState::with_system_clock(database, config, b"0123456789abcdef0123456789abcdef")
        .expect("state");
    let router = app::build_router(state);
    use tower::ServiceExt;
    let response =
        router.clone().oneshot(Request::get("/").body(Body::empty()).expect("request")).await.expect("response");
    assert_eq!(response.status(), 404, "no GraphiQL in production");
    let body = json!({"query": "{ __schema { types { name } } }"}).to_string();
    let response = router
        .oneshot(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
        .expect("response");
    use http_body_util::BodyExt;
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    // Refused with an error (issue 24: not a silent null); never a type list.
    assert!(value["data"]["__schema"].is_null(), "introspection is off: {value}");
    assert_eq!(value["errors"][0]["extensions"]["reason"], "INTROSPECTION_DISABLED", "{value}");
    assert!(!value.to_string().contains("\"types\""), "no type list: {value}");
}

/// Issue 2 §6: 50 concurrent writes all succeed (no "database is locked").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_writes_all_succeed() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let before = app.count("users").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let router = app.router.clone();
        let token = org.admin.clone();
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let body = json!({
                "query": "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                "variables": {"i": {"name": format!("Writer {i}"), "email": format!("writer{i}@example.test"), "password": PASSWORD}}
            })
            .to_string();
            let request = Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::from(body))
                .expect("request");
            let response = router.oneshot(request).await.expect("response");
            use http_body_util::BodyExt;
            let bytes = response.into_body().collect().await.expect("body").to_bytes();
            serde_json::from_slice::<Value>(&bytes).expect("json")
        }));
    }
    for task in tasks {
        let response = task.await.expect("task");
        assert!(response.get("errors").is_none(), "concurrent write failed: {response}");
    }
    assert_eq!(app.count("users").await, before + 50);
}

/// In development the generated secret is kept in the database, so a token
/// issued by one process still works after a restart (or on another instance).
#[tokio::test]
async fn development_secret_survives_a_restart() {
    let url = fresh_database_url().await;
    let database = db::connect(&url).await.expect("connect");
    db::migrate(&database).await.expect("migrate");
    let mut config = Config::for_tests(&url);
    config.jwt_secret = None;
    let first = licensedesk::state::resolve_secret(&database, &config).await.expect("secret");
    let reopened = db::connect(&url).await.expect("connect");
    let second = licensedesk::state::resolve_secret(&reopened, &config).await.expect("secret");
    assert_eq!(first, second);
    assert!(first.len() >= 32);
}

#[tokio::test]
async fn audit_log_records_user_creation() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let before = app.count("audit_events").await;
    app.user(&org, "Audited Person", &["LICENSE_ADMIN"]).await;
    assert_eq!(app.count("audit_events").await, before + 1, "R36: createUser writes one audit event");
}

#[tokio::test]
async fn engine_under_test_is_the_one_configured() {
    let app = TestApp::spawn().await;
    assert_eq!(db::is_postgres(&app.db), engine_is_postgres());
}

/// SPEC §10 RATE_LIMITED: repeated failed sign-ins for one address are refused for a while.
#[tokio::test]
async fn repeated_failed_logins_are_rate_limited() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let user = app.user(&org, "Target", &[]).await;
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    for _ in 0..licensedesk::auth::rate_limit::MAX_FAILURES {
        assert_eq!(app.err(None, q, json!({"e": user.email, "p": "wrong-password"})).await, "UNAUTHENTICATED");
    }
    assert_eq!(
        app.err(None, q, json!({"e": user.email, "p": PASSWORD})).await,
        "RATE_LIMITED",
        "even the right password waits"
    );
    assert_eq!(
        app.err(None, q, json!({"e": org.admin_id, "p": "x"})).await,
        "UNAUTHENTICATED",
        "other addresses are not affected"
    );
}

/// Issue 8 §5: a missing required variable is the client's mistake: VALIDATION_FAILED, not INTERNAL.
#[tokio::test]
async fn missing_required_variable_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    for (query, variables) in [
        ("query($id: ID!) { subscription(id: $id) { id } }", json!({})),
        ("query($id: ID!) { billingProfile(id: $id) { id } }", json!({"other": 1})),
        (
            "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { id } }",
            json!({"q": 3}),
        ),
    ] {
        let response = app.gql(Some(&org.admin), query, variables).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{query}: {response}");
        assert!(response["errors"][0]["extensions"]["requestId"].is_string(), "{response}");
    }
}

/// R23, R43, issue 23 (b): a search of one to three letters reads its page
/// and its total from the prefixes kept as people are saved. For every such
/// prefix of the people's names and e-mails, what is listed (in the
/// organization's name order, page by page) and the total are what
/// filtering all the people finds — after people are added, renamed,
/// deactivated (listed then only with includeDeactivated), reactivated and
/// deleted; and the prefixes rebuilt by the migration's backfill answer the
/// same.
#[tokio::test]
async fn r23_short_searches_list_and_count_what_a_scan_finds() {
    use entity::{search, user};
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};

    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let other = app.register_org("Northwind", "US").await;
    let mut people = Vec::new();
    for name in ["Anna Berg", "Anders Holm", "Ånder Mäki", "Bertil Ek", "Annika Lund", "Carl Anka", "Maria Marín"] {
        people.push(app.user(&org, name, &[]).await);
    }
    app.user(&other, "Anna Annat", &[]).await;
    let id_of = |i: usize| uuid::Uuid::parse_str(&people[i].id).expect("uuid");

    let check = |stage: &'static str| {
        let (app, org) = (&app, &org);
        async move {
            let everyone =
                "query($d: Boolean!) { users(first: 100, includeDeactivated: $d) { nodes { id name email } } }";
            let q = "query($s: String, $d: Boolean!, $a: String) { users(search: $s, includeDeactivated: $d, first: 2, after: $a) \
                     { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }";
            for deactivated in [false, true] {
                let all = app.ok(&org.admin, everyone, json!({"d": deactivated})).await;
                let all = all["users"]["nodes"].as_array().expect("nodes").clone();
                let terms_of = |person: &Value| {
                    let mut terms = search::name_terms(person["name"].as_str().unwrap_or_default());
                    terms.push(search::fold(person["email"].as_str().unwrap_or_default()));
                    terms
                };
                let mut prefixes: Vec<String> = all.iter().flat_map(|p| search::short_prefixes(&terms_of(p))).collect();
                prefixes.extend(["zq", "ann"].map(str::to_owned));
                prefixes.sort();
                prefixes.dedup();
                for prefix in prefixes {
                    let expected: Vec<&Value> = all
                        .iter()
                        .filter(|p| terms_of(p).iter().any(|t| t.starts_with(&prefix)))
                        .map(|p| &p["id"])
                        .collect();
                    let (mut listed, mut after) = (Vec::new(), None::<String>);
                    loop {
                        let page = app.ok(&org.admin, q, json!({"s": prefix, "d": deactivated, "a": after})).await;
                        let page = &page["users"];
                        assert_eq!(
                            page["totalCount"],
                            expected.len(),
                            "{stage}, {prefix:?}, deactivated {deactivated}"
                        );
                        listed.extend(page["nodes"].as_array().expect("nodes").iter().map(|n| n["id"].clone()));
                        if page["pageInfo"]["hasNextPage"] != true {
                            break;
                        }
                        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
                    }
                    let listed: Vec<&Value> = listed.iter().collect();
                    assert_eq!(
                        listed, expected,
                        "{stage}, {prefix:?}, deactivated {deactivated}: the same people in order"
                    );
                }
            }
        }
    };
    check("as created").await;

    // Renamed (as a directory sync does, through the user's save) and with a new e-mail.
    let renamed = user::Entity::find_by_id(id_of(0)).one(&app.db).await.expect("read").expect("user");
    let mut renamed: user::ActiveModel = renamed.into();
    renamed.name = Set("Zoë Quist".into());
    renamed.email = Set(format!("zq-{}@example.test", uuid::Uuid::new_v4().simple()));
    renamed.update(&app.db).await.expect("rename");
    let user_id = |i: usize| json!({"u": people[i].id});
    app.ok(&org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", user_id(1)).await;
    app.ok(&org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", user_id(2)).await;
    app.ok(&org.admin, "mutation($u: ID!) { deleteUser(userId: $u) { user { id } } }", user_id(4)).await;
    check("renamed, deactivated and deleted").await;

    app.ok(&org.admin, "mutation($u: ID!) { reactivateUser(userId: $u) { id } }", user_id(2)).await;
    check("reactivated").await;

    // The prefixes rebuilt from the search terms are the ones kept.
    let kept = entity::user_search_prefix_count::Entity::find().all(&app.db).await.expect("counts");
    migration::backfill_user_search_prefixes(&app.db).await.expect("backfill");
    let mut rebuilt = entity::user_search_prefix_count::Entity::find().all(&app.db).await.expect("counts");
    let key = |c: &entity::user_search_prefix_count::Model| (c.scope_id, c.prefix.clone());
    let mut kept: Vec<_> = kept.into_iter().filter(|c| c.listed != 0 || c.active != 0).collect();
    kept.sort_by_key(key);
    rebuilt.retain(|c| c.listed != 0 || c.active != 0);
    rebuilt.sort_by_key(key);
    assert_eq!(kept, rebuilt, "the counts kept at each save are the backfill's");
    check("after the backfill").await;
}
