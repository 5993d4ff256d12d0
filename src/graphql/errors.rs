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

fn rewrite(mut error: ServerError, info: &RequestInfo) -> ServerError {
    // Every error a resolver raises is an `AppError` (internal causes included),
    // so the error's kind is its source, not its text.
    if let Some(app) = error.source::<AppError>() {
        let (message, ext) = describe(app, info);
        error.message = message;
        error.extensions = Some(ext);
        return error;
    }
    // Without that source the error is async-graphql's own: a limit, or input
    // the client got wrong (syntax, unknown field, wrong type, a missing
    // required variable). async-graphql gives limits no kind of their own, so
    // only they are told apart by their text.
    let text = &error.message;
    if text.contains("too complex") || text.contains("nested too deep") || text.contains("recursion depth") {
        let (message, ext) = describe(&AppError::QueryTooComplex, info);
        error.message = message;
        error.extensions = Some(ext);
    } else {
        error.extensions = Some(extensions("VALIDATION_FAILED", info));
    }
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

/// An AppError raised before execution (e.g. the database is down while resolving the caller).
pub fn app_error_response(err: AppError, info: &RequestInfo) -> HttpResponse {
    let (message, ext) = describe(&err, info);
    let status = if matches!(err, AppError::Internal(_)) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    (status, axum::Json(error_body(&message, ext))).into_response()
}
