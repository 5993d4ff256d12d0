//! R45 (events), R37 (events filtered like queries): the outbox, signed and
//! retried publisher webhooks, live GraphQL subscriptions across instances.

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, routing::post};
use futures::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
use uuid::Uuid;

use crate::helpers::*;

const PUBLISHER_TYPES: &[&str] = &[
    "SUBSCRIPTION_PURCHASED",
    "SUBSCRIPTION_ACTIVATED",
    "SUBSCRIPTION_QUANTITY_CHANGED",
    "LICENSES_ASSIGNED",
    "LICENSES_UNASSIGNED",
    "SUBSCRIPTION_AUTO_RENEW_CHANGED",
    "SUBSCRIPTION_RENEWED",
    "SUBSCRIPTION_CANCELED",
    "SUBSCRIPTION_EXPIRED",
    "SUBSCRIPTION_DISABLED_FOR_PAYMENT",
];

async fn outbox(app: &TestApp) -> Vec<entity::outbox_event::Model> {
    entity::outbox_event::Entity::find()
        .order_by_asc(entity::outbox_event::Column::Seq)
        .all(&app.db)
        .await
        .expect("outbox")
}

async fn assign(app: &TestApp, token: &str, sub: &str, users: &[&str]) {
    app.ok(
        token,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": sub, "u": users}),
    )
    .await;
}

async fn change_quantity(app: &TestApp, token: &str, sub: &str, quantity: i64) {
    app.ok(
        token,
        "mutation($s: ID!, $q: Int!) { changeLicenseQuantity(subscriptionId: $s, quantity: $q) { id } }",
        json!({"s": sub, "q": quantity}),
    )
    .await;
}

#[tokio::test]
async fn changes_write_their_event_in_the_same_transaction_without_billing_data_for_publishers() {
    // R45: one event per change, written with it; R37: the publisher payload holds no billing data.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    change_quantity(&app, &shop.org.admin, &sub, 8).await;
    let user = app.user(&shop.org, "Lee", &[]).await;
    assign(&app, &shop.org.admin, &sub, &[&user.id]).await;
    let other_profile = app.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }",
        json!({"s": sub, "p": other_profile}),
    )
    .await;
    // A change that fails writes no event.
    let before = app.count("outbox_events").await;
    let code = app
        .err(
            Some(&shop.org.admin),
            "mutation($s: ID!) { changeLicenseQuantity(subscriptionId: $s, quantity: 0) { id } }",
            json!({"s": sub}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(app.count("outbox_events").await, before);

    let rows = outbox(&app).await;
    let types: Vec<&str> = rows.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "SUBSCRIPTION_PURCHASED",
            "SUBSCRIPTION_ACTIVATED",
            "SUBSCRIPTION_QUANTITY_CHANGED",
            "LICENSES_ASSIGNED",
            "SUBSCRIPTION_BILLING_PROFILE_CHANGED"
        ]
    );
    let sub_id = Uuid::parse_str(&sub).expect("uuid");
    for row in &rows[..4] {
        assert!(!row.billing && row.publisher_id.is_some(), "{row:?}");
        assert_eq!(row.subscription_id, Some(sub_id));
        let payload: Value = serde_json::from_str(&row.payload).expect("json");
        assert_eq!(payload["customerOrganizationName"], "Contoso");
        assert_eq!(payload["product"]["name"], "Seat App");
        for secret in ["billingProfileId", "purchaser", "unitPrice", "unitPriceMinor", "card"] {
            assert!(!row.payload.contains(secret), "{secret} in {}", row.payload);
        }
        assert!(!row.payload.contains(&shop.profile) && !row.payload.contains(&other_profile));
    }
    assert_eq!(serde_json::from_str::<Value>(&rows[2].payload).expect("json")["quantity"], 8);
    assert_eq!(rows[3].user_ids, json!([user.id]).to_string());
    // The billing-profile change is a billing event: no publisher.
    assert!(rows[4].billing && rows[4].publisher_id.is_none());

    // The billing run's invoice is a billing event for consoles only.
    app.bill(date(2026, 4, 1)).await;
    let invoices: Vec<_> = outbox(&app).await.into_iter().filter(|e| e.object_type == "invoice").collect();
    assert!(!invoices.is_empty());
    assert!(invoices.iter().all(|e| e.billing && e.publisher_id.is_none()));
    assert!(invoices.iter().any(|e| e.event_type == "INVOICE_ISSUED"));
}

