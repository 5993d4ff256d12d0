//! Issue 24 item 1: Apollo automatic persisted queries over POST and GET,
//! `GET /graphql` for queries only with cache headers for per-user data, and
//! the trusted-document allow-list. On both engines.

use std::sync::Arc;

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use http_body_util::BodyExt;
use licensedesk::service::persisted_queries::{TrustedDocuments, sha256_hex};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{TestApp, fresh_database_url};

const MARKETS: &str = "query Markets { markets { market name } }";

fn apq(hash: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hash}})
}

/// Sends a request; returns status, headers and the JSON body.
async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.router.clone().oneshot(request).await.expect("router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{status}: {}", String::from_utf8_lossy(&bytes)));
    (status, headers, body)
}

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, HeaderMap, Value) {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    send(app, builder.body(Body::from(body.to_string())).expect("request")).await
}

async fn get(app: &TestApp, token: Option<&str>, params: &[(&str, String)]) -> (StatusCode, HeaderMap, Value) {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let mut builder = Request::get(format!("/graphql?{query}"));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    send(app, builder.body(Body::empty()).expect("request")).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn issue_24_apq_hash_unknown_then_registered_then_answered_by_another_instance() {
    let url = fresh_database_url().await;
    let a = TestApp::on_database(&url, crate::helpers::date(2026, 3, 1)).await;
    let b = TestApp::on_database(&url, crate::helpers::date(2026, 3, 1)).await;
    let hash = sha256_hex(MARKETS);
    // A hash the server has never seen: Apollo's standard answer, not a parser error.
    let (status, headers, body) = get(&b, None, &[("extensions", apq(&hash).to_string())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound", "{body}");
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(header(&headers, "cache-control"), "no-store");
    // The document with its hash (POST) runs and is registered.
    let (status, _, body) = post(&a, None, json!({"query": MARKETS, "extensions": apq(&hash)})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"]["markets"].as_array().is_some_and(|m| m.len() >= 10), "{body}");
    assert_eq!(a.count("persisted_queries").await, 1);
    // The other instance now answers the hash alone, over GET and POST.
    let (status, headers, body) = get(&b, None, &[("extensions", apq(&hash).to_string())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"]["markets"].is_array(), "{body}");
    assert!(header(&headers, "cache-control").starts_with("public, max-age="), "{headers:?}");
    let (_, _, body) = post(&b, None, json!({"extensions": apq(&hash.to_uppercase())})).await;
    assert!(body["data"]["markets"].is_array(), "{body}");
    // Registering again changes nothing.
    post(&b, None, json!({"query": MARKETS, "extensions": apq(&hash)})).await;
    assert_eq!(a.count("persisted_queries").await, 1);
}

#[tokio::test]
async fn issue_24_apq_refuses_a_wrong_hash_and_stores_only_documents_that_pass_the_pre_pass() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    // The hash of another text: refused, nothing stored.
    let (status, _, body) =
        post(&app, None, json!({"query": MARKETS, "extensions": apq(&sha256_hex("{ me { id } }"))})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["extensions"]["reason"], "PERSISTED_QUERY_HASH_MISMATCH", "{body}");
    let (_, _, body) =
        post(&app, None, json!({"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}})).await;
    assert_eq!(body["errors"][0]["extensions"]["reason"], "PERSISTED_QUERY_INVALID", "{body}");
    // Over the cost limit: refused by the pre-pass and never registered.
    let huge = format!(
        "{{ {} }}",
        (0..40).map(|i| format!("a{i}: users(first: 100) {{ nodes {{ id }} }}")).collect::<Vec<_>>().join(" ")
    );
    let (_, _, body) =
        post(&app, Some(&org.admin), json!({"query": huge, "extensions": apq(&sha256_hex(&huge))})).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(app.count("persisted_queries").await, 0);
    // A document registered by a signed-in admin, too large for an anonymous
    // caller: sent by hash alone, the pre-pass still runs on it (issue 12).
    let users = "{ users(first: 100) { nodes { id name } } }";
    let (_, _, body) =
        post(&app, Some(&org.admin), json!({"query": users, "extensions": apq(&sha256_hex(users))})).await;
    assert!(body["data"]["users"].is_object(), "{body}");
    let (_, headers, body) = get(&app, None, &[("extensions", apq(&sha256_hex(users)).to_string())]).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert_eq!(header(&headers, "cache-control"), "no-store");
}

#[tokio::test]
async fn issue_24_get_runs_queries_only_with_cache_headers_for_per_user_data() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    // Anonymous and public: cacheable by a shared cache.
    let (status, headers, body) = get(&app, None, &[("query", MARKETS.to_owned())]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"]["markets"].is_array(), "{body}");
    assert_eq!(header(&headers, "cache-control"), "public, max-age=60");
    assert!(header(&headers, "vary").contains("Authorization"), "{headers:?}");
    // A signed-in caller's answer: private, never stored by a shared cache.
    let (status, headers, body) = get(
        &app,
        Some(&org.admin),
        &[
            ("query", "query Me($n: Int) { me { email } users(first: $n) { nodes { id } } }".into()),
            ("variables", json!({"n": 1}).to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"]["me"]["email"].is_string(), "{body}");
    assert_eq!(header(&headers, "cache-control"), "private, no-cache");
    assert!(header(&headers, "vary").contains("Authorization"), "{headers:?}");
    // An answer with errors is not stored at all.
    let (_, headers, body) = get(&app, None, &[("query", "{ me { email } }".into())]).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(header(&headers, "cache-control"), "no-store");
    // A mutation over GET: 405 with Allow: POST, and it does not run.
    let before = app.count("users").await;
    let create = r#"mutation { createUser(input: {name: "G", email: "g@example.test", password: "correct-horse-battery"}) { id } }"#;
    let (status, headers, body) = get(&app, Some(&org.admin), &[("query", create.into())]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&headers, "allow"), "POST");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "MUTATION_OVER_GET", "{body}");
    // The mutation chosen by name out of a document with a query as well: refused too.
    let mixed = format!("query Q {{ __typename }} {}", create.replacen("mutation", "mutation M", 1));
    let (status, _, _) = get(&app, Some(&org.admin), &[("query", mixed.clone()), ("operationName", "M".into())]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _, body) = get(&app, Some(&org.admin), &[("query", mixed), ("operationName", "Q".into())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.count("users").await, before);
    // Malformed parameters are a typed error, not a crash.
    let (status, _, body) = get(&app, None, &[("query", MARKETS.into()), ("variables", "{nope".into())]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "VALIDATION_FAILED");
}

#[tokio::test]
async fn issue_24_trusted_documents_run_and_nothing_else_does() {
    let url = fresh_database_url().await;
    let list = TrustedDocuments::parse(&json!({ sha256_hex(MARKETS): MARKETS }).to_string()).expect("list");
    let app = TestApp::with_config(&url, |config| config.persisted.trusted = Some(Arc::new(list))).await;
    let hash = sha256_hex(MARKETS);
    // By hash alone (no registration needed) and by full text.
    let (_, _, body) = get(&app, None, &[("extensions", apq(&hash).to_string())]).await;
    assert!(body["data"]["markets"].is_array(), "{body}");
    let (_, _, body) = post(&app, None, json!({"query": MARKETS})).await;
    assert!(body["data"]["markets"].is_array(), "{body}");
    // Anything else is refused, by text or by hash, and nothing is registered.
    let other = "{ markets { market } }";
    let (_, _, body) = post(&app, None, json!({"query": other})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["reason"], "UNTRUSTED_DOCUMENT", "{body}");
    let (_, _, body) = post(&app, None, json!({"query": other, "extensions": apq(&sha256_hex(other))})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let (_, _, body) = get(&app, None, &[("extensions", apq(&sha256_hex(other)).to_string())]).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert_eq!(app.count("persisted_queries").await, 0);
}
