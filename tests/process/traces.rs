//! Issue 24 item 4, outside in: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, the
//! real binary exports OTLP/HTTP protobuf traces to a receiver in this test:
//! one server span per request ("POST /graphql") carrying its GraphQL
//! operation's name, and the
//! database statements' spans beneath it (SQLite or PostgreSQL, whichever
//! the run uses). Without the variable nothing is sent.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use opentelemetry_proto::tonic::{collector::trace::v1::ExportTraceServiceRequest, trace::v1::Span};
use prost::Message;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::harness::{Server, fresh_database_url};

type Received = Arc<Mutex<Vec<(String, Span)>>>;

/// A tiny OTLP/HTTP receiver: every POST body decoded as an export request,
/// its spans kept with their service name; answers 200 with an empty body.
async fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let received: Received = Arc::default();
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    let mut path = String::new();
                    loop {
                        line.clear();
                        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if path.is_empty() {
                            path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    assert_eq!(path, "/v1/traces", "the OTLP traces path");
                    let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("an OTLP protobuf body");
                    if let Ok(mut store) = store.lock() {
                        for resource in request.resource_spans {
                            let service = resource
                                .resource
                                .iter()
                                .flat_map(|r| &r.attributes)
                                .find(|kv| kv.key == "service.name")
                                .and_then(|kv| kv.value.as_ref())
                                .map(|v| format!("{:?}", v.value))
                                .unwrap_or_default();
                            for scope in resource.scope_spans {
                                store.extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
                            }
                        }
                    }
                    let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
                    if stream.get_mut().write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, received)
}

fn spans(received: &Received) -> Vec<(String, Span)> {
    received.lock().map(|spans| spans.clone()).unwrap_or_default()
}

#[tokio::test]
async fn issue24_traces_have_a_span_per_request_with_database_spans_beneath() {
    let (endpoint, received) = receiver().await;
    let url = fresh_database_url().await;
    let server =
        Server::start(&url, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("OTEL_BSP_SCHEDULE_DELAY", "100")]).await;
    let answer = server
        .graphql(
            None,
            "mutation TraceProbe { login(email: \"nobody@example.test\", password: \"not-the-password\") { token } }",
            json!({}),
        )
        .await;
    assert!(answer["errors"].is_array(), "{answer}");

    // Wait (bounded) until the batch with the operation's span has arrived.
    let started = Instant::now();
    let (request, all) = loop {
        let all = spans(&received);
        let probe = |s: &Span| {
            s.kind == 2
                && s.attributes.iter().any(|kv| {
                    kv.key == "operation"
                        && kv.value.as_ref().is_some_and(|v| format!("{:?}", v.value).contains("TraceProbe"))
                })
        };
        if let Some((_, request)) = all.iter().find(|(_, s)| probe(s)) {
            let id = request.span_id.clone();
            if all.iter().any(|(_, s)| s.parent_span_id == id) {
                break (request.clone(), all);
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            let names: std::collections::BTreeSet<String> = all.iter().map(|(_, s)| s.name.clone()).collect();
            let requests: Vec<&Span> = all.iter().map(|(_, s)| s).filter(|s| s.kind == 2).collect();
            panic!("no trace for TraceProbe among {} spans: {names:?}; server spans: {requests:?}", all.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (service, _) = all.iter().find(|(_, s)| s.span_id == request.span_id).cloned().unwrap_or_default();
    assert!(service.contains("licensedesk"), "service.name: {service}");
    // SERVER kind (2 in OTLP), with the request's attributes.
    assert_eq!(request.kind, 2, "{request:?}");
    let attribute = |span: &Span, key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref())
            .map(|v| format!("{:?}", v.value))
    };
    // Named like OpenTelemetry's GraphQL convention: the operation's type and name.
    assert_eq!(request.name, "mutation TraceProbe", "{request:?}");
    assert!(attribute(&request, "method").is_some_and(|v| v.contains("POST")), "{request:?}");
    assert!(attribute(&request, "path").is_some_and(|v| v.contains("/graphql")), "{request:?}");

    // The database spans: in the same trace, under the request span (directly or not).
    let in_trace: Vec<&Span> = all.iter().map(|(_, s)| s).filter(|s| s.trace_id == request.trace_id).collect();
    let under_request = |span: &Span| {
        let mut parent = span.parent_span_id.clone();
        for _ in 0..32 {
            if parent == request.span_id {
                return true;
            }
            match in_trace.iter().find(|s| s.span_id == parent) {
                Some(up) => parent = up.parent_span_id.clone(),
                None => return false,
            }
        }
        false
    };
    let database: Vec<&&Span> = in_trace.iter().filter(|s| attribute(s, "db.system").is_some()).collect();
    assert!(!database.is_empty(), "no database span in the trace: {in_trace:?}");
    assert!(database.iter().all(|s| under_request(s)), "database spans outside the request: {database:?}");
    assert!(database.iter().all(|s| s.kind == 3), "CLIENT kind: {database:?}");
    drop(server);
}

#[tokio::test]
async fn issue24_no_traces_without_an_endpoint() {
    let (_endpoint, received) = receiver().await;
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[("OTEL_BSP_SCHEDULE_DELAY", "100")]).await;
    server.graphql(None, "query NoTrace { __typename }", json!({})).await;
    drop(server);
    assert!(spans(&received).is_empty());
}
