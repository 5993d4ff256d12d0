//! The GraphQL transports: `POST /graphql`, `GET /graphql` (queries only),
//! Apollo's automatic persisted queries on both, and the graphql-transport-ws
//! socket at `WS_PATH`.

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
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
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            let message = format!("The body is not a single GraphQL request in JSON: {e}");
            return graphql::errors::request_error(StatusCode::BAD_REQUEST, &message, &info);
        }
    };
    let mut response = execute(&state, &headers, info, request, Method::Post).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /graphql?query=…&variables=…&operationName=…&extensions=…` (issue 24
/// item 1, GraphQL over HTTP): queries only — a mutation or subscription
/// answers 405 with `Allow: POST`. `variables` and `extensions` are JSON.
/// Answers carry cache headers: an anonymous answer without errors is
/// `public, max-age` (`LICENSEDESK_GET_CACHE_SECONDS`); a signed-in caller's
/// is `private, no-cache`; an answer with errors is `no-store`. All vary on
/// `Authorization` and `Accept-Language`.
pub(super) async fn graphql_get_handler(
    State(state): State<RouterState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut info = request_info(&headers);
    info.client = client.map(|c| c.0.0);
    let request = match request_from_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) => request,
        Err(message) => return graphql::errors::request_error(StatusCode::BAD_REQUEST, &message, &info),
    };
    execute(&state, &headers, info, request, Method::Get).await
}

/// The request a GET's query string carries.
fn request_from_query_string(query: &str) -> Result<async_graphql::Request, String> {
    let mut request = async_graphql::Request::new("");
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "query" => request.query = value.into_owned(),
            "operationName" => request.operation_name = Some(value.into_owned()).filter(|n| !n.is_empty()),
            "variables" => {
                request.variables = serde_json::from_str(&value)
                    .map_err(|e| format!("The `variables` parameter is not a JSON object: {e}"))?;
            }
            "extensions" => {
                request.extensions = serde_json::from_str(&value)
                    .map_err(|e| format!("The `extensions` parameter is not a JSON object: {e}"))?;
            }
            _ => {}
        }
    }
    Ok(request)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// What a request's `extensions.persistedQuery` asked for (Apollo APQ).
enum Persisted {
    /// No persisted query: the document is in `query`.
    None,
    /// The document was sent with its hash: register it once it passed the pre-pass.
    Register,
    /// Resolved from the store or the trusted documents.
    Resolved,
}

/// The standard APQ answer to a hash the server does not know: Apollo
/// Client's persisted-query link then sends the document with its hash.
fn persisted_query_not_found(info: &RequestInfo) -> Response {
    graphql::errors::protocol_error(StatusCode::OK, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND", None, info)
}

/// Reads `extensions.persistedQuery`, fills `request.query` from the
/// trusted documents or the store when only the hash was sent, and checks a
/// sent document against its hash. An `Err` is the answer to send.
async fn resolve_persisted(
    state: &RouterState,
    request: &mut async_graphql::Request,
    info: &RequestInfo,
) -> Result<Persisted, Response> {
    use crate::service::persisted_queries;
    use async_graphql::Value;
    let Some(extension) = request.extensions.0.get("persistedQuery") else { return Ok(Persisted::None) };
    let bad = |message: &str, reason: &str| {
        graphql::errors::protocol_error(StatusCode::BAD_REQUEST, message, "VALIDATION_FAILED", Some(reason), info)
    };
    let Value::Object(fields) = extension else {
        return Err(bad("`extensions.persistedQuery` must be an object", "PERSISTED_QUERY_INVALID"));
    };
    let version_ok = matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
    if !version_ok {
        return Err(bad("Only version 1 of `persistedQuery` is supported", "PERSISTED_QUERY_INVALID"));
    }
    let hash = match fields.get("sha256Hash") {
        Some(Value::String(hash)) if persisted_queries::is_sha256_hex(hash) => hash.to_ascii_lowercase(),
        _ => return Err(bad("`persistedQuery.sha256Hash` must be a SHA-256 in hex", "PERSISTED_QUERY_INVALID")),
    };
    let trusted = state.app.config.persisted.trusted.as_deref();
    if !request.query.is_empty() {
        if persisted_queries::sha256_hex(&request.query) != hash {
            return Err(bad("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"));
        }
        // With an allow-list nothing is registered: the list is the store.
        return Ok(if trusted.is_some() { Persisted::None } else { Persisted::Register });
    }
    let found = match trusted {
        Some(list) => list.get(&hash).map(str::to_owned),
        None => match persisted_queries::find(&state.app, &hash).await {
            Ok(found) => found,
            Err(e) => return Err(graphql::errors::app_error_response(e, info)),
        },
    };
    match found {
        Some(document) => {
            request.query = document;
            Ok(Persisted::Resolved)
        }
        None => Err(persisted_query_not_found(info)),
    }
}

/// The operation a request runs, when it can be told: the named one, or the
/// only one. `None` when the document does not parse or names none of them
/// (the executor then reports the error).
fn operation_type(request: &mut async_graphql::Request) -> Option<async_graphql::parser::types::OperationType> {
    let name = request.operation_name.clone();
    let doc = request.parsed_query().ok()?;
    match name {
        Some(name) => {
            doc.operations.iter().find(|(n, _)| n.is_some_and(|n| n.as_str() == name)).map(|(_, op)| op.node.ty)
        }
        None => {
            let mut operations = doc.operations.iter();
            let (_, first) = operations.next()?;
            operations.next().is_none().then_some(first.node.ty)
        }
    }
}

/// Both HTTP methods: persisted queries, the trusted documents, the caller,
/// the pre-pass on the resolved document, execution, cache headers.
async fn execute(
    state: &RouterState,
    headers: &HeaderMap,
    info: RequestInfo,
    mut request: async_graphql::Request,
    method: Method,
) -> Response {
    let persisted = match resolve_persisted(state, &mut request, &info).await {
        Ok(persisted) => persisted,
        Err(response) => return response,
    };
    if let Some(list) = state.app.config.persisted.trusted.as_deref()
        && !list.contains(&request.query)
    {
        return graphql::errors::app_error_response(AppError::UntrustedDocument, &info);
    }
    if method == Method::Get {
        use async_graphql::parser::types::OperationType;
        if matches!(operation_type(&mut request), Some(OperationType::Mutation | OperationType::Subscription)) {
            let mut response = graphql::errors::protocol_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Only queries run over GET; send mutations with POST",
                "VALIDATION_FAILED",
                Some("MUTATION_OVER_GET"),
                &info,
            );
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    let caller = crate::service::identity::resolve_caller_row(&state.app, bearer_token(headers)).await;
    let (caller, caller_row) = match caller {
        Ok(resolved) => resolved,
        Err(e) => return graphql::errors::app_error_response(e, &info),
    };
    let anonymous = matches!(caller, crate::auth::Caller::Anonymous) && !headers.contains_key(header::AUTHORIZATION);
    let introspection_only = match guard(&state.shape, &state.app.config, &caller, &mut request) {
        Ok(introspection_only) => introspection_only,
        Err(e) => return graphql::errors::app_error_response(e, &info),
    };
    if matches!(persisted, Persisted::Register) && request.parsed_query().is_ok() {
        // A document that parses and passed the pre-pass; a full store only
        // means the client keeps sending the text.
        match crate::service::persisted_queries::register(&state.app, &request.query).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(request_id = %info.request_id, "persisted query store is full; not registered"),
            Err(e) => tracing::warn!(request_id = %info.request_id, error = %e, "cannot register a persisted query"),
        }
    }
    let loaders = graphql::loaders::new_loaders(&state.app);
    if let Some(session) = caller_row.as_ref().and_then(|rows| rows.session_id) {
        request = request.data(crate::auth::CurrentSession(session));
    }
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
    let cache_control = match method {
        Method::Post => None,
        Method::Get if !response.errors.is_empty() => Some("no-store".to_owned()),
        Method::Get if !anonymous => Some("private, no-cache".to_owned()),
        Method::Get => Some(match state.app.config.persisted.get_cache_seconds {
            0 => "public, no-cache".to_owned(),
            seconds => format!("public, max-age={seconds}"),
        }),
    };
    match bounded_json(&response, &info) {
        Ok(body) => {
            let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Some(value) = cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::CACHE_CONTROL, value);
                response.headers_mut().insert(header::VARY, HeaderValue::from_static("Authorization, Accept-Language"));
            }
            response
        }
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
/// at once stay well under 300 MiB of memory (206–232 MiB measured,
/// bench/RESULTS.md; at 24 MiB it was 226–295).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

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
            Err(AppError::too_complex(
                crate::error::ComplexityLimit::ResponseBytes,
                MAX_RESPONSE_BYTES + 1,
                MAX_RESPONSE_BYTES,
            ))
        }
        Err(e) => Err(AppError::internal(format!("response serialization: {e}"))),
    }
}

/// The pre-pass every GraphQL door runs before anything executes (issues 12
/// and 20): `POST /graphql`, and every `subscribe` on the WebSocket, of every
/// operation type. Returns whether the document is introspection-only (it then
/// runs on the introspection schema; the pre-pass still bounds its size,
/// expanded fields, aliases and root fields).
///
/// With introspection off, a document that asks for `__schema` or `__type`
/// gets an error (FORBIDDEN, reason INTROSPECTION_DISABLED) instead of the
/// silent `null` async-graphql would answer (issue 24).
pub(super) fn guard(
    shape: &graphql::cost::SchemaShape,
    config: &crate::config::Config,
    caller: &crate::auth::Caller,
    request: &mut async_graphql::Request,
) -> AppResult<bool> {
    let limits = &config.query_limits;
    if !config.introspection
        && (request.query.contains("__schema") || request.query.contains("__type"))
        && request.query.len() <= limits.authenticated.max_bytes
        && request.parsed_query().is_ok_and(crate::graphql::introspection::asks_for_the_schema)
    {
        return Err(AppError::IntrospectionDisabled);
    }
    let introspection_only = request.query.len() <= limits.authenticated.max_bytes
        && crate::graphql::introspection::is_introspection_only(request);
    match caller {
        crate::auth::Caller::Authenticated(_) => precheck(shape, request, &limits.authenticated)?,
        // Without a token only small documents run; a larger one that a
        // signed-in caller could send needs a token (UNAUTHENTICATED).
        _ => match precheck(shape, request, &limits.anonymous) {
            Err(AppError::QueryTooComplex { .. }) => {
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
        RequestInfo { request_id: "t".to_owned(), lang: Default::default(), client: None, user_agent: None }
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
        assert!(matches!(bounded_json(&big, &info()), Err(AppError::QueryTooComplex { .. })));
    }
}
