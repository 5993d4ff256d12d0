//! The GraphQL transports: `POST /graphql` and the graphql-transport-ws
//! socket at `WS_PATH`.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::RouterState;
use crate::{
    error::{AppError, AppResult},
    graphql::{self, executor::ServingSchema},
    state::{ClientAddr, RequestInfo, bearer_token, request_info},
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
    let introspection_only = match guard(&state.shape, &state.app.config.query_limits, &caller, &mut request) {
        Ok(introspection_only) => introspection_only,
        Err(e) => return graphql::errors::app_error_response(e, &info),
    };
    let loaders = graphql::loaders::new_loaders(&state.app);
    // Only a read may reuse the caller's row: a mutation can change it (roles, name).
    let read_only = is_query_only(&mut request);
    if read_only {
        graphql::loaders::prime_with_caller(&loaders, &caller, caller_row).await;
    }
    let request = request.data(caller).data(info.clone()).data(loaders);
    let schema = if introspection_only { state.introspection_schema.clone() } else { state.schema.clone() };
    let response = match run(schema, request, read_only).await {
        Ok(response) => response,
        Err(e) => return graphql::errors::app_error_response(e, &info),
    };
    let response = graphql::errors::finish_response(response, &info);
    match bounded_json(&response, &info) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => graphql::errors::app_error_response(e, &info),
    }
}

/// Runs one query or mutation (issue 20 item 3). A read runs in the
/// request's own task, so it stops when the client goes away or the request
/// times out (the timeout layer drops it). A write runs in a task of its own:
/// when the client goes away its resolvers still finish, committing or
/// rolling back their transaction whole, instead of being dropped half-way
/// with a connection that is mid-transaction.
pub(super) async fn run(
    schema: ServingSchema,
    request: async_graphql::Request,
    read_only: bool,
) -> AppResult<async_graphql::Response> {
    if read_only {
        return Ok(async_graphql::Executor::execute(&schema, request).await);
    }
    // In the request's span: the access log and the trace see the operation and its statements.
    let task = async move { async_graphql::Executor::execute(&schema, request).await };
    tokio::spawn(tracing::Instrument::in_current_span(task))
        .await
        .map_err(|e| AppError::internal(format!("execution task: {e}")))
}

/// Largest response body, in bytes (issue 20 item 2). The cost pre-pass
/// bounds the number of objects; this bounds their bytes (long names, many
/// scalar fields per object), so that four of the largest allowed responses
/// at once stay well under 300 MiB of memory (see README "Limits").
pub const MAX_RESPONSE_BYTES: usize = 24 * 1024 * 1024;

/// A writer that refuses to grow past its budget, so an oversized response
/// stops serializing at the budget instead of after it.
struct Budgeted {
    buffer: Vec<u8>,
    left: usize,
}

impl std::io::Write for Budgeted {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if bytes.len() > self.left {
            self.left = 0;
            return Err(std::io::Error::other("response byte budget exceeded"));
        }
        self.left -= bytes.len();
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The response as JSON, or QUERY_TOO_COMPLEX when it would exceed [`MAX_RESPONSE_BYTES`].
pub(super) fn bounded_json(response: &async_graphql::Response, info: &RequestInfo) -> AppResult<Vec<u8>> {
    let mut writer = Budgeted { buffer: Vec::with_capacity(4096), left: MAX_RESPONSE_BYTES };
    match serde_json::to_writer(&mut writer, response) {
        Ok(()) => Ok(writer.buffer),
        Err(_) if writer.left == 0 => {
            tracing::info!(request_id = %info.request_id, "response refused: larger than the byte budget");
            Err(AppError::QueryTooComplex)
        }
        Err(e) => Err(AppError::internal(format!("response serialization: {e}"))),
    }
}

/// The pre-pass every GraphQL door runs before anything executes (issues 12
/// and 20): `POST /graphql`, and every `subscribe` on the WebSocket, of every
/// operation type. Returns whether the document is introspection-only (it then
/// runs on the introspection schema; the pre-pass still bounds its size,
/// expanded fields, aliases and root fields).
pub(super) fn guard(
    shape: &graphql::cost::SchemaShape,
    limits: &crate::config::QueryLimits,
    caller: &crate::auth::Caller,
    request: &mut async_graphql::Request,
) -> AppResult<bool> {
    let introspection_only = request.query.len() <= limits.authenticated.max_bytes
        && crate::graphql::introspection::is_introspection_only(request);
    match caller {
        crate::auth::Caller::Authenticated(_) => precheck(shape, request, &limits.authenticated)?,
        // Without a token only small documents run; a larger one that a
        // signed-in caller could send needs a token (UNAUTHENTICATED).
        _ => match precheck(shape, request, &limits.anonymous) {
            Err(AppError::QueryTooComplex) => {
                precheck(shape, request, &limits.authenticated)?;
                return Err(AppError::Unauthenticated);
            }
            other => other?,
        },
    }
    Ok(introspection_only)
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
pub(super) fn precheck(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RequestInfo {
        RequestInfo { request_id: "t".to_owned(), lang: Default::default(), client: None }
    }

    #[test]
    fn a_response_over_the_byte_budget_is_refused_while_it_is_written() {
        // Issue 20 item 2: the per-response byte budget.
        let small = async_graphql::Response::new(async_graphql::Value::from("ok"));
        assert!(bounded_json(&small, &info()).is_ok());
        let big = async_graphql::Value::List(
            (0..MAX_RESPONSE_BYTES / 1000 + 10).map(|_| async_graphql::Value::from("x".repeat(1000))).collect(),
        );
        let big = async_graphql::Response::new(big);
        assert_eq!(bounded_json(&big, &info()), Err(AppError::QueryTooComplex));
    }
}