const CREATE: &str = "mutation($u: String!, $t: [EventType!]!) { createWebhookEndpoint(url: $u, eventTypes: $t) { secret endpoint { id url eventTypes enabled } } }";

#[tokio::test]
async fn webhook_endpoints_belong_to_their_publisher_only() {
    // R45, R3: only the publisher's own endpoints; others answer NOT_FOUND.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let rival = app.register_publisher("Rival").await;
    let data = app
        .ok(&shop.publisher.token, CREATE, json!({"u": "https://hooks.example.com/ld", "t": ["SUBSCRIPTION_CANCELED"]}))
        .await;
    let created = &data["createWebhookEndpoint"];
    let id = created["endpoint"]["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 40);
    // The secret is never readable again.
    let listed = app.ok(&shop.publisher.token, "{ webhookEndpoints { id url eventTypes enabled } }", json!({})).await;
    assert_eq!(listed["webhookEndpoints"].as_array().map(Vec::len), Some(1));
    assert!(!listed.to_string().contains(&secret));
    let audit = app.count("audit_events").await;
    assert!(audit > 0);

    let rotate = "mutation($e: ID!) { rotateWebhookSecret(endpointId: $e) { secret } }";
    let rotated = app.ok(&shop.publisher.token, rotate, json!({"e": id})).await;
    assert_ne!(rotated["rotateWebhookSecret"]["secret"].as_str(), Some(secret.as_str()));

    for (query, vars) in [
        (rotate, json!({"e": id})),
        ("mutation($e: ID!) { setWebhookEndpointEnabled(endpointId: $e, enabled: false) { id } }", json!({"e": id})),
        ("mutation($e: ID!) { deleteWebhookEndpoint(endpointId: $e) }", json!({"e": id})),
        ("query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount } }", json!({"e": id})),
        ("query($e: ID!) { webhookEndpoint(id: $e) { id } }", json!({"e": id})),
    ] {
        assert_eq!(app.err(Some(&rival.token), query, vars.clone()).await, "NOT_FOUND", "{query}");
        assert_eq!(app.err(Some(&shop.org.admin), query, vars).await, "NOT_FOUND", "{query}");
    }
    let rival_list = app.ok(&rival.token, "{ webhookEndpoints { id } }", json!({})).await;
    assert_eq!(rival_list["webhookEndpoints"], json!([]));
    // Org users do not register endpoints; bad URLs and billing events are refused.
    let forbidden = app
        .err(Some(&shop.org.admin), CREATE, json!({"u": "https://x.example.com", "t": ["SUBSCRIPTION_CANCELED"]}))
        .await;
    assert_eq!(forbidden, "FORBIDDEN");
    for (url, types) in [
        ("ftp://hooks.example.com/", json!(["SUBSCRIPTION_CANCELED"])),
        ("not a url", json!(["SUBSCRIPTION_CANCELED"])),
        ("https://hooks.example.com/", json!(["INVOICE_ISSUED"])),
    ] {
        let response = app.gql(Some(&shop.publisher.token), CREATE, json!({"u": url, "t": types})).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION_FAILED", "{url}: {response}");
    }
    // Issue 24: an empty list means every event a publisher may receive, as
    // the schema documents (no billing events among them).
    let all = app.ok(&shop.publisher.token, CREATE, json!({"u": "https://all.example.com/", "t": []})).await;
    let types = all["createWebhookEndpoint"]["endpoint"]["eventTypes"].as_array().cloned().unwrap_or_default();
    assert!(types.contains(&json!("SUBSCRIPTION_CANCELED")) && types.len() >= 5, "{all}");
    assert!(!types.contains(&json!("INVOICE_ISSUED")), "{all}");
    let all_id = all["createWebhookEndpoint"]["endpoint"]["id"].clone();
    app.ok(&shop.publisher.token, "mutation($e: ID!) { deleteWebhookEndpoint(endpointId: $e) }", json!({"e": all_id}))
        .await;

    let disabled = app
        .ok(
            &shop.publisher.token,
            "mutation($e: ID!) { setWebhookEndpointEnabled(endpointId: $e, enabled: false) { enabled } }",
            json!({"e": id}),
        )
        .await;
    assert_eq!(disabled["setWebhookEndpointEnabled"]["enabled"], false);
    app.ok(&shop.publisher.token, "mutation($e: ID!) { deleteWebhookEndpoint(endpointId: $e) }", json!({"e": id}))
        .await;
    assert_eq!(app.count("webhook_endpoints").await, 0);
}

/// A local receiver: answers 500 to the first `fail_first` requests (or hangs
/// while `hang` is set), then 200; records what it acknowledged.
#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<AtomicUsize>,
    fail_first: usize,
    hang_first: bool,
    acknowledged: Arc<Mutex<Vec<(String, String, i64)>>>,
    bad_signatures: Arc<AtomicUsize>,
    secret: Arc<Mutex<String>>,
}

fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((t, v1)) = header.split_once(",v1=") else { return false };
    let Some(t) = t.strip_prefix("t=") else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(expected) = hex::decode(v1) else { return false };
    mac.verify_slice(&expected).is_ok()
}

async fn receive(receiver: Receiver, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = receiver.requests.fetch_add(1, Ordering::SeqCst);
    if receiver.hang_first && n == 0 {
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
    if n < receiver.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let signature = headers.get("signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let secret = receiver.secret.lock().expect("secret").clone();
    if !verify(&secret, signature, &body) {
        receiver.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return StatusCode::BAD_REQUEST;
    }
    let event: Value = serde_json::from_slice(&body).expect("JSON body");
    let id = event["id"].as_str().expect("id").to_owned();
    let sub = event["data"]["subscriptionId"].as_str().unwrap_or_default().to_owned();
    let quantity = event["data"]["quantity"].as_i64().unwrap_or(-1);
    assert!(event["type"].is_string() && event["createdAt"].is_string());
    receiver.acknowledged.lock().expect("log").push((id, sub, quantity));
    StatusCode::OK
}

async fn serve_receiver(receiver: Receiver) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new()
        .route("/hook", post(move |headers: HeaderMap, body: Bytes| receive(receiver.clone(), headers, body)));
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

async fn register_receiver(app: &TestApp, publisher: &Person, addr: SocketAddr, receiver: &Receiver) -> String {
    let data =
        app.ok(&publisher.token, CREATE, json!({"u": format!("http://{addr}/hook"), "t": PUBLISHER_TYPES})).await;
    *receiver.secret.lock().expect("secret") =
        data["createWebhookEndpoint"]["secret"].as_str().expect("secret").to_owned();
    data["createWebhookEndpoint"]["endpoint"]["id"].as_str().expect("id").to_owned()
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_receiver_that_fails_then_recovers_gets_every_event_once_in_order_and_signed() {
    // R45: signed, retried with backoff, in order per subscription, each event ID acknowledged once.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let receiver = Receiver { fail_first: 4, ..Default::default() };
    let addr = serve_receiver(receiver.clone()).await;
    let endpoint = register_receiver(&app, &shop.publisher, addr, &receiver).await;
    let tasks = licensedesk::workers::start(&app.state);

    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    for quantity in [6, 7, 8] {
        change_quantity(&app, &shop.org.admin, &sub, quantity).await;
    }
    let other = app.buy(&shop.org.admin, &shop.flat, "MONTHLY", None, &shop.profile).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!) { cancelSubscription(subscriptionId: $s, reason: OTHER) { id } }",
        json!({"s": other}),
    )
    .await;

    let expected: Vec<entity::outbox_event::Model> =
        outbox(&app).await.into_iter().filter(|e| e.publisher_id.is_some()).collect();
    assert_eq!(expected.len(), 7);
    let log = receiver.acknowledged.clone();
    wait_for("every event", Duration::from_secs(20), || log.lock().expect("log").len() >= expected.len()).await;
    // Give a duplicate a chance to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acknowledged = receiver.acknowledged.lock().expect("log").clone();
    let ids: Vec<&str> = acknowledged.iter().map(|(id, _, _)| id.as_str()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "an event was acknowledged twice: {ids:?}");
    let wanted: HashSet<String> = expected.iter().map(|e| e.id.to_string()).collect();
    assert_eq!(unique.into_iter().map(str::to_owned).collect::<HashSet<_>>(), wanted);
    assert_eq!(receiver.bad_signatures.load(Ordering::SeqCst), 0);
    assert!(receiver.requests.load(Ordering::SeqCst) >= expected.len() + 4);
    // In order per subscription: the quantities of `sub` arrive as they were set.
    let quantities: Vec<i64> = acknowledged.iter().filter(|(_, s, _)| *s == sub).map(|(_, _, q)| q).copied().collect();
    assert_eq!(quantities, [5, 5, 6, 7, 8]);
    let mut arrived: HashMap<String, Vec<String>> = HashMap::new();
    for (id, s, _) in &acknowledged {
        arrived.entry(s.clone()).or_default().push(id.clone());
    }
    let mut written: HashMap<String, Vec<String>> = HashMap::new();
    for e in &expected {
        written.entry(e.subscription_id.map(|s| s.to_string()).unwrap_or_default()).or_default().push(e.id.to_string());
    }
    assert_eq!(arrived, written, "per subscription, events arrive in the order they were written");

    // The delivery log shows the retries; a redelivery sends the same ID again.
    let log = app
        .ok(
            &shop.publisher.token,
            "query($e: ID!) { webhookDeliveries(endpointId: $e, first: 50) { totalCount nodes { eventId status attempts lastStatusCode } } }",
            json!({"e": endpoint}),
        )
        .await;
    let nodes = log["webhookDeliveries"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(log["webhookDeliveries"]["totalCount"], 7);
    assert!(nodes.iter().all(|n| n["status"] == "DELIVERED" && n["lastStatusCode"] == 200));
    assert!(nodes.iter().any(|n| n["attempts"].as_i64() > Some(1)));
    let first_event = expected[0].id.to_string();
    app.ok(
        &shop.publisher.token,
        "mutation($e: ID!, $v: ID!) { redeliverWebhookEvent(endpointId: $e, eventId: $v) { status } }",
        json!({"e": endpoint, "v": first_event}),
    )
    .await;
    let log = receiver.acknowledged.clone();
    wait_for("the redelivery", Duration::from_secs(10), || log.lock().expect("log").len() > expected.len()).await;
    assert_eq!(receiver.acknowledged.lock().expect("log").last().map(|(id, _, _)| id.clone()), Some(first_event));
    tasks.tail.abort();
    if let Some(worker) = tasks.worker {
        worker.abort();
    }
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_loses_nothing() {
    // R45: at least once — a delivery whose worker died is sent again, same event ID.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let receiver = Receiver { hang_first: true, ..Default::default() };
    let addr = serve_receiver(receiver.clone()).await;
    register_receiver(&app, &shop.publisher, addr, &receiver).await;
    let worker = tokio::spawn(licensedesk::workers::delivery::run_worker(app.state.clone()));
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    let requests = receiver.requests.clone();
    wait_for("the first attempt", Duration::from_secs(10), || requests.load(Ordering::SeqCst) >= 1).await;
    worker.abort();
    let _ = worker.await;
    // A fresh worker (another instance, or this one restarted) takes over once the lease ends.
    let worker = tokio::spawn(licensedesk::workers::delivery::run_worker(app.state.clone()));
    let log = receiver.acknowledged.clone();
    wait_for("the delivery after the crash", Duration::from_secs(20), || !log.lock().expect("log").is_empty()).await;
    let acknowledged = receiver.acknowledged.lock().expect("log").clone();
    let event = outbox(&app).await.into_iter().next().expect("event");
    assert_eq!(acknowledged.len(), 1);
    assert_eq!(acknowledged[0].0, event.id.to_string());
    assert_eq!(acknowledged[0].1, sub);
    worker.abort();
}

// ---- Live subscriptions over WebSocket ----

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn serve_instance(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    addr
}

pub(crate) async fn ws_connect(addr: SocketAddr, token: &str) -> Result<Ws, String> {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().expect("request");
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| e.to_string())?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::text(init.to_string())).await.map_err(|e| e.to_string())?;
    match next_json(&mut ws, Duration::from_secs(5)).await {
        Some(v) if v["type"] == "connection_ack" => Ok(ws),
        other => Err(format!("no ack: {other:?}")),
    }
}

pub(crate) async fn next_json(ws: &mut Ws, limit: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(limit, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

pub(crate) async fn subscribe(ws: &mut Ws, id: &str, query: &str) {
    let message = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(message.to_string())).await.expect("subscribe");
}

#[tokio::test]
async fn a_change_on_one_instance_reaches_a_websocket_subscriber_on_another_within_a_second() {
    // R45: fan-out across instances (LISTEN/NOTIFY on PostgreSQL, outbox polling on SQLite);
    // R37: each subscriber only gets what its queries would show.
    let one = TestApp::spawn().await;
    let two = TestApp::on_database(&one.database_url, date(2026, 3, 1)).await;
    let shop = one.shop().await;
    let sub = one.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    one.activate(&shop.publisher, &sub).await;
    let license_admin = one.user(&shop.org, "Lia", &["LICENSE_ADMIN"]).await;
    let member = one.user(&shop.org, "Mo", &[]).await;
    let stranger = one.register_org("Northwind", "US").await;

    let tasks = licensedesk::workers::start(&two.state);
    let addr = serve_instance(&two).await;
    assert!(ws_connect(addr, "not-a-token").await.is_err(), "a bad token is refused at connection_init");

    let mut admin = ws_connect(addr, &shop.org.admin).await.expect("admin connects");
    subscribe(&mut admin, "l", "subscription { licensesChanged { id type objectId data } }").await;
    let mut lia = ws_connect(addr, &license_admin.token).await.expect("license admin connects");
    subscribe(&mut lia, "i", "subscription { invoiceEvents { id type } }").await;
    subscribe(&mut lia, "s", "subscription { subscriptionEvents { id type objectId } }").await;
    let mut mo = ws_connect(addr, &member.token).await.expect("member connects");
    subscribe(&mut mo, "m", "subscription { myLicensesChanged { type data } }").await;
    let mut outsider = ws_connect(addr, &stranger.admin).await.expect("stranger connects");
    subscribe(&mut outsider, "x", "subscription { subscriptionEvents { id } }").await;
    let mut publisher = ws_connect(addr, &shop.publisher.token).await.expect("publisher connects");
    let changed = format!("subscription {{ subscriptionChanged(id: \"{sub}\") {{ type data }} }}");
    subscribe(&mut publisher, "p", &changed).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    assign(&one, &shop.org.admin, &sub, &[&member.id]).await;
    let committed = started.elapsed();
    let event =
        next_json(&mut admin, Duration::from_secs(1)).await.expect("the admin gets the assignment within a second");
    let latency = started.elapsed();
    eprintln!(
        "cross-instance live event: {latency:?} from the mutation's start, {:?} after its answer (postgres: {})",
        latency - committed,
        engine_is_postgres()
    );
    assert!(latency < Duration::from_secs(1));
    assert_eq!(event["type"], "next");
    assert_eq!(event["payload"]["data"]["licensesChanged"]["type"], "LICENSES_ASSIGNED");
    assert_eq!(event["payload"]["data"]["licensesChanged"]["objectId"], sub.as_str());

    let mine = next_json(&mut mo, Duration::from_secs(2)).await.expect("the member learns of their license");
    let data = &mine["payload"]["data"]["myLicensesChanged"];
    assert_eq!(data["type"], "LICENSES_ASSIGNED");
    assert_eq!(data["data"]["product"]["name"], "Seat App");
    assert!(data["data"].get("quantity").is_none(), "personal feed carries only the product");

    let seen = next_json(&mut lia, Duration::from_secs(2)).await.expect("license admin sees subscription events");
    assert_eq!(seen["id"], "s");
    let published =
        next_json(&mut publisher, Duration::from_secs(2)).await.expect("the publisher sees its subscription");
    assert_eq!(published["payload"]["data"]["subscriptionChanged"]["data"]["customerOrganizationName"], "Contoso");

    // A billing event: the license admin never gets it (R37); nor does another organization.
    one.ok(
        &shop.org.admin,
        "mutation($s: ID!, $p: ID!) { changeSubscriptionBillingProfile(subscriptionId: $s, billingProfileId: $p) { id } }",
        json!({"s": sub, "p": one.billing_profile(&shop.org.admin, "US", Some(CARD_OK)).await}),
    )
    .await;
    let mut admin_invoices = ws_connect(addr, &shop.org.admin).await.expect("admin connects");
    subscribe(&mut admin_invoices, "a", "subscription { invoiceEvents { type data } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    one.bill(date(2026, 4, 1)).await;
    let issued =
        next_json(&mut admin_invoices, Duration::from_secs(2)).await.expect("the admin sees the invoice issued");
    assert_eq!(issued["payload"]["data"]["invoiceEvents"]["type"], "INVOICE_ISSUED");
    assert!(issued["payload"]["data"]["invoiceEvents"]["data"]["number"].is_string());

    // Drain: whatever the license admin got, none was a billing event.
    while let Some(message) = next_json(&mut lia, Duration::from_millis(500)).await {
        let text = message.to_string();
        assert!(message["id"] != "i", "license admin got an invoice event: {text}");
        assert!(!text.contains("BILLING_PROFILE_CHANGED"), "license admin got a billing event: {text}");
    }
    assert!(next_json(&mut outsider, Duration::from_millis(300)).await.is_none(), "another organization saw an event");
    tasks.tail.abort();
    if let Some(worker) = tasks.worker {
        worker.abort();
    }
}

#[tokio::test]
async fn subscribing_to_a_subscription_one_may_not_see_is_not_found() {
    // R37/R3 over WebSocket: the same answer as a query for a foreign ID.
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(2), &shop.profile).await;
    let stranger = app.register_org("Northwind", "US").await;
    let addr = serve_instance(&app).await;
    let mut ws = ws_connect(addr, &stranger.admin).await.expect("connects");
    subscribe(&mut ws, "1", &format!("subscription {{ subscriptionChanged(id: \"{sub}\") {{ type }} }}")).await;
    let answer = next_json(&mut ws, Duration::from_secs(2)).await.expect("an answer");
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{answer}");
}

/// Figures for the README, not a check: `cargo test --test api event_throughput -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn event_throughput_figures() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let receiver = Receiver::default();
    let addr = serve_receiver(receiver.clone()).await;
    register_receiver(&app, &shop.publisher, addr, &receiver).await;
    let mut tasks = licensedesk::workers::start(&app.state);
    let subs: Vec<String> = {
        let mut subs = Vec::new();
        for _ in 0..4 {
            subs.push(app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await);
        }
        subs
    };
    let log = receiver.acknowledged.clone();
    wait_for("set-up events", Duration::from_secs(30), || log.lock().expect("log").len() >= 4).await;
    let n = 400;
    let started = Instant::now();
    let mut changes = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        let app = &app;
        let token = shop.org.admin.clone();
        let sub = sub.clone();
        changes.push(async move {
            for q in 0..(n / 4) {
                change_quantity(app, &token, &sub, 6 + q as i64 + i as i64).await;
            }
        });
    }
    futures::future::join_all(changes).await;
    let written = started.elapsed();
    wait_for("all deliveries", Duration::from_secs(120), || log.lock().expect("log").len() >= 4 + n).await;
    let delivered = started.elapsed();
    eprintln!(
        "events: {n} changes written in {written:?} ({:.0}/s); all delivered by webhook after {delivered:?} ({:.0}/s); postgres: {}",
        n as f64 / written.as_secs_f64(),
        n as f64 / delivered.as_secs_f64(),
        engine_is_postgres()
    );
    // The worker alone: queue a backlog with no worker running, then time its drain.
    if let Some(worker) = tasks.worker.take() {
        worker.abort();
    }
    for q in 0..n {
        change_quantity(&app, &shop.org.admin, &subs[q % 4], 500 + q as i64).await;
    }
    let backlog_start = Instant::now();
    let worker = tokio::spawn(licensedesk::workers::delivery::run_worker(app.state.clone()));
    wait_for("the backlog", Duration::from_secs(120), || log.lock().expect("log").len() >= 4 + 2 * n).await;
    let drained = backlog_start.elapsed();
    eprintln!("webhook worker drained {n} queued events in {drained:?} ({:.0}/s)", n as f64 / drained.as_secs_f64());
    worker.abort();
    tasks.tail.abort();
}

