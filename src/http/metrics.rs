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
//!   `licensedesk_billing_run_items_total{kind}`: billing runs (R33), with
//!   `kind="invoice_held"` counting invoices a run could not issue;
//! - `licensedesk_billing_profiles_on_hold`: billing profiles whose invoice
//!   the billing run cannot issue now (issue 26 item 3), read at each scrape
//!   so it holds whichever process ran billing.
//! - `licensedesk_build_info{version, profile}`: 1;
//! - `process_*` (CPU seconds, resident and virtual memory, open and maximum
//!   file descriptors, threads, start time), read at each scrape;
//! - `licensedesk_webhook_deliveries_total{outcome}` (delivered, retrying,
//!   failed) and `licensedesk_webhook_delivery_duration_seconds`;
//! - `licensedesk_live_connections` (open GraphQL WebSockets) and
//!   `licensedesk_live_connections_opened_total`.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response as HttpResponse},
};
use sea_orm::{DatabaseConnection, DbBackend};

use crate::{metrics::handle, state::AppState};

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics_endpoint(State(state): State<AppState>) -> HttpResponse {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable").into_response();
    };
    record_pool(&state.db);
    match crate::service::invoices::held_count(&state.db).await {
        Ok(held) => metrics::gauge!("licensedesk_billing_profiles_on_hold").set(held as f64),
        Err(e) => tracing::warn!(error = ?e, "cannot count the billing profiles on hold"),
    }
    crate::metrics::record_process();
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
