//! What the server counts, recorded through the `metrics` facade into the
//! process-wide Prometheus recorder that `GET /metrics` (`http::metrics`)
//! renders. The GraphQL executor and the billing scheduler record here.

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock},
};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::AppError;

/// Latency buckets in seconds, from 1 ms to 30 s (the request timeout).
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Distinct operation names kept as labels; later names count as `other` so a
/// client cannot grow the metrics without bound.
const MAX_OPERATION_NAMES: usize = 200;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static OPERATION_NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Installs the process-wide recorder on first use. None when another
/// recorder was installed first (then `/metrics` answers 503).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS);
            match builder.and_then(|b| b.install_recorder()) {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The build (a constant 1 with the version as labels) and the process
/// collector's descriptions, once the recorder is in.
fn describe() {
    metrics::gauge!(
        "licensedesk_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "profile" => if cfg!(debug_assertions) { "debug" } else { "release" },
    )
    .set(1.0);
    // Present from the start, at zero, so dashboards and alerts see them.
    metrics::gauge!("licensedesk_live_connections").increment(0.0);
    for outcome in ["delivered", "retrying", "failed"] {
        metrics::counter!("licensedesk_webhook_deliveries_total", "outcome" => outcome).increment(0);
    }
    PROCESS.describe();
}

static PROCESS: std::sync::LazyLock<metrics_process::Collector> =
    std::sync::LazyLock::new(metrics_process::Collector::default);

/// The process metrics in their standard names (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, `process_threads`,
/// `process_start_time_seconds`…), read when `/metrics` is scraped.
pub fn record_process() {
    PROCESS.collect();
}

/// A live (subscription) WebSocket connection opened; the guard counts it
/// closed when dropped.
pub fn live_connection_opened() -> LiveConnection {
    metrics::gauge!("licensedesk_live_connections").increment(1.0);
    metrics::counter!("licensedesk_live_connections_opened_total").increment(1);
    LiveConnection
}

pub struct LiveConnection;

impl Drop for LiveConnection {
    fn drop(&mut self) {
        metrics::gauge!("licensedesk_live_connections").decrement(1.0);
    }
}

/// One webhook delivery attempt: `delivered`, `retrying` or `failed` (given
/// up), and how long the endpoint took to answer.
pub fn record_webhook_attempt(outcome: &'static str, elapsed: std::time::Duration) {
    metrics::counter!("licensedesk_webhook_deliveries_total", "outcome" => outcome).increment(1);
    metrics::histogram!("licensedesk_webhook_delivery_duration_seconds").record(elapsed.as_secs_f64());
}

fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".to_owned();
    };
    // GraphQL names are [_A-Za-z][_0-9A-Za-z]*; anything else is not a name.
    if name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return "other".to_owned();
    }
    let names = OPERATION_NAMES.get_or_init(Default::default);
    let Ok(mut names) = names.lock() else {
        return "other".to_owned();
    };
    if names.contains(name) {
        return name.to_owned();
    }
    if names.len() >= MAX_OPERATION_NAMES {
        return "other".to_owned();
    }
    names.insert(name.to_owned());
    name.to_owned()
}

/// Counts and times one GraphQL operation (`graphql::executor` calls it for
/// every operation the endpoints execute). `outcome` is "ok" or the SPEC §10
/// code the response carries (`graphql::errors::code_of`, the response
/// writer's own classifier), so the metric and the response cannot disagree.
pub fn record_operation(name: Option<&str>, outcome: &'static str, elapsed: std::time::Duration) {
    let operation = operation_label(name);
    metrics::counter!("licensedesk_graphql_requests_total", "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("licensedesk_graphql_request_duration_seconds", "operation" => operation)
        .record(elapsed.as_secs_f64());
}

/// Counts one billing run (R33) and what it did; call it where a run ends.
pub fn record_billing_run(result: &Result<crate::service::billing_run::BillingReport, AppError>) {
    let outcome = match result {
        Ok(report) if report.lease_held_elsewhere => "skipped_lease_held",
        Ok(report) if report.failures > 0 => "partial_failure",
        Ok(_) => "ok",
        Err(_) => "error",
    };
    metrics::counter!("licensedesk_billing_runs_total", "outcome" => outcome).increment(1);
    if let Ok(report) = result {
        for (kind, count) in [
            ("renewal", report.renewals),
            ("expired", report.expired),
            ("invoice_issued", report.invoices_issued),
            ("card_approved", report.cards_approved),
            ("card_declined", report.cards_declined),
            ("marked_overdue", report.marked_overdue),
            ("disabled_for_payment", report.disabled_for_payment),
            ("invoice_held", report.invoices_held),
            ("failure", report.failures),
        ] {
            metrics::counter!("licensedesk_billing_run_items_total", "kind" => kind).increment(count);
        }
    }
}

/// Records a billing run's result (see `record_billing_run`) and passes it on.
pub fn recorded(
    result: Result<crate::service::billing_run::BillingReport, AppError>,
) -> Result<crate::service::billing_run::BillingReport, AppError> {
    record_billing_run(&result);
    result
}
