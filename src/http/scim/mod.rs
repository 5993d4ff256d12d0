//! R49: SCIM 2.0 (RFC 7644) at `/scim/v2` — the HTTP side only. Every
//! request carries an organization's SCIM bearer token
//! (`service::directory::tokens::authenticate`); the rules are in
//! `service::directory`. Same door rules as everywhere (R46): the router's
//! body limit and timeout, SPEC §10 errors (as SCIM error responses with
//! `status`, `scimType` and the localized message), NOT_FOUND for what the
//! token may not see (R3, R37).

mod discovery;
mod resources;

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{FromRef, Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use resources::{Groups, ScimResource, Users};

use crate::{
    access::directory::Directory,
    error::{AppError, EntityKind, Invalid, StateReason},
    service::directory::{self as svc, Base, Edit, ListPage, ListRequest, tokens},
    state::{AppState, RequestInfo, bearer_token, request_info},
};

pub const SCIM_PATH: &str = "/scim/v2";
const CONTENT_TYPE: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

pub fn routes<S>() -> Router<S>
where
    AppState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(discovery::service_provider_config))
        .route("/scim/v2/Schemas", get(discovery::schemas))
        .route("/scim/v2/Schemas/{id}", get(discovery::schema))
        .route("/scim/v2/ResourceTypes", get(discovery::resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(discovery::resource_type))
        .route("/scim/v2/Users", get(list::<Users>).post(create::<Users>))
        .route("/scim/v2/Users/.search", post(search::<Users>))
        .route(
            "/scim/v2/Users/{id}",
            get(get_one::<Users>).put(replace::<Users>).patch(patch::<Users>).delete(delete::<Users>),
        )
        .route("/scim/v2/Groups", get(list::<Groups>).post(create::<Groups>))
        .route("/scim/v2/Groups/.search", post(search::<Groups>))
        .route(
            "/scim/v2/Groups/{id}",
            get(get_one::<Groups>).put(replace::<Groups>).patch(patch::<Groups>).delete(delete::<Groups>),
        )
        .route("/scim/v2/.search", post(search_everything))
        .route("/scim/v2", get(not_found))
        .route("/scim/v2/{*rest}", get(not_found).post(not_found).put(not_found).patch(not_found).delete(not_found))
}

/// A SCIM response: JSON as `application/scim+json`, never cached.
fn scim(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A resource with its `ETag` (= `meta.version`) and `Location` headers.
fn resource(status: StatusCode, body: Value) -> Response {
    let version = body["meta"]["version"].as_str().and_then(|v| HeaderValue::from_str(v).ok());
    let location = body["meta"]["location"].as_str().and_then(|v| HeaderValue::from_str(v).ok());
    let mut response = scim(status, body);
    if let Some(version) = version {
        response.headers_mut().insert(header::ETAG, version);
    }
    if let (Some(location), StatusCode::CREATED) = (location, status) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// RFC 7644 §3.12: an error as SCIM says it, from the one error type (SPEC §10).
fn error(err: AppError, info: &RequestInfo) -> Response {
    let (status, scim_type) = match &err {
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, None),
        AppError::Forbidden => (StatusCode::FORBIDDEN, None),
        AppError::NotFound { .. } => (StatusCode::NOT_FOUND, None),
        AppError::Validation { reason: Invalid::Duplicate, .. } => (StatusCode::CONFLICT, Some("uniqueness")),
        AppError::Validation { field, reason } => (
            StatusCode::BAD_REQUEST,
            Some(match (field.as_str(), reason) {
                ("filter", _) => "invalidFilter",
                ("path", Invalid::Required) => "noTarget",
                ("path", _) => "invalidPath",
                ("Operations" | "op" | "body", _) => "invalidSyntax",
                _ => "invalidValue",
            }),
        ),
        AppError::InvalidState { reason: StateReason::VersionChanged } => (StatusCode::PRECONDITION_FAILED, None),
        AppError::UserNotInOrganization => (StatusCode::BAD_REQUEST, Some("invalidValue")),
        AppError::TooManyUsers { .. } => (StatusCode::BAD_REQUEST, Some("tooMany")),
        AppError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, None),
        AppError::Internal(cause) => {
            tracing::error!(request_id = %info.request_id, cause = %cause, "SCIM request failed");
            (StatusCode::INTERNAL_SERVER_ERROR, None)
        }
        _ => (StatusCode::CONFLICT, None),
    };
    let mut detail = crate::i18n::message(&err, info.lang);
    if matches!(err, AppError::Internal(_)) {
        detail = format!("{detail} (request {})", info.request_id);
    }
    let mut body = json!({"schemas": [ERROR_SCHEMA], "status": status.as_u16().to_string(), "detail": detail});
    if let Some(scim_type) = scim_type {
        body["scimType"] = json!(scim_type);
    }
    let mut response = scim(status, body);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"SCIM\""));
    }
    response
}

