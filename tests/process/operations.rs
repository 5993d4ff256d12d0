//! Issue 24 item 4, outside in: with JSON logs every line the binary prints
//! is a JSON object (the demo banner included), each request leaves one
//! access-log line at info with its status, latency and GraphQL operation,
//! `/metrics` has the build, process, live-connection and webhook series, and
//! a busy port's error names the address.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::harness::{Server, command, free_port, fresh_database_url, request};

async fn wait_healthy(addr: std::net::SocketAddr) {
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = request(addr, None, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await
        {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn issue24_json_logs_are_json_every_line_with_an_access_log() {
    let url = fresh_database_url().await;
    let log = std::env::temp_dir().join(format!("ld-json-{}.log", uuid::Uuid::new_v4().simple()));
    let file = std::fs::File::create(&log).expect("log file");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut child = command(&url)
        .args(["serve", "--demo"])
        .env("LICENSEDESK_LISTEN", addr.to_string())
        .env("LICENSEDESK_LOG_FORMAT", "json")
        .env("LICENSEDESK_LOG", "info")
        .stdout(Stdio::from(file.try_clone().expect("clone")))
        .stderr(Stdio::from(file))
        .spawn()
        .expect("start licensedesk");
    wait_healthy(addr).await;
    let body = json!({"query": "query AccessLogProbe { __typename }"}).to_string();
    let post = format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (_, answer) = request(addr, None, &post).await.expect("graphql");
    assert!(answer.contains("\"Query\""), "{answer}");
    let (status, metrics) =
        request(addr, None, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").await.expect("metrics");
    let _ = child.kill();
    let _ = child.wait();

    let text = std::fs::read_to_string(&log).expect("read log");
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\n{text}")))
        .collect();
    let message = |v: &Value| v["message"].as_str().unwrap_or("").to_owned();
    let banner = lines.iter().find(|v| message(v) == "LicenseDesk demo data is loaded");
    let banner = banner.unwrap_or_else(|| panic!("no banner event in {text}"));
    assert_eq!(banner["login"], "admin@contoso.demo", "{banner}");
    let access = lines
        .iter()
        .find(|v| message(v) == "finished processing request" && v.to_string().contains("AccessLogProbe"))
        .unwrap_or_else(|| panic!("no access-log line for the operation in {text}"));
    assert_eq!(access["level"], "INFO", "{access}");
    assert_eq!(access["status"], 200, "{access}");
    assert!(access["latency"].is_string() || access["latency"].is_number(), "{access}");
    assert!(access.to_string().contains("/graphql"), "{access}");
    let _ = std::fs::remove_file(&log);

    assert_eq!(status, 200);
    for series in [
        "licensedesk_build_info{",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
        "licensedesk_live_connections 0",
        "licensedesk_webhook_deliveries_total{outcome=\"delivered\"}",
    ] {
        assert!(metrics.contains(series), "{series} missing from /metrics:\n{metrics}");
    }
}

#[tokio::test]
async fn issue24_a_busy_port_names_the_address() {
    let url = fresh_database_url().await;
    let server = Server::start(&url, &[]).await;
    for format in ["text", "json"] {
        let out = command(&url)
            .env("LICENSEDESK_LISTEN", server.addr.to_string())
            .env("LICENSEDESK_LOG_FORMAT", format)
            .output()
            .expect("run licensedesk");
        assert!(!out.status.success());
        let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(printed.contains(&format!("cannot listen on {}", server.addr)), "{format}: {printed}");
        if format == "json" {
            for line in printed.lines().filter(|l| !l.trim().is_empty()) {
                assert!(serde_json::from_str::<Value>(line).is_ok(), "not JSON: {line:?}");
            }
        }
    }
}
