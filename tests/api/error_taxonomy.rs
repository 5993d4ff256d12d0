//! Issue 19 item 4 ("one error taxonomy") and issue 24, tried from outside
//! through the HTTP router: INVALID_STATE answers carry `extensions.reason`
//! and say it in words in every language; NOT_FOUND names its noun in every
//! language; depth, recursion and fragment cycles are QUERY_TOO_COMPLEX from
//! the typed pre-pass; `/metrics` counts the code the response carries; and
//! the changes that used to be silent (a deleted user's licenses released, a
//! partner relationship ending auto-renew) reach live subscribers, webhooks
//! and the audit log (R36, R45).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, http::StatusCode, routing::post};
use futures::{SinkExt, StreamExt};
use licensedesk::{
    error::{AppError, EntityKind, StateReason},
    i18n::{self, Lang},
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::*;

/// Accept-Language values that pick each language.
const LANGUAGES: [(&str, Lang); 5] =
    [("en", Lang::En), ("sv-SE", Lang::Sv), ("da", Lang::Da), ("nl-NL", Lang::Nl), ("zh-TW", Lang::ZhTw)];

const ACTIVATE: &str = "mutation($s: ID!) { activateSubscription(subscriptionId: $s) { id } }";
const AUDIT: &str =
    "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { nodes { action objectId after } } }";

/// The single error of `response`.
fn only_error(response: &Value) -> &Value {
    let errors = response["errors"].as_array().unwrap_or_else(|| panic!("expected an error: {response}"));
    assert_eq!(errors.len(), 1, "{response}");
    &errors[0]
}

/// Sends `query` in every language and checks code, reason and wording.
async fn expect_state(app: &TestApp, token: &str, query: &str, vars: Value, reason: StateReason) {
    let before = app.count("audit_events").await;
    for (header, lang) in LANGUAGES {
        let response = app.gql_full(Some(token), query, vars.clone(), Some(header)).await;
        let error = only_error(&response);
        assert_eq!(error["extensions"]["code"], "INVALID_STATE", "{response}");
        assert_eq!(error["extensions"]["reason"], reason.code(), "{response}");
        let message = error["message"].as_str().expect("message");
        assert_eq!(message, i18n::message(&AppError::InvalidState { reason }, lang), "{header}");
        // Issue 24: in words, never the raw state.
        assert!(!message.contains(reason.code()), "{header}: {message}");
    }
    assert_eq!(app.count("audit_events").await, before, "a refusal changes nothing");
}

/// Issue 19, issue 24: INVALID_STATE carries `extensions.reason` (ACTIVE,
/// PENDING, IN_USE, LAST_GLOBAL_ADMIN…) and a message a person can act on, in
/// all five languages; the refusal changes nothing.
#[tokio::test]
async fn issue_19_invalid_state_carries_a_reason_and_says_it_in_words() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    // R14: activating an active subscription again.
    expect_state(&app, &shop.publisher.token, ACTIVATE, json!({"s": sub}), StateReason::SubscriptionActive).await;

    // R41: a payment method a profile still pays with cannot be removed.
    let profile = app
        .ok(
            &shop.org.admin,
            "query($id: ID!) { billingProfile(id: $id) { paymentMethod { id } } }",
            json!({"id": shop.profile}),
        )
        .await;
    let method = profile["billingProfile"]["paymentMethod"]["id"].as_str().expect("method").to_owned();
    let remove = "mutation($m: ID!) { removePaymentMethod(paymentMethodId: $m) { id } }";
    expect_state(&app, &shop.org.admin, remove, json!({"m": method}), StateReason::PaymentMethodInUse).await;

    // R43: the last global admin stays.
    let deactivate = "mutation($u: ID!) { deactivateUser(userId: $u) { id } }";
    expect_state(&app, &shop.org.admin, deactivate, json!({"u": shop.org.admin_id}), StateReason::LastGlobalAdmin)
        .await;

    // R39: a second request while one is pending.
    let partner = register_partner(&app, "Reseller").await;
    let request = "mutation($o: ID!) { requestPartnerRelationship(organizationId: $o) { id } }";
    app.ok(&partner, request, json!({"o": shop.org.id})).await;
    expect_state(&app, &partner, request, json!({"o": shop.org.id}), StateReason::RelationshipPending).await;
}

