//! R33 (issue 12 §3): `kill -9` at every step of a billing run, then an
//! immediate rerun: every invoice issued once, every card invoice charged
//! once, nobody disabled because of the crash; a run blocked by a live one
//! exits non-zero.

use std::{
    path::Path,
    process::Output,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::harness::{command, fresh_database_url};

/// The run covers five months: renewals, invoices and card charges.
const DATE: &str = "2027-04-02";

fn run(url: &str, ledger: &Path, crash_at: Option<&str>) -> Output {
    let mut cmd = command(url);
    cmd.env("LICENSEDESK_TEST_PROCESSOR_LEDGER", ledger).args(["billing", "run", "--date", DATE]);
    if let Some(point) = crash_at {
        cmd.env("LICENSEDESK_TEST_CRASH_AT", point);
    }
    cmd.output().expect("run licensedesk")
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap_or_default())
        .collect()
}

async fn seeded() -> String {
    let url = fresh_database_url().await;
    let out = command(&url).arg("seed-demo").output().expect("seed");
    assert!(out.status.success(), "seed-demo: {}", String::from_utf8_lossy(&out.stderr));
    url
}

struct Outcome {
    invoices: Vec<String>,
    statuses: Vec<String>,
    disabled: Vec<String>,
    charges_per_invoice: Vec<usize>,
}

async fn outcome(url: &str, ledger: &Path) -> Outcome {
    let db = Database::connect(url).await.expect("connect");
    let invoices =
        rows(&db, "SELECT CAST(number AS TEXT) || ' ' || CAST(period_start AS TEXT) FROM invoices ORDER BY number")
            .await;
    let statuses = rows(&db, "SELECT status FROM invoices ORDER BY number").await;
    let disabled = rows(&db, "SELECT disabled_reason FROM subscriptions WHERE status = 'DISABLED'").await;
    let ids: Vec<String> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM invoices WHERE total_minor > 0 ORDER BY number",
        ))
        .await
        .expect("query")
        .iter()
        .map(|row| row.try_get_by_index::<uuid::Uuid>(0).expect("uuid").to_string())
        .collect();
    let ledger = std::fs::read_to_string(ledger).unwrap_or_default();
    let charges_per_invoice =
        ids.iter().map(|id| ledger.lines().filter(|l| l.split(' ').next() == Some(id.as_str())).count()).collect();
    Outcome { invoices, statuses, disabled, charges_per_invoice }
}

#[tokio::test]
async fn r33_kill_9_at_every_step_then_rerun_issues_and_charges_once() {
    let dir = std::env::temp_dir().join(format!("ld-ledger-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    // The reference: one clean run.
    let clean_url = seeded().await;
    let clean_ledger = dir.join("clean");
    let out = run(&clean_url, &clean_ledger, None);
    assert!(out.status.success(), "clean run: {}", String::from_utf8_lossy(&out.stderr));
    let clean = outcome(&clean_url, &clean_ledger).await;
    assert!(clean.invoices.len() >= 4, "the reference run issues several invoices: {:?}", clean.invoices);

    // The same data, killed at each step in turn, each time rerun at once.
    let url = seeded().await;
    let ledger = dir.join("killed");
    let points =
        ["renewed:1", "invoice-issued:2", "charge-claimed:1", "charge-sent:2", "overdue-marked", "before-record"];
    let mut waits = Vec::new();
    for point in points {
        let started = Instant::now();
        let out = run(&url, &ledger, Some(point));
        assert!(!out.status.success(), "{point}: the run was to die there");
        waits.push(format!("{point}: killed after {} ms", started.elapsed().as_millis()));
    }
    let started = Instant::now();
    let out = run(&url, &ledger, None);
    assert!(out.status.success(), "rerun: {}", String::from_utf8_lossy(&out.stderr));
    eprintln!("billing kills: {}; final rerun took {} ms", waits.join(", "), started.elapsed().as_millis());
    let after = outcome(&url, &ledger).await;
    assert_eq!(after.invoices, clean.invoices, "every invoice issued once, numbered without gaps");
    assert_eq!(after.statuses, clean.statuses, "paid like the clean run");
    // The demo also holds invoices paid by wire, a declined card and a credited
    // one (issue 13): their statuses are compared with the clean run above.
    assert!(after.statuses.iter().any(|s| s == "PAID"), "{:?}", after.statuses);
    assert!(after.charges_per_invoice.iter().all(|n| *n <= 1), "never charged twice: {:?}", after.charges_per_invoice);
    assert!(after.charges_per_invoice.contains(&1), "the run charged cards: {:?}", after.charges_per_invoice);
    assert_eq!(after.charges_per_invoice, clean.charges_per_invoice, "charged like the clean run");
    assert_eq!(after.charges_per_invoice.len(), clean.charges_per_invoice.len());
    assert_eq!(after.disabled, clean.disabled, "nobody disabled because of the crash");
}

/// A run that finds the lease held by a live run exits non-zero with a clear message.
#[tokio::test]
async fn r33_a_run_blocked_by_a_live_run_exits_non_zero() {
    let url = seeded().await;
    let db = Database::connect(url.as_str()).await.expect("connect");
    // A live runner: its lease keeps being renewed far into the future.
    let until = "2999-01-01 00:00:00+00";
    db.execute_unprepared(&format!(
        "INSERT INTO job_leases (name, holder, expires_at) VALUES ('billing-run', 'someone-else', '{until}')"
    ))
    .await
    .expect("insert lease");
    let ledger = std::env::temp_dir().join(format!("ld-ledger-{}", uuid::Uuid::new_v4().simple()));
    let started = Instant::now();
    let out = run(&url, &ledger, None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "exit code; stderr: {stderr}");
    assert!(stderr.contains("another live billing run"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20));
}
