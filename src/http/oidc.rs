//! R48: the browser's part of single sign-on.
//!
//! - `GET /auth/oidc/{organization}/start?returnTo=…[&loginHint=…]` sends the
//!   browser to the organization's identity provider.
//! - `GET /auth/oidc/callback` is where the provider sends it back; it goes on
//!   to `returnTo` with `sso_code` (one-time, a minute; the client exchanges it
//!   with the `signInWithSingleSignOn` mutation for its tokens) or with
//!   `sso_error` (the reason, e.g. `ID_TOKEN_INVALID`).
//!
//! What cannot be sent back to a trusted `returnTo` (a `returnTo` on an origin
//! not allowed, an unknown, used or expired `state`) is answered here with
//! status 400 and a GraphQL-shaped error: the same codes and messages as
//! every other door (R46).

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde_json::json;

use crate::{
    error::AppError,
    i18n,
    service::sso::flow::{self, CallbackParams},
    state::{self, AppState},
};

pub const START_PATH: &str = "/auth/oidc/{organization}/start";
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

/// Nothing of a sign-in is cached or leaks through `Referer`.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn error_response(headers: &HeaderMap, err: &AppError) -> Response {
    let info = state::request_info(headers);
    let status = match err {
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, request_id = %info.request_id, "single sign-on");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let mut extensions = json!({"code": err.code()});
    if let Some(reason) = err.reason() {
        extensions["reason"] = json!(reason);
    }
    if let AppError::Validation { field, .. } = err {
        extensions["field"] = json!(field);
    }
    if matches!(err, AppError::Internal(_)) {
        extensions["requestId"] = json!(info.request_id);
    }
    let body = json!({"errors": [{"message": i18n::message(err, info.lang), "extensions": extensions}]});
    private((status, Json(body)).into_response())
}

/// `return_to` with one more query parameter.
fn back_to(return_to: &str, key: &str, value: &str) -> Response {
    match url::Url::parse(return_to) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair(key, value);
            private(Redirect::to(url.as_str()).into_response())
        }
        // `return_to` was checked when the sign-in started.
        Err(_) => private(StatusCode::BAD_REQUEST.into_response()),
    }
}

pub async fn start(
    State(state): State<AppState>,
    Path(organization): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let return_to = match flow::return_to(&state, query.get("returnTo").map(String::as_str).unwrap_or_default()) {
        Ok(return_to) => return_to,
        Err(e) => return error_response(&headers, &e),
    };
    // An organization ID that is not one answers like an organization without single sign-on.
    let organization = uuid::Uuid::parse_str(&organization).unwrap_or_default();
    let hint = query.get("loginHint").map(String::as_str);
    match flow::start(&state, state.oidc.as_ref(), organization, &return_to, hint).await {
        Ok(authorize) => private(Redirect::to(&authorize).into_response()),
        Err(AppError::SignInRefused { reason }) => back_to(&return_to, "sso_error", reason.code()),
        Err(e) => error_response(&headers, &e),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    Query(mut query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let params =
        CallbackParams { state: query.remove("state"), code: query.remove("code"), error: query.remove("error") };
    match flow::callback(&state, state.oidc.as_ref(), params).await {
        Ok(returning) => match returning.outcome {
            Ok(code) => back_to(&returning.return_to, "sso_code", &code),
            Err(reason) => back_to(&returning.return_to, "sso_error", reason.code()),
        },
        Err(e) => error_response(&headers, &e),
    }
}