/// Issue 19: NOT_FOUND names what was not found in the caller's language,
/// for random and (mostly) malformed IDs alike (R3: both are simply unknown).
#[tokio::test]
async fn issue_19_not_found_is_translated_for_every_noun_a_client_can_ask_for() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Lookup", "SE").await;
    let publisher = app.register_publisher("Lookup Pub").await;
    let random = uuid::Uuid::new_v4().to_string();
    let cases: [(&str, &str, EntityKind); 6] = [
        (&org.admin, "query($id: ID!) { subscription(id: $id) { id } }", EntityKind::Subscription),
        (&org.admin, "query($id: ID!) { invoice(id: $id) { id } }", EntityKind::Invoice),
        (&org.admin, "query($id: ID!) { billingProfile(id: $id) { id } }", EntityKind::BillingProfile),
        (&org.admin, "query($id: ID!) { partnerRelationship(id: $id) { id } }", EntityKind::PartnerRelationship),
        (&org.admin, "query($id: ID!) { product(id: $id) { id } }", EntityKind::Product),
        (&publisher.token, "query($id: ID!) { webhookEndpoint(id: $id) { id } }", EntityKind::WebhookEndpoint),
    ];
    for (token, query, entity) in cases {
        // (billingProfile answers a malformed ID with VALIDATION_FAILED: left to its owner.)
        let ids: &[&str] =
            if entity == EntityKind::BillingProfile { &[random.as_str()] } else { &[random.as_str(), "not-an-id"] };
        for &id in ids {
            for (header, lang) in LANGUAGES {
                let response = app.gql_full(Some(token), query, json!({"id": id}), Some(header)).await;
                let error = only_error(&response);
                assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{query}: {response}");
                let expected = i18n::message(&AppError::NotFound { entity }, lang);
                assert_eq!(error["message"], expected.as_str(), "{query} {header}");
                if lang != Lang::En {
                    assert_ne!(
                        expected,
                        i18n::message(&AppError::NotFound { entity }, Lang::En),
                        "{entity:?} {header}"
                    );
                }
            }
        }
    }
}

/// `levels` fields nested in one another (any names: depth is checked
/// before validation), the innermost being `id`.
fn nested(levels: usize) -> String {
    format!("{{ {}id{} }}", "f { ".repeat(levels - 1), " }".repeat(levels - 1))
}

/// Issue 19: depth, recursion and fragment cycles are refused by the typed
/// pre-pass as QUERY_TOO_COMPLEX (localized), for anonymous and signed-in
/// callers, without async-graphql's English text being read anywhere.
#[tokio::test]
async fn issue_19_depth_recursion_and_cycles_are_query_too_complex_from_the_pre_pass() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Deep", "SE").await;
    let deep_fields = nested(13);
    let mut chain = String::from("query { ...F0 }\n");
    for i in 0..33 {
        chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
    }
    chain.push_str("fragment F33 on Query { __typename }\n");
    let cycle = "query { me { ...A } } fragment A on User { ...B } fragment B on User { id ...A }".to_owned();
    let deep_introspection =
        format!("{{ __schema {{ {}name{} }} }}", "types { ofType { ".repeat(17), " } }".repeat(17));
    for query in [&deep_fields, &chain, &cycle, &deep_introspection] {
        for token in [None, Some(org.admin.as_str())] {
            for (header, lang) in LANGUAGES {
                let response = app.gql_full(token, query, json!({}), Some(header)).await;
                let error = only_error(&response);
                assert_eq!(error["extensions"]["code"], "QUERY_TOO_COMPLEX", "{query}: {response}");
                let too_complex = AppError::too_complex(licensedesk::error::ComplexityLimit::Depth, 0u64, 0u64);
                assert_eq!(error["message"], i18n::message(&too_complex, lang).as_str());
                // Issue 24: which limit, and the figures, in `extensions`.
                let reason = error["extensions"]["reason"].as_str().unwrap_or("");
                assert!(
                    ["TOO_DEEP", "RECURSION", "NESTED_TOO_DEEP", "TOO_MANY_FIELDS"].contains(&reason),
                    "{response}"
                );
                assert!(error["extensions"]["limit"].is_u64(), "{response}");
            }
        }
    }
    // At the limit the pre-pass lets it through (validation then judges the fields).
    let response = app.gql(Some(&org.admin), &nested(12), json!({})).await;
    assert_eq!(only_error(&response)["extensions"]["code"], "VALIDATION_FAILED", "{response}");
}

