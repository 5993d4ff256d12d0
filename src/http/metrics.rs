//! Prometheus metrics at `GET /metrics`, with the `metrics` facade and its
//! Prometheus exporter:
//!
//! - `licensedesk_graphql_requests_total{operation, outcome}`: GraphQL
//!   operations by name (`anonymous` without one) and outcome (`ok` or the
//!   SPEC §10 code of the first error);
//! - `licensedesk_graphql_request_duration_seconds{operation}`: a histogram;
//! - `licensedesk_http_requests_total{method, route, status}` and
//!   `licensedesk_http_request_duration_seconds{route}`: every HTTP request;
//! - `licensedesk_db_pool_connections{state}`: open and idle connections;
//! - `licensedesk_billing_runs_total{outcome}` and
//!   `licensedesk_billing_run_items_total{kind}`: billing runs (R33).

use std::{
    collections::HashSet,
    sync::{Mutex, OnceLock},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response as HttpResponse},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::{error::AppError, state::AppState};

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
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics_endpoint(State(state): State<AppState>) -> HttpResponse {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable").into_response();
    };
    record_pool(&state.db);
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

fn record_pool(db: &DatabaseConnection) {
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    metrics::gauge!("licensedesk_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("licensedesk_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("licensedesk_db_pool_connections", "state" => "in_use")
        .set(f64::from(size).max(idle as f64) - idle as f64);
}

/// Middleware: counts every HTTP request by route template and status.
pub async fn track_http(request: Request, next: Next) -> HttpResponse {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("licensedesk_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("licensedesk_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
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
