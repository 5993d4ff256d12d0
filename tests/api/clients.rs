//! Issue 13, clients where they are: GraphiQL served offline, the standard
//! introspection query, CORS, compression, signed PDF links, metrics, and an
//! invoice PDF in the reader's script and language (R32).

use std::{io::Read, sync::Arc};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::*;

/// The query `getIntrospectionQuery()` of graphql-js 16 builds (GraphiQL,
/// Python `gql`, code generators send it), word for word.
const INTROSPECTION: &str = include_str!("../fixtures/introspection.graphql");

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.expect("router");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, headers, bytes)
}

fn header_of<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A router on the same state with another configuration.
fn router_with(app: &TestApp, change: impl FnOnce(&mut licensedesk::config::Config)) -> Router {
    let mut state = app.state.clone();
    let mut config = (*state.config).clone();
    change(&mut config);
    state.config = Arc::new(config);
    licensedesk::app::build_router(state)
}

/// Issue 13 item 1: the standard introspection query (about 15 levels deep)
/// is answered in development mode, anonymously; the normal depth limit
/// still refuses the same depth when the operation asks for anything else.
#[tokio::test]
async fn standard_introspection_query_is_answered() {
    let app = TestApp::spawn().await;
    let response = app.gql(None, INTROSPECTION, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let schema = &response["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types = schema["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "Invoice"), "Invoice type listed");
    assert!(!schema["directives"].as_array().expect("directives").is_empty());

    // Same depth, but not introspection only: the limit of 12 applies to
    // every caller. Since the depth check is in the pre-pass (issue 19), an
    // anonymous caller is told so too, not asked to sign in (which would not help).
    let mixed = INTROSPECTION.replacen("__schema {", "me { name } __schema {", 1);
    let org = app.register_org("Depth", "SE").await;
    assert_eq!(app.err(Some(&org.admin), &mixed, json!({})).await, "QUERY_TOO_COMPLEX");
    assert_eq!(app.err(None, &mixed, json!({})).await, "QUERY_TOO_COMPLEX");

    // With introspection off (production), it is refused, not exempted.
    let router = router_with(&app, |c| c.introspection = false);
    let body = json!({"query": INTROSPECTION}).to_string();
    let request = Request::post("/graphql").header("content-type", "application/json").body(Body::from(body));
    let (_, _, bytes) = send(&router, request.expect("request")).await;
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    assert!(value["data"]["__schema"].is_null(), "introspection off: {value}");
    // Issue 24: and said so with an error, not a silent null.
    assert_eq!(value["errors"][0]["extensions"]["code"], "FORBIDDEN", "{value}");
    assert_eq!(value["errors"][0]["extensions"]["reason"], "INTROSPECTION_DISABLED", "{value}");
    // `__typename` is not schema introspection: it still answers.
    let body = json!({"query": "{ __typename }"}).to_string();
    let request = Request::post("/graphql").header("content-type", "application/json").body(Body::from(body));
    let (_, _, bytes) = send(&router, request.expect("request")).await;
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(value["data"]["__typename"], "Query", "{value}");
}

