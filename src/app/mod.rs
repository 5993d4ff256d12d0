//! The HTTP application: the router with its layers and routes.

mod handlers;
mod serve;
mod sockets;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use crate::graphql::schema::{AppSchema, build_schema, build_schema_bare, export_sdl};
pub use crate::http::WS_PATH;
pub use serve::serve;

use crate::{
    graphql::{self, executor::ServingSchema, schema::build_introspection_schema},
    state::{AppState, REQUEST_ID},
};

pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Clone)]
pub(crate) struct RouterState {
    app: AppState,
    schema: ServingSchema,
    introspection_schema: ServingSchema,
    /// What the query-cost pre-pass knows of the schema (issue 12).
    shape: Arc<graphql::cost::SchemaShape>,
    /// Open GraphQL WebSockets (issue 20).
    sockets: Arc<sockets::SocketCounts>,
}

pub fn build_router(state: AppState) -> Router {
    let schema = build_schema(&state);
    let introspection_schema = build_introspection_schema(&state);
    let cors = crate::http::cors_layer(&state.config);
    // Install the metrics recorder before the first request counts anything.
    let _ = crate::metrics::handle();
    let shape = match graphql::cost::SchemaShape::from_sdl(&schema.sdl()) {
        Ok(shape) => shape,
        Err(e) => {
            // Cannot happen with a schema async-graphql printed; costs fall back to sizes.
            tracing::error!(error = %e, "cannot read the schema's shape for query costs");
            graphql::cost::SchemaShape::default()
        }
    };
    let graphiql = state.config.graphiql;
    let timeout = Duration::from_secs(state.config.request_timeout_seconds);
    let mut router = Router::new()
        .route("/graphql", post(handlers::graphql_handler).get(handlers::graphql_get_handler))
        .route(WS_PATH, get(sockets::graphql_ws_handler))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/invoices/{file}", get(crate::http::invoice_pdf::invoice_pdf))
        .route(crate::http::oidc::START_PATH, get(crate::http::oidc::start))
        .route(crate::http::oidc::CALLBACK_PATH, get(crate::http::oidc::callback))
        .route("/metrics", get(crate::http::metrics::metrics_endpoint))
        // R50, R51: the publisher's side (OAuth token endpoint, publisher API).
        .route(crate::http::oauth::TOKEN_PATH, post(crate::http::oauth::token))
        .route(crate::http::oauth::METADATA_PATH, get(crate::http::oauth::metadata))
        .route(
            crate::http::publisher_api::LICENSE_CHECKS_PATH,
            get(crate::http::publisher_api::check_one).post(crate::http::publisher_api::check_many),
        )
        .route(crate::http::publisher_api::USAGE_REPORTS_PATH, post(crate::http::publisher_api::report_usage))
        .merge(crate::http::scim::routes())
        .route(crate::http::oauth::REVOKE_PATH, post(crate::http::oauth::revoke))
        .merge(crate::http::portal::routes());
    if graphiql {
        router = router.merge(crate::http::graphiql::routes());
    }
    let router = router
        .route_layer(axum::middleware::from_fn(crate::http::metrics::track_http))
        .with_state(RouterState {
            app: state,
            schema: ServingSchema::new(schema),
            introspection_schema: ServingSchema::new(introspection_schema),
            shape: Arc::new(shape),
            sockets: Default::default(),
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // The access log: one line per request at info, with status and latency (issue 24 item 4).
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(tower_http::compression::CompressionLayer::new());
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The span of one request: its ID, method, path and client; the GraphQL
/// executor records the operation's name in `operation`. In traces it is a
/// server span named "POST /graphql" (`otel.name`), renamed by the executor
/// to the operation ("query ConsolePage"), with these attributes.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    let client = request.extensions().get::<crate::state::ClientAddr>().map(|c| c.0.to_string());
    let method = request.method();
    let path = request.uri().path();
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %path,
        client = client.as_deref().unwrap_or("-"),
        operation = tracing::field::Empty,
        otel.name = %format!("{method} {path}"),
        otel.kind = "server",
    )
}

impl axum::extract::FromRef<RouterState> for AppState {
    fn from_ref(state: &RouterState) -> AppState {
        state.app.clone()
    }
}

/// How long `/readyz` waits for the database before answering 503.
pub const READINESS_LIMIT: Duration = Duration::from_millis(800);

async fn readyz(State(state): State<RouterState>) -> Response {
    match crate::db::ping(&state.app.db, READINESS_LIMIT).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