/// Issue 19: audit actions are a closed set; filtering the log by one that
/// does not exist is a typed VALIDATION_FAILED on `filter.action`, not a
/// silently empty page.
#[tokio::test]
async fn issue_19_an_unknown_audit_action_filter_is_refused() {
    let app = TestApp::spawn().await;
    let org = app.register_org("Audited", "SE").await;
    let response = app.gql(Some(&org.admin), AUDIT, json!({"f": {"action": "user.creat"}})).await;
    let error = only_error(&response);
    assert_eq!(error["extensions"]["code"], "VALIDATION_FAILED", "{response}");
    assert_eq!(error["extensions"]["field"], "filter.action", "{response}");
    let data = app.ok(&org.admin, AUDIT, json!({"f": {"action": "organization.register"}})).await;
    assert_eq!(data["auditEvents"]["nodes"].as_array().map(Vec::len), Some(1), "{data}");
}

/// Issue 19: `/metrics` counts the code the response carries (one
/// classifier), for resolver errors and for async-graphql's own.
#[tokio::test]
async fn issue_19_metrics_count_the_code_the_response_carries() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let probes: [(&str, &str, Value); 4] = [
        (
            "TaxonomyState",
            "mutation TaxonomyState($s: ID!) { activateSubscription(subscriptionId: $s) { id } }",
            json!({"s": sub}),
        ),
        ("TaxonomyNotFound", "query TaxonomyNotFound($s: ID!) { subscription(id: $s) { id } }", json!({"s": "nope"})),
        ("TaxonomyUnknownField", "query TaxonomyUnknownField { me { nope } }", json!({})),
        (
            "TaxonomyBadVariable",
            "query TaxonomyBadVariable($f: Int) { users(first: $f) { totalCount } }",
            json!({"f": "ten"}),
        ),
    ];
    let mut seen = Vec::new();
    for (name, query, vars) in probes {
        let token = if name == "TaxonomyState" { &shop.publisher.token } else { &shop.org.admin };
        let response = app.gql(Some(token), query, vars).await;
        let code = only_error(&response)["extensions"]["code"].as_str().expect("code").to_owned();
        seen.push((name, code));
    }
    assert_eq!(seen[0].1, "INVALID_STATE");
    assert_eq!(seen[1].1, "NOT_FOUND");
    assert_eq!(seen[2].1, "VALIDATION_FAILED");
    assert_eq!(seen[3].1, "VALIDATION_FAILED");
    let request = axum::http::Request::get("/metrics").body(axum::body::Body::empty()).expect("request");
    let (status, body) = app.http(request).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).expect("utf-8");
    for (name, code) in &seen {
        let line = format!(r#"licensedesk_graphql_requests_total{{operation="{name}",outcome="{code}"}}"#);
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
}

// ---- Events that used to be silent (R36, R45) ----

async fn register_partner(app: &TestApp, name: &str) -> String {
    let email = format!("partner-{}@partner.test", uuid::Uuid::new_v4().simple());
    let data = app
        .ok_anon(
            "mutation($i: RegisterPartnerInput!) { registerPartner(input: $i) { token } }",
            json!({"i": {"partnerName": name, "country": "US", "name": format!("{name} Admin"), "email": email, "password": PASSWORD}}),
        )
        .await;
    data["registerPartner"]["token"].as_str().expect("token").to_owned()
}

/// A webhook receiver that records each event's type and data (signatures
/// are `events.rs`'s subject).
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, Value)>>>);