/// Issue 13 item 1: GraphiQL at `/` refers to nothing but its own assets,
/// which the binary serves (no CDN), with the Authorization header prefilled.
#[tokio::test]
async fn graphiql_page_loads_only_local_assets() {
    let app = TestApp::spawn().await;
    let (status, headers, bytes) = send(&app.router, Request::get("/").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&headers, "content-type").unwrap_or("").starts_with("text/html"));
    let page = String::from_utf8(bytes).expect("utf-8");
    assert!(page.contains("Authorization"), "header hint");
    // Issue 13: subscriptions run from the page over the WebSocket endpoint.
    assert!(page.contains("graphql-transport-ws") && page.contains("\"/graphql/ws\""), "subscription transport");
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"), "{page}");
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in page.split(attr).skip(1) {
            refs.push(part.split('"').next().unwrap_or("").to_owned());
        }
    }
    assert_eq!(refs.len(), 4, "{refs:?}");
    for path in refs {
        assert!(path.starts_with("/graphiql-assets/"), "{path}");
        let (status, headers, bytes) = send(&app.router, Request::get(&path).body(Body::empty()).expect("req")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(bytes.len() > 5_000, "{path}: {} bytes", bytes.len());
        let kind = header_of(&headers, "content-type").unwrap_or("");
        assert!(kind.starts_with("text/javascript") || kind.starts_with("text/css"), "{path}: {kind}");
    }
    // Off (production): no page.
    let router = router_with(&app, |c| c.graphiql = false);
    let (status, _, _) = send(&router, Request::get("/").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method("OPTIONS")
        .uri("/graphql")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .body(Body::empty())
        .expect("request")
}

/// Issue 13 item 2: CORS for the configured origins only; off by default.
#[tokio::test]
async fn cors_preflight_allows_configured_origins_only() {
    let app = TestApp::spawn().await;
    let router = router_with(&app, |c| {
        c.cors_allowed_origins = vec!["http://localhost:3000".into(), "https://console.example".into()];
    });
    for origin in ["http://localhost:3000", "https://console.example"] {
        let (status, headers, _) = send(&router, preflight(origin)).await;
        assert!(status.is_success(), "{origin}: {status}");
        assert_eq!(header_of(&headers, "access-control-allow-origin"), Some(origin));
        let allowed = header_of(&headers, "access-control-allow-headers").unwrap_or("").to_ascii_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
        assert!(header_of(&headers, "access-control-allow-methods").unwrap_or("").contains("POST"));
    }
    // A refused origin gets no permission.
    let (_, headers, _) = send(&router, preflight("http://evil.example")).await;
    assert_eq!(header_of(&headers, "access-control-allow-origin"), None);
    // The actual request from an allowed origin carries the header too.
    let request = Request::post("/graphql")
        .header("origin", "http://localhost:3000")
        .header("content-type", "application/json")
        .body(Body::from(json!({"query": "{ __typename }"}).to_string()))
        .expect("request");
    let (status, headers, _) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, "access-control-allow-origin"), Some("http://localhost:3000"));
    // Default configuration: no CORS at all.
    let (_, headers, _) = send(&app.router, preflight("http://localhost:3000")).await;
    assert_eq!(header_of(&headers, "access-control-allow-origin"), None);
}