/// The request's directory (its token), its facts, and the base URL of resources.
struct Call {
    dir: Directory,
    info: RequestInfo,
    base: Base,
}

async fn call(state: &AppState, headers: &HeaderMap) -> Result<Call, Response> {
    let info = request_info(headers);
    match tokens::authenticate(state, bearer_token(headers)).await {
        Ok(dir) => Ok(Call { dir, base: Base(format!("{}{SCIM_PATH}", state.config.public_base_url)), info }),
        Err(e) => Err(error(e, &info)),
    }
}

fn body_json(body: &Bytes) -> Result<Value, AppError> {
    serde_json::from_slice(body).map_err(|_| AppError::validation("body", Invalid::BadFormat))
}

fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Query parameters, names compared case-insensitively.
fn params(query: Option<String>) -> HashMap<String, String> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned())).collect()
        })
        .unwrap_or_default()
}

fn names(value: Option<&String>) -> Vec<String> {
    value.map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// What a list or search asks for.
struct Listing {
    request: ListRequest,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

fn number(value: Option<&str>, field: &str) -> Result<Option<i64>, AppError> {
    value.map(|v| v.trim().parse::<i64>().map_err(|_| AppError::validation(field, Invalid::BadFormat))).transpose()
}

fn listing_from_query(query: Option<String>) -> Result<Listing, AppError> {
    let params = params(query);
    Ok(Listing {
        request: ListRequest {
            filter: params.get("filter").cloned(),
            start_index: number(params.get("startindex").map(String::as_str), "startIndex")?,
            count: number(params.get("count").map(String::as_str), "count")?,
        },
        attributes: names(params.get("attributes")),
        excluded: names(params.get("excludedattributes")),
    })
}

fn listing_from_body(body: &Bytes) -> Result<Listing, AppError> {
    let body = if body.is_empty() { json!({"schemas": [SEARCH_SCHEMA]}) } else { body_json(body)? };
    let field = |name: &str| svc::filter::field(&body, name).cloned();
    let list = |name: &str| -> Vec<String> {
        match field(name) {
            Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
            Some(Value::String(s)) => names(Some(&s)),
            _ => Vec::new(),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, AppError> {
        match field(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_i64()),
            Some(Value::String(s)) => number(Some(&s), name),
            Some(_) => Err(AppError::validation(name, Invalid::BadFormat)),
        }
    };
    Ok(Listing {
        request: ListRequest {
            filter: field("filter").and_then(|f| f.as_str().map(str::to_owned)),
            start_index: int("startIndex")?,
            count: int("count")?,
        },
        attributes: list("attributes"),
        excluded: list("excludedAttributes"),
    })
}

fn list_response(page: ListPage, listing: &Listing) -> Response {
    let resources: Vec<Value> =
        page.resources.into_iter().map(|r| svc::project(r, &listing.attributes, &listing.excluded)).collect();
    scim(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": page.total,
            "startIndex": page.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

fn projected(value: Value, query: Option<String>) -> Value {
    let params = params(query);
    svc::project(value, &names(params.get("attributes")), &names(params.get("excludedattributes")))
}

fn id(text: &str, entity: EntityKind) -> Result<uuid::Uuid, AppError> {
    svc::resource_id(text, AppError::NotFound { entity })
}

macro_rules! try_or {
    ($expr:expr, $info:expr) => {
        match $expr {
            Ok(value) => value,
            Err(e) => return error(e, $info),
        }
    };
}

macro_rules! call_or {
    ($state:expr, $headers:expr) => {
        match call(&$state, &$headers).await {
            Ok(call) => call,
            Err(response) => return response,
        }
    };
}

// ---- Users and Groups: one handler per verb (resources.rs) ----

async fn list<R: ScimResource>(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let c = call_or!(state, headers);
    let listing = try_or!(listing_from_query(query), &c.info);
    let page = try_or!(R::list(&state, &c.dir, &c.base, &listing.request).await, &c.info);
    list_response(page, &listing)
}

async fn search<R: ScimResource>(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let c = call_or!(state, headers);
    let listing = try_or!(listing_from_body(&body), &c.info);
    let page = try_or!(R::list(&state, &c.dir, &c.base, &listing.request).await, &c.info);
    list_response(page, &listing)
}

async fn create<R: ScimResource>(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let c = call_or!(state, headers);
    let body = try_or!(body_json(&body), &c.info);
    resource(StatusCode::CREATED, try_or!(R::create(&state, &c.dir, &c.base, &body).await, &c.info))
}

async fn get_one<R: ScimResource>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(resource_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let c = call_or!(state, headers);
    let resource_id = try_or!(id(&resource_id, R::ENTITY), &c.info);
    let found = try_or!(R::get(&state, &c.dir, &c.base, resource_id).await, &c.info);
    resource(StatusCode::OK, projected(found, query))
}

async fn replace<R: ScimResource>(
    state: State<AppState>,
    headers: HeaderMap,
    resource_id: Path<String>,
    body: Bytes,
) -> Response {
    update::<R>(state, headers, resource_id, body, false).await
}

async fn patch<R: ScimResource>(
    state: State<AppState>,
    headers: HeaderMap,
    resource_id: Path<String>,
    body: Bytes,
) -> Response {
    update::<R>(state, headers, resource_id, body, true).await
}

/// PUT and PATCH: the same steps; `patching` says how the body is read.
async fn update<R: ScimResource>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(resource_id): Path<String>,
    body: Bytes,
    patching: bool,
) -> Response {
    let c = call_or!(state, headers);
    let resource_id = try_or!(id(&resource_id, R::ENTITY), &c.info);
    let body = try_or!(body_json(&body), &c.info);
    let edit = if patching { Edit::Patch(&body) } else { Edit::Replace(&body) };
    let done = R::update(&state, &c.dir, &c.base, resource_id, edit, if_match(&headers).as_deref()).await;
    resource(StatusCode::OK, try_or!(done, &c.info))
}

async fn delete<R: ScimResource>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(resource_id): Path<String>,
) -> Response {
    let c = call_or!(state, headers);
    let resource_id = try_or!(id(&resource_id, R::ENTITY), &c.info);
    try_or!(R::delete(&state, &c.dir, &c.base, resource_id, if_match(&headers).as_deref()).await, &c.info);
    StatusCode::NO_CONTENT.into_response()
}

/// RFC 7644 §3.4.3: searching every resource type at once is not offered (501).
async fn search_everything(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = call_or!(state, headers);
    let body = json!({"schemas": [ERROR_SCHEMA], "status": "501",
        "detail": "Search /Users/.search or /Groups/.search instead."});
    let _ = c;
    scim(StatusCode::NOT_IMPLEMENTED, body)
}

async fn not_found(headers: HeaderMap) -> Response {
    error(AppError::NotFound { entity: EntityKind::Object }, &request_info(&headers))
}
