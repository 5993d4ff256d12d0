//! Building the application: state, schema, router, and serving it.

use std::{sync::Arc, time::Duration};

use async_graphql::Schema;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderName, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use sea_orm::DatabaseConnection;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    auth::{jwt::JwtKeys, password::PasswordHasher},
    billing::processor::OfflineCardProcessor,
    clock::{Clock, SystemClock},
    config::{Config, Mode},
    error::{AppError, AppResult},
    graphql::{self, MutationRoot, QueryRoot, SubscriptionRoot, executor::ServingSchema},
    i18n::{self, Lang},
    service::Services,
};

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

pub const MAX_BODY_BYTES: usize = 256 * 1024;
pub const MAX_QUERY_DEPTH: usize = 12;
pub const MAX_QUERY_COMPLEXITY: usize = 2_000;
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request needs; cheap to clone. Services see only the
/// `Services` part (it dereferences to it).
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<Config>,
    /// Key for signed invoice PDF links, derived from the server secret.
    pub link_key: Arc<Vec<u8>>,
    /// R45: this instance's live-event fan-out and webhook wake-up.
    pub events: crate::events::EventHub,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AppState {
    /// Connects nothing: takes an open, migrated database. The secret must be
    /// resolved already (see `resolve_secret`).
    pub fn new(db: DatabaseConnection, config: Config, secret: &[u8], clock: Arc<dyn Clock>) -> AppResult<Self> {
        let card_key = crate::billing::cards::fingerprint_key(secret);
        let services = Services {
            db,
            jwt: Arc::new(JwtKeys::new(secret, config.token_ttl_seconds)),
            processor: Arc::new(OfflineCardProcessor::new(card_key.clone())),
            card_key: Arc::new(card_key),
            passwords: PasswordHasher::new()?,
            login_limiter: Default::default(),
            clock,
        };
        let link_key = Arc::new(crate::billing::http::link_key(secret));
        Ok(AppState { services, config: Arc::new(config), link_key, events: Default::default() })
    }

    pub fn with_system_clock(db: DatabaseConnection, config: Config, secret: &[u8]) -> AppResult<Self> {
        Self::new(db, config, secret, Arc::new(SystemClock))
    }
}

/// The configured secret, or in development the one kept in the database
/// (generated on first start) so tokens survive a restart.
pub async fn resolve_secret(db: &DatabaseConnection, config: &Config) -> AppResult<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    if config.mode == Mode::Production {
        return Err(AppError::internal("production mode needs a JWT secret"));
    }
    crate::service::settings::development_secret(db).await
}

fn schema_builder(config: Option<&Config>) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    schema_builder_with_limits(config, MAX_QUERY_DEPTH, MAX_QUERY_COMPLEXITY)
}

fn schema_builder_with_limits(
    config: Option<&Config>,
    depth: usize,
    complexity: usize,
) -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let mut builder = Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .limit_depth(depth)
        .limit_complexity(complexity)
        .limit_recursive_depth(32)
        .limit_directives(10);
    if let Some(config) = config
        && !config.introspection
    {
        builder = builder.disable_introspection().disable_suggestions();
    }
    graphql::docs::describe(builder)
}

/// The schema without any state: enough to print the SDL.
pub fn build_schema_bare() -> AppSchema {
    schema_builder(None).finish()
}

pub fn build_schema(state: &AppState) -> AppSchema {
    schema_builder(Some(&state.config)).data(state.clone()).finish()
}

/// The schema introspection-only operations run on: limits of their own
/// (see `http::introspection`), everything else the same.
pub fn build_introspection_schema(state: &AppState) -> AppSchema {
    use crate::http::introspection::{INTROSPECTION_MAX_COMPLEXITY, INTROSPECTION_MAX_DEPTH};
    schema_builder_with_limits(Some(&state.config), INTROSPECTION_MAX_DEPTH, INTROSPECTION_MAX_COMPLEXITY)
        .data(state.clone())
        .finish()
}

pub fn export_sdl() -> String {
    build_schema_bare().sdl()
}

#[derive(Clone)]
struct RouterState {
    app: AppState,
    schema: ServingSchema,
    introspection_schema: ServingSchema,
    /// What the query-cost pre-pass knows of the schema (issue 12).
    shape: Arc<graphql::cost::SchemaShape>,
}

pub fn build_router(state: AppState) -> Router {
    let schema = build_schema(&state);
    let introspection_schema = build_introspection_schema(&state);
    let cors = crate::http::cors_layer(&state.config);
    // Install the metrics recorder before the first request counts anything.
    let _ = crate::http::metrics::handle();
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
        .route("/graphql", post(graphql_handler))
        .route(WS_PATH, get(graphql_ws_handler))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/invoices/{file}", get(crate::billing::http::invoice_pdf))
        .route("/metrics", get(crate::http::metrics::metrics_endpoint));
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
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(tower_http::compression::CompressionLayer::new());
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
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

/// Per-request facts the resolvers and the error writer need.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub request_id: String,
    pub lang: Lang,
    /// The client's address when known (sign-in throttling).
    pub client: Option<std::net::IpAddr>,
}

pub fn request_info(headers: &HeaderMap) -> RequestInfo {
    let request_id = headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(i18n::from_accept_language)
        .unwrap_or_default();
    RequestInfo { request_id, lang, client: None }
}

