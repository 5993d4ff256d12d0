//! Issue 13 item 7: response keys follow the order of the query's fields
//! (GraphQL spec §7.1.1), also where fields that answer at once are mixed
//! with fields that wait on the database, and in subscription events.

use std::time::Duration;

use axum::{body::Body, http::Request};
use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::helpers::*;

/// The keys of every object in a JSON text, in the order they were written
/// (async-graphql's `Value` keeps object order; `serde_json::Value` sorts).
fn ordered(bytes: &[u8]) -> async_graphql::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

fn keys(value: &async_graphql::Value) -> Vec<String> {
    match value {
        async_graphql::Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
        other => panic!("not an object: {other}"),
    }
}

fn field<'a>(value: &'a async_graphql::Value, name: &str) -> &'a async_graphql::Value {
    match value {
        async_graphql::Value::Object(map) => map.get(name).unwrap_or_else(|| panic!("no {name} in {value}")),
        other => panic!("not an object: {other}"),
    }
}

fn first(value: &async_graphql::Value) -> &async_graphql::Value {
    match value {
        async_graphql::Value::List(items) => items.first().unwrap_or_else(|| panic!("empty list")),
        other => panic!("not a list: {other}"),
    }
}

async fn post(app: &TestApp, token: &str, query: &str) -> async_graphql::Value {
    let body = json!({"query": query}).to_string();
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    let (status, bytes) = app.http(request).await;
    let response = ordered(&bytes);
    assert!(status.is_success(), "HTTP {status}: {response}");
    assert!(!keys(&response).contains(&"errors".to_owned()), "unexpected errors: {response}");
    field(&response, "data").clone()
}

#[tokio::test]
async fn response_keys_follow_the_query_for_me_subscriptions_and_invoices() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    app.bill(date(2026, 4, 1)).await;
    let token = &shop.org.admin;

    // Root fields and `me`: fields that load from the database (organization,
    // roles) asked before and between plain ones.
    let data = post(
        &app,
        token,
        "{ subscriptions { totalCount } me { organization { name id } roles name id email } invoices { totalCount } }",
    )
    .await;
    assert_eq!(keys(&data), ["subscriptions", "me", "invoices"]);
    let me = field(&data, "me");
    assert_eq!(keys(me), ["organization", "roles", "name", "id", "email"]);
    assert_eq!(keys(field(me, "organization")), ["name", "id"]);

    // A subscription: product, billing profile and users come from loaders.
    let data = post(
        &app,
        token,
        "{ subscriptions { nodes { product { name id } status billingProfile { name id } quantity \
         assignedUsers { id } id ...More } } } fragment More on Subscription { term product { id } autoRenew }",
    )
    .await;
    let node = first(field(field(&data, "subscriptions"), "nodes"));
    assert_eq!(
        keys(node),
        ["product", "status", "billingProfile", "quantity", "assignedUsers", "id", "term", "autoRenew"]
    );
    assert_eq!(keys(field(node, "product")), ["name", "id"], "fields merged from the fragment stay in query order");

    // An invoice with an alias, lines and the profile between plain fields.
    let data = post(
        &app,
        token,
        "{ invoices { nodes { lines { amount { currency amount } productName } number billingProfile { id } \
         status sum: total { amount } id } } }",
    )
    .await;
    let invoice = first(field(field(&data, "invoices"), "nodes"));
    assert_eq!(keys(invoice), ["lines", "number", "billingProfile", "status", "sum", "id"]);
    let line = first(field(invoice, "lines"));
    assert_eq!(keys(line), ["amount", "productName"]);
    assert_eq!(keys(field(line, "amount")), ["currency", "amount"]);
}

#[tokio::test]
async fn subscription_events_keep_the_query_order() {
    let app = TestApp::spawn().await;
    let shop = app.shop().await;
    let sub = app.buy(&shop.org.admin, &shop.per_license, "MONTHLY", Some(5), &shop.profile).await;
    app.activate(&shop.publisher, &sub).await;
    let member = app.user(&shop.org, "Mo", &[]).await;
    let tasks = licensedesk::workers::start(&app.state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });

    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().expect("request");
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", shop.org.admin)}});
    ws.send(Message::text(init.to_string())).await.expect("init");
    let query = "subscription { licensesChanged { objectId data type createdAt id objectType } }";
    assert_eq!(field(&next_message(&mut ws).await, "type"), &async_graphql::Value::from("connection_ack"));
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query}});
    ws.send(Message::text(subscribe.to_string())).await.expect("subscribe");
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.ok(
        &shop.org.admin,
        "mutation($s: ID!, $u: [ID!]!) { assignLicenses(subscriptionId: $s, userIds: $u) { subscription { id } } }",
        json!({"s": sub, "u": [member.id]}),
    )
    .await;
    let message = next_message(&mut ws).await;
    let event = field(field(field(&message, "payload"), "data"), "licensesChanged");
    assert_eq!(keys(event), ["objectId", "data", "type", "createdAt", "id", "objectType"]);
    drop(tasks);
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_message(ws: &mut Ws) -> async_graphql::Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return ordered(text.as_bytes()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => panic!("no message: {other:?}"),
        }
    }
}