/// Issue 13 item 2: gzip and brotli, chosen by Accept-Encoding.
#[tokio::test]
async fn responses_are_compressed_with_gzip_and_brotli() {
    let app = TestApp::spawn().await;
    let request = |encoding: Option<&str>| {
        let mut builder = Request::post("/graphql").header("content-type", "application/json");
        if let Some(encoding) = encoding {
            builder = builder.header("accept-encoding", encoding);
        }
        builder.body(Body::from(json!({"query": INTROSPECTION}).to_string())).expect("request")
    };
    let (_, headers, plain) = send(&app.router, request(None)).await;
    assert_eq!(header_of(&headers, "content-encoding"), None);
    let plain: Value = serde_json::from_slice(&plain).expect("json");

    let (_, headers, gzip) = send(&app.router, request(Some("gzip"))).await;
    assert_eq!(header_of(&headers, "content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(gzip.as_slice()).read_to_string(&mut text).expect("gunzip");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), plain);

    let (_, headers, br) = send(&app.router, request(Some("br"))).await;
    assert_eq!(header_of(&headers, "content-encoding"), Some("br"));
    let mut text = String::new();
    brotli::Decompressor::new(br.as_slice(), 4096).read_to_string(&mut text).expect("unbrotli");
    assert_eq!(serde_json::from_str::<Value>(&text).expect("json"), plain);
    let size = serde_json::to_vec(&plain).expect("json").len();
    assert!(br.len() * 5 < size && gzip.len() * 5 < size, "{size} bytes → gzip {}, br {}", gzip.len(), br.len());
}

/// A card invoice for April 2026 on a fresh shop's profile; returns (app, shop, invoice id).
async fn one_invoice() -> (TestApp, Shop, String) {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    let page = app.invoice_page(&shop.org.admin, json!({}), None, None).await;
    let id = page["edges"][0]["node"]["id"].as_str().expect("invoice id").to_owned();
    (app, shop, id)
}

async fn pdf_url(app: &TestApp, token: &str, id: &str) -> String {
    let data = app.ok(token, "query($i: ID!) { invoice(id: $i) { pdfUrl } }", json!({"i": id})).await;
    data["invoice"]["pdfUrl"].as_str().expect("pdfUrl").to_owned()
}

/// R32, issue 13 item 2: `pdfUrl` downloads without a token until it
/// expires; an altered or expired link is refused (403); the bearer path works.
#[tokio::test]
async fn r32_signed_pdf_link_valid_expired_and_tampered() {
    let (app, shop, id) = one_invoice().await;
    let absolute = pdf_url(&app, &shop.org.admin, &id).await;
    // Issue 24: absolute, from the configured public base URL.
    let base = &app.state.config.public_base_url;
    assert!(absolute.starts_with(&format!("{base}/invoices/{id}.pdf?expires=")), "{absolute}");
    let url = absolute[base.len()..].to_owned();
    let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("request");

    let (status, headers, bytes) = send(&app.router, get(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, "content-type"), Some("application/pdf"));
    assert!(bytes.starts_with(b"%PDF-"));

    // Tampered: another signature, another expiry, another invoice.
    let last = url.chars().last().expect("signature");
    let flipped = format!("{}{}", &url[..url.len() - 1], if last == '0' { '1' } else { '0' });
    assert_eq!(send(&app.router, get(&flipped)).await.0, StatusCode::FORBIDDEN);
    let expires: i64 =
        url.split("expires=").nth(1).and_then(|s| s.split('&').next()).and_then(|s| s.parse().ok()).expect("expires");
    let later = url.replace(&format!("expires={expires}"), &format!("expires={}", expires + 86_400));
    assert_eq!(send(&app.router, get(&later)).await.0, StatusCode::FORBIDDEN);
    let other = url.replace(&id, &uuid::Uuid::new_v4().to_string());
    assert_eq!(send(&app.router, get(&other)).await.0, StatusCode::FORBIDDEN);
    let unsigned = url.split('?').next().expect("path").to_owned();
    assert_eq!(send(&app.router, get(&unsigned)).await.0, StatusCode::UNAUTHORIZED, "no token, no signature");

    // Expired: 15 minutes later the same link no longer works.
    use licensedesk::clock::Clock;
    app.clock.set(app.clock.now() + chrono::Duration::seconds(app.state.config.pdf_link_ttl_seconds + 1));
    assert_eq!(send(&app.router, get(&url)).await.0, StatusCode::FORBIDDEN);
    // The bearer path still does.
    let request = Request::get(&unsigned).header("authorization", format!("Bearer {}", shop.org.admin));
    assert_eq!(send(&app.router, request.body(Body::empty()).expect("req")).await.0, StatusCode::OK);
}

/// R32, issue 13 item 6: the seller block, tax line, paid date and
/// subscription; Chinese and Nordic names print as written (no "?") and come
/// back out of the PDF; labels follow the reader's language when the profile's
/// country has none of ours, and the country's language otherwise.
#[tokio::test]
async fn r32_invoice_pdf_renders_chinese_and_nordic_names_in_the_right_language() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let admin = &shop.org.admin;
    app.ok(
        admin,
        "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id } }",
        json!({"id": shop.profile, "i": {"name": "台北辦公室", "contactName": "王小明 Åsa Ørsted", "poNumber": "採購-7781"}}),
    )
    .await;
    let sub = app.buy(admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.bill(date(2026, 4, 1)).await;
    let page = app.invoice_page(admin, json!({}), None, None).await;
    let id = page["edges"][0]["node"]["id"].as_str().expect("invoice id").to_owned();
    let url = pdf_url(&app, admin, &id).await;

    let request = Request::get(&url).header("accept-language", "zh-TW,zh;q=0.9").body(Body::empty()).expect("req");
    let (status, _, bytes) = send(&app.router, request).await;
    assert_eq!(status, StatusCode::OK);
    let text = PdfText::read(&bytes);
    for needle in [
        "台北辦公室",
        "王小明 Åsa Ørsted",
        "採購-7781",
        "發票 LD-000001",
        "賣方",
        "買方",
        "LicenseDesk AB",
        "SE556000000001",
        "付款日期",
        "2026年4月1日",
        "計費期間",
        "已付款",
        "稅額 0%",
        "總計",
        "Seat App",
        &sub[..8],
    ] {
        assert!(text.contains(needle), "{needle:?} missing from {}", text.text);
    }
    assert!(!text.contains("?"), "no replacement characters: {}", text.text);

    // English without an Accept-Language.
    let (_, _, bytes) = send(&app.router, Request::get(&url).body(Body::empty()).expect("req")).await;
    let text = PdfText::read(&bytes);
    assert!(text.contains("Invoice LD-000001") && text.contains("Paid on") && text.contains("Tax 0%"), "{}", text.text);

    // Issue 24 item 3: the profile's language chosen, Swedish words, dates and numbers.
    app.ok(
        admin,
        "mutation($id: ID!, $i: UpdateBillingProfileInput!) { updateBillingProfile(id: $id, input: $i) { id } }",
        json!({"id": shop.profile, "i": {"language": "sv"}}),
    )
    .await;
    let (_, _, bytes) = send(&app.router, Request::get(&url).body(Body::empty()).expect("req")).await;
    let text = PdfText::read(&bytes);
    for needle in
        ["Faktura LD-000001", "Faktureringsperiod", "mars 2026", "2026-04-01", "månadsperiod", "som slutar på"]
    {
        assert!(text.contains(needle), "{needle:?} missing from {}", text.text);
    }
    assert!(text.contains(",00 USD") && !text.contains(".00"), "Swedish amounts: {}", text.text);
}

/// Issue 13 item 5: Prometheus metrics count operations by name and outcome,
/// time them, and show the database pool.
#[tokio::test]
async fn metrics_count_operations_by_name_and_outcome() {
    let app = TestApp::spawn().await;
    app.gql(None, "query MetricsProbeOk { __typename }", json!({})).await;
    app.gql(None, "query MetricsProbeDenied { me { name } }", json!({})).await;
    let (status, headers, bytes) = send(&app.router, Request::get("/metrics").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("").starts_with("text/plain"));
    let text = String::from_utf8(bytes).expect("utf-8");
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle) || l.contains(needle));
    assert!(has(r#"licensedesk_graphql_requests_total{operation="MetricsProbeOk",outcome="ok"}"#), "{text}");
    assert!(
        has(r#"licensedesk_graphql_requests_total{operation="MetricsProbeDenied",outcome="UNAUTHENTICATED"}"#),
        "{text}"
    );
    assert!(
        has(r#"licensedesk_graphql_request_duration_seconds_bucket{operation="MetricsProbeOk",le="0.005"}"#),
        "{text}"
    );
    assert!(has(r#"licensedesk_http_requests_total{method="POST",route="/graphql",status="200"}"#), "{text}");
    assert!(has(r#"licensedesk_db_pool_connections{state="open"}"#), "{text}");
}

/// R23, issue 13 item 4: people are found by any word of the name or the
/// start of the e-mail, ignoring case and accents, on both engines; products
/// by any word of the name.
#[tokio::test]
async fn r23_search_matches_any_word_and_email_start_ignoring_case_and_accents() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Nordic", "SE").await;
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    for (name, email) in [
        ("Åsa Ørsted", "asa.o@nordic.test"),
        ("Émile Über", "emile@nordic.test"),
        ("Æbelø Jensen", "aebelo@nordic.test"),
        ("Ada Lovelace King", "countess@nordic.test"),
        ("王小明", "wang@nordic.test"),
    ] {
        app.ok(&org.admin, create, json!({"i": {"name": name, "email": email, "password": PASSWORD, "roles": []}}))
            .await;
    }
    let q = "query($s: String) { users(search: $s, first: 50) { totalCount nodes { name } } }";
    let names = |data: &Value| -> Vec<String> {
        let mut names: Vec<String> = data["users"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["name"].as_str().unwrap_or("").to_owned())
            .collect();
        names.sort();
        names
    };
    for (search, expected) in [
        ("ÅSA", vec!["Åsa Ørsted"]),
        ("asa", vec!["Åsa Ørsted"]),
        ("orst", vec!["Åsa Ørsted"]),
        ("Ørsted", vec!["Åsa Ørsted"]),
        ("emi", vec!["Émile Über"]),
        ("uber", vec!["Émile Über"]),
        ("ÜB", vec!["Émile Über"]),
        ("aebel", vec!["Æbelø Jensen"]),
        ("Æbelø", vec!["Æbelø Jensen"]),
        ("lovelace", vec!["Ada Lovelace King"]),
        ("lovelace k", vec!["Ada Lovelace King"]),
        ("king", vec!["Ada Lovelace King"]),
        ("countess@", vec!["Ada Lovelace King"]),
        ("王", vec!["王小明"]),
        ("wang@nordic", vec!["王小明"]),
        ("ovelace", vec![]),
        ("nordic.test", vec![]),
        ("%", vec![]),
    ] {
        let data = app.ok(&org.admin, q, json!({"s": search})).await;
        assert_eq!(names(&data), expected, "search {search:?}");
    }
    // Another organization's people are never found.
    let other = app.register_org("Other", "SE").await;
    let data = app.ok(&other.admin, q, json!({"s": "asa"})).await;
    assert_eq!(data["users"]["totalCount"], 0);

    // Products: any word of the name, accents ignored.
    let publisher = app.register_publisher("Öresund Soft").await;
    app.product(&publisher, "Ångström Analytics", "PER_LICENSE", &[("MONTHLY", "SEK", "10.00")], None, false).await;
    app.accept_agreement(&org.admin).await;
    let q = "query($s: String) { products(filter: {search: $s}) { totalCount nodes { name } } }";
    for search in ["angstrom", "ÅNGSTRÖM", "analytics", "Ångström Ana"] {
        let data = app.ok(&org.admin, q, json!({"s": search})).await;
        assert_eq!(data["products"]["nodes"][0]["name"], "Ångström Analytics", "search {search:?}: {data}");
    }
}