#[tokio::test]
async fn r43_a_live_connection_closes_once_its_user_is_deactivated() {
    // R43: a deactivated user's tokens stop at once — an open WebSocket too,
    // within the re-check interval (5 s), not only new requests.
    let app = TestApp::spawn().await;
    let org = app.register_org("Contoso", "US").await;
    let member = app.user(&org, "Mo", &[]).await;
    let addr = serve_instance(&app).await;
    let mut ws = ws_connect(addr, &member.token).await.expect("member connects");
    subscribe(&mut ws, "m", "subscription { myLicensesChanged { type } }").await;
    let still_open = tokio::time::timeout(Duration::from_millis(5_500), ws.next()).await;
    assert!(still_open.is_err(), "an active user's connection stays open: {still_open:?}");

    app.ok(&org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({"u": member.id})).await;
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the deactivated user's live connection is closed within the re-check interval");
}

/// R37 + issue 21 item 2: each live event is checked against the caller's
/// rights when it is sent, not when the socket connected. A BILLING_ADMIN
/// demoted with `setUserRoles(roles: [])` gets no invoice event from the
/// next one on (before: every event until the token expired), while the
/// global admin's socket on the same instance gets it; a user deactivated
/// while subscribed gets nothing more either.
#[tokio::test]
async fn r37_a_demoted_billing_admins_live_feed_stops_with_the_next_event() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(3), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let bea = app.user(&shop.org, "Bea", &["BILLING_ADMIN"]).await;
    let carl = app.user(&shop.org, "Carl", &["BILLING_ADMIN"]).await;
    let tasks = licensedesk::workers::start(&app.state);
    let addr = serve_instance(&app).await;
    let mut admin = ws_connect(addr, &shop.org.admin).await.expect("admin connects");
    subscribe(&mut admin, "a", "subscription { invoiceEvents { type } }").await;
    let mut demoted = ws_connect(addr, &bea.token).await.expect("billing admin connects");
    subscribe(&mut demoted, "b", "subscription { invoiceEvents { type } }").await;
    let mut leaver = ws_connect(addr, &carl.token).await.expect("second billing admin connects");
    subscribe(&mut leaver, "c", "subscription { invoiceEvents { type } }").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.bill(date(2026, 4, 1)).await;
    for (name, ws) in [("admin", &mut admin), ("billing admin", &mut demoted), ("second billing admin", &mut leaver)] {
        let issued = next_json(ws, Duration::from_secs(3)).await.unwrap_or_else(|| panic!("{name} sees the invoice"));
        assert_eq!(issued["type"], "next", "{name}: {issued}");
        while next_json(ws, Duration::from_millis(700)).await.is_some() {} // issued, then paid by card
    }

    app.ok(&shop.org.admin, "mutation($u: ID!) { setUserRoles(userId: $u, roles: []) { id } }", json!({"u": bea.id}))
        .await;
    app.ok(&shop.org.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({"u": carl.id})).await;
    app.bill(date(2026, 5, 1)).await;
    let seen = next_json(&mut admin, Duration::from_secs(3)).await.expect("the admin sees the next invoice");
    assert_eq!(seen["type"], "next", "{seen}");
    for (name, ws) in [("demoted billing admin", &mut demoted), ("deactivated billing admin", &mut leaver)] {
        if let Some(message) = next_json(ws, Duration::from_millis(1_500)).await {
            assert_ne!(message["type"], "next", "{name} still got an invoice event: {message}");
        }
    }
    tasks.tail.abort();
    if let Some(worker) = tasks.worker {
        worker.abort();
    }
}

