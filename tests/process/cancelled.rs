//! Issue 12 §5: requests cut off in the middle of a write — the client hangs
//! up, or the request times out — while the write transaction is open (the
//! server holds it open with the test-only `LICENSEDESK_TEST_DELAY_AT`). Each
//! write then commits or rolls back whole, and every pooled connection goes
//! back outside any transaction: on PostgreSQL no connection is left
//! 'idle in transaction'; on SQLite nobody holds the write lock or an old
//! read snapshot. Both engines.

use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Server, fresh_database_url, postgres_server};

const CUT: usize = 8;
/// Longer than the 1 s request timeout, so the waiting clients get 408 on
/// both engines (PostgreSQL runs the held writes side by side, SQLite one by one).
const HOLD_MS: u64 = 1300;

fn create_user_request(token: &str, email: &str) -> String {
    let body = json!({"query": "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        "variables": {"i": {"name": "Cut Off", "email": email, "password": "0123456789ab"}}})
    .to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn count(server: &Server, token: &str) -> (u64, u64) {
    let answer = server
        .graphql(
            Some(token),
            "{ users(first: 1) { totalCount } auditEvents(first: 1, filter: {action: \"user.create\"}) { totalCount } }",
            json!({}),
        )
        .await;
    let users = answer["data"]["users"]["totalCount"].as_u64().unwrap_or_else(|| panic!("{answer}"));
    let audited = answer["data"]["auditEvents"]["totalCount"].as_u64().unwrap_or_else(|| panic!("{answer}"));
    (users, audited)
}

#[tokio::test]
async fn writes_cut_off_by_hang_ups_and_timeouts_finish_whole_and_leave_no_transaction_open() {
    let url = fresh_database_url().await;
    let delay = format!("user.create.before_commit:{HOLD_MS}:{CUT}");
    let server =
        Server::start(&url, &[("LICENSEDESK_TEST_DELAY_AT", &delay), ("LICENSEDESK_REQUEST_TIMEOUT_SECONDS", "1")])
            .await;
    let (token, _) = server.register("Contoso").await;
    let (users_before, audited_before) = count(&server, &token).await;

    // Even requests hang up 300 ms in (their transaction is open, waiting to
    // commit); odd ones wait for the answer, which is the 1 s request timeout
    // for every write still queued or held by then.
    let mut tasks = Vec::new();
    for i in 0..CUT {
        let (addr, text) = (server.addr, create_user_request(&token, &format!("cut{i}@x.example")));
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.write_all(text.as_bytes()).await.expect("send");
            if i % 2 == 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return None;
            }
            let mut raw = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
            String::from_utf8_lossy(&raw).split_whitespace().nth(1).map(str::to_owned)
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        if let Some(status) = task.await.expect("client task") {
            statuses.push(status);
        }
    }
    assert!(statuses.iter().any(|s| s == "408"), "some request timed out mid-write: {statuses:?}");

    // The server finishes what it started (or rolls it back): wait out the
    // held writes (one after the other on SQLite), then until the counts settle.
    tokio::time::sleep(Duration::from_millis(HOLD_MS * CUT as u64 + 500)).await;
    let started = Instant::now();
    let mut last = count(&server, &token).await;
    loop {
        tokio::time::sleep(Duration::from_millis(HOLD_MS + 300)).await;
        let now = count(&server, &token).await;
        if now == last {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "writes never settled: {now:?}");
        last = now;
    }
    // Each write is whole: a user and its audit event (R36), or neither.
    let (users, audited) = last;
    assert_eq!(users - users_before, audited - audited_before, "users and their audit events");
    assert!(users - users_before <= CUT as u64);
    eprintln!(
        "{} of {CUT} cut-off writes committed whole, the rest rolled back; answers: {statuses:?}",
        users - users_before
    );

    // No pooled connection is left inside a transaction.
    if postgres_server().is_some() {
        let db = Database::connect(url.as_str()).await.expect("connect");
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT COUNT(*)::bigint AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'",
                [name.into()],
            ))
            .await
            .expect("query")
            .expect("row");
        let open: i64 = row.try_get("", "n").expect("n");
        assert_eq!(open, 0, "pooled connections left inside a transaction");
        db.close().await.ok();
    } else {
        // Another process takes the write lock at once (nobody holds it) and
        // checkpoints the whole WAL (no connection reads an old snapshot).
        let mut options = ConnectOptions::new(url.replace("mode=rwc", "mode=rw"));
        options.max_connections(1).sqlx_logging(false);
        let db = Database::connect(options).await.expect("open the SQLite file");
        db.execute_unprepared("PRAGMA busy_timeout = 2000").await.expect("busy timeout");
        let took = Instant::now();
        db.execute_unprepared("BEGIN IMMEDIATE").await.expect("the write lock is free");
        db.execute_unprepared("ROLLBACK").await.expect("rollback");
        assert!(took.elapsed() < Duration::from_secs(1), "waited {:?} for the write lock", took.elapsed());
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(TRUNCATE)"))
            .await
            .expect("checkpoint")
            .expect("row");
        let busy: i64 = row.try_get_by_index(0).expect("busy");
        assert_eq!(busy, 0, "a connection keeps a read transaction open");
        db.close().await.ok();
    }

    // Every pooled connection still works: rounds of concurrent writes
    // (billing profiles: no password hashing, so they fit the 1 s limit).
    for round in 0..3 {
        let writes: Vec<_> = (0..8)
            .map(|i| {
                let (server, token) = (&server, &token);
                async move {
                    server
                        .graphql(
                            Some(token),
                            "mutation($i: CreateBillingProfileInput!) { createBillingProfile(input: $i) { id } }",
                            json!({"i": {"name": format!("After {round}-{i}"), "contactName": "Bea", "contactEmail": "bea@x.example",
                                "billToAddress": {"line1": "1 Main St", "city": "Redmond", "postalCode": "98052", "country": "US"}}}),
                        )
                        .await
                }
            })
            .collect();
        for made in futures::future::join_all(writes).await {
            assert!(made["data"]["createBillingProfile"]["id"].is_string(), "{made}");
        }
    }
}
