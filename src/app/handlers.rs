//! The GraphQL transports: `POST /graphql` and the graphql-transport-ws
//! socket at `WS_PATH`.

use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    body::Bytes,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::RouterState;
use crate::{
    error::{AppError, AppResult},
    graphql,
    state::{ClientAddr, bearer_token, request_info},
};

/// `POST /graphql`: JSON only, one operation per request (no batches).
pub(super) async fn graphql_handler(
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

pub(super) async fn graphql_ws_handler(
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
