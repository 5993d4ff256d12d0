//! Writing errors into responses: every error gets `extensions.code` (SPEC
//! §10) and a message in the caller's language; internal causes are logged
//! with the request id and never sent.

use async_graphql::{ErrorExtensionValues, Response, ServerError};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response as HttpResponse},
};

use crate::{error::AppError, i18n, state::RequestInfo};

fn extensions(code: &str, info: &RequestInfo) -> ErrorExtensionValues {
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    ext.set("requestId", info.request_id.as_str());
    ext
}

/// The localized message and extensions for an `AppError`.
pub fn describe(err: &AppError, info: &RequestInfo) -> (String, ErrorExtensionValues) {
    let mut ext = extensions(err.code(), info);
    let mut message = i18n::message(err, info.lang);
    // Issue 19/24: INVALID_STATE says in `reason` which state refused it.
    if let Some(reason) = err.state_reason() {
        ext.set("reason", reason.code());
    }
    match err {
        AppError::Internal(cause) => {
            tracing::error!(request_id = %info.request_id, cause = %cause, "internal error");
            message = format!("{message} (request id {})", info.request_id);
        }
        AppError::Validation { field, .. } => ext.set("field", field.as_str()),
        AppError::InsufficientLicenses { available } => ext.set("available", *available),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => {
            ext.set("assigned", *assigned);
            ext.set("toUnassign", *to_unassign);
        }
        _ => {}
    }
    (message, ext)
}

/// The SPEC §10 code an error is answered with, read from its kind and
/// never from its text. Every error a resolver or the pre-pass raises is an
/// `AppError` (internal causes included); without that source the error is
/// async-graphql's own, which is input the client got wrong (syntax, unknown
/// field, wrong type, a missing required variable). Document limits (size,
/// cost, depth, recursion) are the typed pre-pass's (`cost`), which runs
/// first. `/metrics` counts outcomes with this same function, so the
/// response and the metric never disagree.
pub fn code_of(error: &ServerError) -> &'static str {
    match error.source::<AppError>() {
        Some(app) => app.code(),
        None => "VALIDATION_FAILED",
    }
}

fn rewrite(mut error: ServerError, info: &RequestInfo) -> ServerError {
    if let Some(app) = error.source::<AppError>() {
        let (message, ext) = describe(app, info);
        error.message = message;
        error.extensions = Some(ext);
        return error;
    }
    error.extensions = Some(extensions(code_of(&error), info));
    error
}

pub fn finish_response(mut response: Response, info: &RequestInfo) -> Response {
    response.errors = response.errors.into_iter().map(|e| rewrite(e, info)).collect();
    response
}

fn error_body(message: &str, ext: ErrorExtensionValues) -> serde_json::Value {
    let mut error = ServerError::new(message, None);
    error.extensions = Some(ext);
    let response = Response::from_errors(vec![error]);
    serde_json::to_value(&response).unwrap_or_default()
}

/// A request that never reached the executor (wrong content type, bad JSON).
pub fn request_error(status: StatusCode, message: &str, info: &RequestInfo) -> HttpResponse {
    (status, axum::Json(error_body(message, extensions("VALIDATION_FAILED", info)))).into_response()
}

/// A transport-level answer with its own code and `reason` (persisted
/// queries, a mutation over GET; issue 24). `PersistedQueryNotFound` is
/// Apollo's protocol message, which clients match on, so it is not localized.
pub fn protocol_error(
    status: StatusCode,
    message: &str,
    code: &str,
    reason: Option<&str>,
    info: &RequestInfo,
) -> HttpResponse {
    let mut ext = extensions(code, info);
    if let Some(reason) = reason {
        ext.set("reason", reason);
    }
    let mut response = (status, axum::Json(error_body(message, ext))).into_response();
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

/// An AppError raised before execution (e.g. the database is down while resolving the caller).
pub fn app_error_response(err: AppError, info: &RequestInfo) -> HttpResponse {
    let (message, ext) = describe(&err, info);
    let status = if matches!(err, AppError::Internal(_)) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    (status, axum::Json(error_body(&message, ext))).into_response()
}