/// `POST /graphql`: JSON only, one operation per request (no batches).
async fn graphql_handler(
    State(state): State<RouterState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut info = request_info(&headers);
    info.client = client.map(|c| c.0.0);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase().starts_with("application/json"))
        .unwrap_or(false);
    if !is_json {
        return graphql::errors::request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
            &info,
        );
    }
    let mut request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            let message = format!("The body is not a single GraphQL request in JSON: {e}");
            return graphql::errors::request_error(StatusCode::BAD_REQUEST, &message, &info);
        }
    };
    let caller = crate::service::identity::resolve_caller_row(&state.app, bearer_token(&headers)).await;
    let (caller, caller_row) = match caller {
        Ok(resolved) => resolved,
        Err(e) => return graphql::errors::app_error_response(e, &info),
    };
    let limits = &state.app.config.query_limits;
    // Introspection-only documents (GraphiQL's and stock clients' schema
    // query) run on their own schema with limits of their own; every other
    // document passes the cost pre-pass first.
    let introspection_only = request.query.len() <= limits.authenticated.max_bytes
        && crate::http::introspection::is_introspection_only(&mut request);
    let checked = match (&caller, introspection_only) {
        (_, true) => Ok(()),
        (crate::auth::Caller::Authenticated(_), false) => precheck(&state.shape, &mut request, &limits.authenticated),
        // Without a token only small documents run; a larger one that a
        // signed-in caller could send needs a token (UNAUTHENTICATED).
        (_, false) => match precheck(&state.shape, &mut request, &limits.anonymous) {
            Err(AppError::QueryTooComplex) => {
                precheck(&state.shape, &mut request, &limits.authenticated).and(Err(AppError::Unauthenticated))
            }
            other => other,
        },
    };
    if let Err(e) = checked {
        return graphql::errors::app_error_response(e, &info);
    }
    let loaders = graphql::loaders::new_loaders(&state.app);
    // Only a read may reuse the caller's row: a mutation can change it (roles, name).
    if is_query_only(&mut request) {
        graphql::loaders::prime_with_caller(&loaders, &caller, caller_row).await;
    }
    let request = request.data(caller).data(info.clone()).data(loaders);
    // Executed in its own task: when the client goes away or the request times
    // out, the resolvers still finish (committing or rolling back their
    // transaction) instead of being dropped half-way with a connection that
    // is mid-transaction. The cost pre-pass bounds how long that can take.
    let schema = if introspection_only { state.introspection_schema.clone() } else { state.schema.clone() };
    let response = match tokio::spawn(async move { async_graphql::Executor::execute(&schema, request).await }).await {
        Ok(response) => response,
        Err(e) => {
            return graphql::errors::app_error_response(AppError::internal(format!("execution task: {e}")), &info);
        }
    };
    let response = graphql::errors::finish_response(response, &info);
    axum::Json(response).into_response()
}

/// True when every operation of the document is a query (no mutation, no subscription).
fn is_query_only(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    request.parsed_query().is_ok_and(|doc| doc.operations.iter().all(|(_, op)| op.node.ty == OperationType::Query))
}

/// The query-cost and input pre-pass (issue 12): bounded text, then the
/// parsed document (kept in the request so it is parsed once), then control
/// characters in string input, then the estimated cost. A document that does
/// not parse is left to the executor, which reports the syntax error.
fn precheck(
    shape: &graphql::cost::SchemaShape,
    request: &mut async_graphql::Request,
    limits: &graphql::cost::CostLimits,
) -> AppResult<()> {
    graphql::cost::check_text(&request.query, limits)?;
    let variables = request.variables.clone();
    let Ok(doc) = request.parsed_query() else { return Ok(()) };
    graphql::cost::input_text(doc, &variables)?;
    graphql::cost::check_document(shape, doc, &variables, limits)?;
    Ok(())
}

/// R45: GraphQL subscriptions (graphql-transport-ws; the token goes in `connection_init`).
pub const WS_PATH: &str = "/graphql/ws";

async fn graphql_ws_handler(
    State(state): State<RouterState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let (accepted, accepted_token) = tokio::sync::oneshot::channel();
            let app = state.app.clone();
            let serve = GraphQLWebSocket::new(socket, state.schema.clone(), protocol)
                .on_connection_init(move |payload| graphql::live::connection_data(app, payload, accepted))
                .serve();
            // The connection ends when its token expires or its user is
            // deactivated, not only when the client leaves (R43).
            tokio::select! {
                () = serve => {}
                () = graphql::live::watch_caller(state.app.clone(), accepted_token) => {
                    tracing::info!("closed a live connection: its token expired or its user was deactivated");
                }
            }
        })
        .into_response()
}

pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The client's address, put into each request by `serve` (absent in
/// in-process tests). Sign-in throttling keys on it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
/// hyper's own connection builder instead of `axum::serve`, for a
/// header-read timeout: a client that trickles its request head is cut off
/// after `header_read_timeout` instead of holding a connection open.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "LicenseDesk listening");
    let _events = crate::events::start(&state);
    let header_read_timeout = state.config.header_read_timeout;
    let router = build_router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ClientAddr(peer.ip()));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
        let connection =
            graceful.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after 30 s; stopping anyway");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
