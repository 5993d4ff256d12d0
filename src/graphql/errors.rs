//! Writing errors into responses: every error gets `extensions.code` (SPEC
//! §10) and a message in the caller's language; internal causes are logged
//! with the request id and never sent.

use async_graphql::{ErrorExtensionValues, Response, ServerError};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response as HttpResponse},
};

use crate::{
    error::{AppError, Invalid},
    i18n,
    state::RequestInfo,
};

fn extensions(code: &str, info: &RequestInfo) -> ErrorExtensionValues {
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    ext.set("requestId", info.request_id.as_str());
    ext
}

/// The localized message and extensions for an `AppError`: `code`, and
/// for every code with more than one cause a machine-readable `reason` with
/// the figures a console needs (issue 24; README "Errors").
pub fn describe(err: &AppError, info: &RequestInfo) -> (String, ErrorExtensionValues) {
    let mut ext = extensions(err.code(), info);
    let mut message = i18n::message(err, info.lang);
    if let Some(reason) = err.reason() {
        ext.set("reason", reason);
    }
    match err {
        AppError::Internal(cause) => {
            tracing::error!(request_id = %info.request_id, cause = %cause, "internal error");
            message = format!("{message} (request id {})", info.request_id);
        }
        AppError::NotFound { entity } => ext.set("entity", entity.code()),
        AppError::Validation { field, reason } => {
            ext.set("field", field.as_str());
            match reason {
                Invalid::TooLong { max } => ext.set("max", *max as u64),
                Invalid::OutOfRange { min, max } => {
                    ext.set("min", *min);
                    ext.set("max", *max);
                }
                Invalid::RangeTooLong { max_months } => ext.set("maxMonths", *max_months),
                _ => {}
            }
        }
        AppError::CurrencyNotSupported { currency } => ext.set("currency", currency.as_str()),
        AppError::CurrencyFixedForTerm { currency, target } => {
            ext.set("currency", currency.as_str());
            ext.set("targetCurrency", target.as_str());
        }
        AppError::InsufficientLicenses { available } => ext.set("available", *available),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => {
            ext.set("assigned", *assigned);
            ext.set("toUnassign", *to_unassign);
        }
        AppError::TooManyUsers { max } => ext.set("max", *max as u64),
        AppError::QueryTooComplex { limit, actual, max } => {
            // `cost` for the cost limit (pages multiplied out), `actual` for any.
            if *limit == crate::error::ComplexityLimit::Cost {
                ext.set("cost", *actual);
            }
            ext.set("actual", *actual);
            ext.set("limit", *max);
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
    no_store((status, axum::Json(error_body(message, extensions("VALIDATION_FAILED", info)))).into_response())
}

/// An error is never cached, by the client or a cache in front (issue 24).
fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
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
    no_store((status, axum::Json(error_body(message, ext))).into_response())
}

/// An AppError raised before execution (e.g. the database is down while resolving the caller).
pub fn app_error_response(err: AppError, info: &RequestInfo) -> HttpResponse {
    let (message, ext) = describe(&err, info);
    let status = if matches!(err, AppError::Internal(_)) { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    no_store((status, axum::Json(error_body(&message, ext))).into_response())
}

/// An error of a plain HTTP API (the publisher API, R46): the same body as a
/// GraphQL error (`errors[0].message`, `extensions.code`, …) with an HTTP
/// status that says the same thing.
pub fn rest_error(err: AppError, info: &RequestInfo) -> HttpResponse {
    let (message, ext) = describe(&err, info);
    let status = match err.code() {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "VALIDATION_FAILED" | "TOO_MANY_USERS" => StatusCode::BAD_REQUEST,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::CONFLICT,
    };
    let mut response = no_store((status, axum::Json(error_body(&message, ext))).into_response());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}