impl Received {
    fn find(&self, event_type: &str, subscription: &str) -> Option<Value> {
        let log = self.0.lock().expect("log");
        log.iter().find(|(t, d)| t == event_type && d["subscriptionId"] == subscription).map(|(_, d)| d.clone())
    }
}

async fn webhook_receiver(app: &TestApp, publisher: &Person, types: &[&str]) -> Received {
    let received = Received::default();
    let log = received.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().route(
        "/hook",
        post(move |body: Bytes| {
            let log = log.clone();
            async move {
                let event: Value = serde_json::from_slice(&body).expect("JSON body");
                let kind = event["type"].as_str().unwrap_or_default().to_owned();
                log.0.lock().expect("log").push((kind, event["data"].clone()));
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    app.ok(
        &publisher.token,
        "mutation($u: String!, $t: [EventType!]!) { createWebhookEndpoint(url: $u, eventTypes: $t) { secret } }",
        json!({"u": format!("http://{addr}/hook"), "t": types}),
    )
    .await;
    received
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

async fn next_json(ws: &mut Ws, limit: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(limit, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

/// A live subscriber signed in with `token`, subscribed to `query`.
async fn live(addr: SocketAddr, token: &str, query: &str) -> Ws {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().expect("request");
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.expect("init");
    let ack = next_json(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(ack.as_ref().map(|a| a["type"].clone()), Some(json!("connection_ack")), "{ack:?}");
    let message = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(message.to_string())).await.expect("subscribe");
    ws
}

/// The first live event whose `field` has type `event_type`.
async fn live_event(ws: &mut Ws, field: &str, event_type: &str) -> Value {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Some(message) = next_json(ws, Duration::from_secs(10)).await {
            let event = &message["payload"]["data"][field];
            if event["type"] == event_type {
                return event.clone();
            }
        }
    }
    panic!("no {event_type} on {field}");
}

async fn wait_for_webhook(received: &Received, event_type: &str, subscription: &str) -> Value {
    let started = Instant::now();
    loop {
        if let Some(data) = received.find(event_type, subscription) {
            return data;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no {event_type} webhook for {subscription}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 19, R43, R45: deleting a user who holds a license releases it with
/// LICENSES_UNASSIGNED: the console's live feed, the publisher's webhook and
/// the audit log all hear of it (it used to be silent).
#[tokio::test]
async fn issue_19_deleting_a_license_holder_reaches_live_subscribers_webhooks_and_the_audit_log() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let holder = app.user(&shop.org, "Hal Holder", &[]).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": sub, "u": [holder.id]}),
    )
    .await;
    let received = webhook_receiver(&app, &shop.publisher, &["LICENSES_UNASSIGNED"]).await;
    let tasks = licensedesk::workers::start(&app.state);
    let addr = serve(&app).await;
    let mut console = live(addr, &shop.org.admin, "subscription { licensesChanged { type objectId data } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let deleted = app
        .ok(
            &shop.org.admin,
            "mutation($u: ID!) { deleteUser(userId: $u) { releasedLicenseSubscriptionIds } }",
            json!({"u": holder.id}),
        )
        .await;
    assert_eq!(deleted["deleteUser"]["releasedLicenseSubscriptionIds"], json!([sub]));

    let event = live_event(&mut console, "licensesChanged", "LICENSES_UNASSIGNED").await;
    assert_eq!(event["objectId"], sub.as_str());
    assert_eq!(event["data"]["assigned"], 0, "the console's count is current: {event}");
    let hook = wait_for_webhook(&received, "LICENSES_UNASSIGNED", &sub).await;
    assert_eq!(hook["assigned"], 0, "the publisher's count is current: {hook}");
    let audit = app.ok(&shop.org.admin, AUDIT, json!({"f": {"objectId": sub}})).await;
    let actions: Vec<&str> =
        audit["auditEvents"]["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["action"].as_str()).collect();
    assert!(actions.contains(&"subscription.release_license"), "{actions:?}");
    tasks.tail.abort();
    if let Some(worker) = tasks.worker {
        worker.abort();
    }
}

/// Issue 19, R39, R36, R45: ending a partner relationship turns auto-renew
/// off on what the partner bought; each subscription gets an audit entry in
/// the customer's log and SUBSCRIPTION_AUTO_RENEW_CHANGED reaches the
/// publisher's webhook and the customer's live feed.
#[tokio::test]
async fn issue_19_ending_a_partner_relationship_audits_and_announces_auto_renew_off() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let partner = register_partner(&app, "Reseller").await;
    let partner_profile = app.billing_profile(&partner, "US", Some(CARD_OK)).await;
    let rel = app
        .ok(
            &partner,
            "mutation($o: ID!) { requestPartnerRelationship(organizationId: $o) { id } }",
            json!({"o": shop.org.id}),
        )
        .await["requestPartnerRelationship"]["id"]
        .as_str()
        .expect("relationship")
        .to_owned();
    app.ok(&shop.org.admin, "mutation($id: ID!) { approvePartnerRelationship(id: $id) { id } }", json!({"id": rel}))
        .await;
    let input = json!({"organizationId": shop.org.id, "productId": shop.per_license, "term": "MONTHLY",
        "quantity": 2, "billingProfileId": partner_profile});
    let bought = app
        .ok(
            &partner,
            "mutation($i: PurchaseForCustomerInput!) { purchaseForCustomer(input: $i) { id autoRenew } }",
            json!({"i": input}),
        )
        .await;
    let sub = bought["purchaseForCustomer"]["id"].as_str().expect("subscription").to_owned();
    assert_eq!(bought["purchaseForCustomer"]["autoRenew"], true);

    let received = webhook_receiver(&app, &shop.publisher, &["SUBSCRIPTION_AUTO_RENEW_CHANGED"]).await;
    let tasks = licensedesk::workers::start(&app.state);
    let addr = serve(&app).await;
    let mut console = live(addr, &shop.org.admin, "subscription { subscriptionEvents { type objectId data } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.ok(&shop.org.admin, "mutation($id: ID!) { endPartnerRelationship(id: $id) { status } }", json!({"id": rel}))
        .await;

    let event = live_event(&mut console, "subscriptionEvents", "SUBSCRIPTION_AUTO_RENEW_CHANGED").await;
    assert_eq!(event["objectId"], sub.as_str());
    assert_eq!(event["data"]["autoRenew"], false, "{event}");
    let hook = wait_for_webhook(&received, "SUBSCRIPTION_AUTO_RENEW_CHANGED", &sub).await;
    assert_eq!(hook["autoRenew"], false, "the publisher's view is current: {hook}");
    let audit = app.ok(&shop.org.admin, AUDIT, json!({"f": {"objectId": sub}})).await;
    let entry = audit["auditEvents"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["action"] == "subscription.auto_renew_off_partner_ended")
        .cloned()
        .unwrap_or_else(|| panic!("R36: no audit entry for the auto-renew change: {audit}"));
    assert!(entry["after"].to_string().contains("PARTNER_RELATIONSHIP_ENDED"), "{entry}");
    tasks.tail.abort();
    if let Some(worker) = tasks.worker {
        worker.abort();
    }
}