/// Sends one query or mutation over the socket and returns its `payload`.
async fn ws_operation(ws: &mut Ws, id: &str, query: &str) -> Value {
    subscribe(ws, id, query).await;
    loop {
        let message = next_json(ws, Duration::from_secs(5)).await.expect("an answer");
        if message["id"] == id && message["type"] == "next" {
            return message["payload"].clone();
        }
    }
}

/// R51 + R47: the admins' views over an open WebSocket answer under the
/// caller's rights as they are now, as over HTTP: a billing admin reads
/// them, and once demoted mid-connection the same socket is refused
/// (FORBIDDEN) for every view.
#[tokio::test]
async fn r51_views_over_a_websocket_follow_the_callers_current_rights() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let bea = app.user(&shop.org, "Bea", &["BILLING_ADMIN"]).await;
    let addr = serve_instance(&app).await;
    let mut ws = ws_connect(addr, &bea.token).await.expect("billing admin connects");
    let views = "{ subscriptionUtilization(first: 10) { totalCount } dormantLicenses(days: 30, first: 10) { totalCount } \
        spendByProduct(from: \"2026-01-01\", to: \"2026-12-31\") { month } renewalCalendar(days: 90, first: 10) { totalCount } }";
    let before = ws_operation(&mut ws, "1", views).await;
    assert!(before.get("errors").is_none(), "{before}");
    assert_eq!(before["data"]["dormantLicenses"]["totalCount"], 0, "{before}");

    app.ok(&shop.org.admin, "mutation($u: ID!) { setUserRoles(userId: $u, roles: []) { id } }", json!({"u": bea.id}))
        .await;
    let after = ws_operation(&mut ws, "2", views).await;
    let errors = after["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 4, "every view refused: {after}");
    assert!(errors.iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"), "the demotion counts at once: {after}");
}

/// R47 + R46: a query or mutation over an open WebSocket runs with the
/// caller's rights as they are now, as over HTTP: after a demotion the same
/// socket's billing read finds nothing, and after `signOut` (over the socket
/// itself) the next operation is UNAUTHENTICATED.
#[tokio::test]
async fn r47_websocket_operations_use_the_callers_current_rights_and_session() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let bea = app.user(&shop.org, "Bea", &["BILLING_ADMIN"]).await;
    let addr = serve_instance(&app).await;
    let mut ws = ws_connect(addr, &bea.token).await.expect("billing admin connects");
    let read = format!("{{ billingProfile(id: \"{}\") {{ id }} }}", shop.profile);
    let before = ws_operation(&mut ws, "1", &read).await;
    assert_eq!(before["data"]["billingProfile"]["id"], json!(shop.profile), "{before}");

    app.ok(&shop.org.admin, "mutation($u: ID!) { setUserRoles(userId: $u, roles: []) { id } }", json!({"u": bea.id}))
        .await;
    let after = ws_operation(&mut ws, "2", &read).await;
    assert_eq!(after["errors"][0]["extensions"]["code"], "NOT_FOUND", "the demotion counts at once: {after}");

    let out = ws_operation(&mut ws, "3", "mutation { signOut }").await;
    assert_eq!(out["data"]["signOut"], true, "{out}");
    let gone = ws_operation(&mut ws, "4", "{ me { id } }").await;
    assert_eq!(gone["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{gone}");
}
