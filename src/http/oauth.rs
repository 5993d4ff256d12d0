//! R50: the OAuth 2.0 token endpoint, `POST /oauth/token`
//! (`application/x-www-form-urlencoded`, RFC 6749 §3.2). Clients
//! authenticate with HTTP Basic (RFC 6749 §2.3.1) or `client_id` and
//! `client_secret` in the body, never both. Grant types:
//! `client_credentials` (a publisher's app, §4.4). Answers are JSON with
//! `Cache-Control: no-store`; refusals are `{"error", "error_description"}`
//! with the standard codes (§5.2), `invalid_client` as 401.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::json;

use crate::{
    auth::oauth::OAuthRefusal,
    error::AppError,
    graphql::errors::rest_error,
    service::api_clients,
    state::{self, AppState},
};

pub const TOKEN_PATH: &str = "/oauth/token";
/// RFC 8414: where OAuth clients discover the token endpoint.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

pub(crate) fn refusal(refusal: OAuthRefusal, basic: bool) -> Response {
    let status =
        if refusal == OAuthRefusal::InvalidClient { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let body = json!({"error": refusal.code(), "error_description": refusal.description()});
    let mut response = no_store((status, axum::Json(body)).into_response());
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if basic { "Basic realm=\"licensedesk\"" } else { "Bearer" };
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

/// The form's parameters; None when one is repeated (RFC 6749 §3.2: parameters
/// must not be included more than once).
fn form(body: &[u8]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if params.insert(key.into_owned(), value.into_owned()).is_some() {
            return None;
        }
    }
    Some(params)
}

/// Client credentials from an HTTP Basic header: `client_id:client_secret`,
/// each form-urlencoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), OAuthRefusal>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok().and_then(|b| String::from_utf8(b).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(Err(OAuthRefusal::InvalidClient));
    };
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    match (unescape(id), unescape(secret)) {
        (Some(id), Some(secret)) => Some(Ok((id, secret))),
        _ => Some(Err(OAuthRefusal::InvalidClient)),
    }
}

/// The client's credentials from the header or the body (not both).
pub(crate) fn client_credentials_of(
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(String, Option<String>, bool), OAuthRefusal> {
    let in_body = (params.get("client_id").cloned(), params.get("client_secret").cloned());
    match (basic_credentials(headers), in_body) {
        (Some(_), (_, Some(_))) => Err(OAuthRefusal::InvalidRequest),
        (Some(basic), _) => basic.map(|(id, secret)| (id, Some(secret), true)),
        (None, (Some(id), secret)) => Ok((id, secret, false)),
        (None, (None, _)) => Err(OAuthRefusal::InvalidClient),
    }
}

fn token_answer(access_token: &str, expires_in: i64, scope: &str, refresh_token: Option<&str>) -> Response {
    let mut body =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": scope});
    if let Some(refresh) = refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    no_store((StatusCode::OK, axum::Json(body)).into_response())
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414): the issuer is
/// the server's public address (`LICENSEDESK_PUBLIC_BASE_URL`).
pub async fn metadata(State(state): State<AppState>) -> Response {
    use crate::auth::Scope;
    let base = &state.config.public_base_url;
    let scopes: Vec<&str> = Scope::APP.iter().map(|s| s.as_str()).collect();
    let body = json!({
        "issuer": base,
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        // No authorization endpoint yet: nothing is issued through the browser.
        "response_types_supported": [],
    });
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

/// `POST /oauth/token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let info = state::request_info(&headers);
    let Some(params) = form(&body) else {
        return refusal(OAuthRefusal::InvalidRequest, false);
    };
    let basic = basic_credentials(&headers).is_some();
    let outcome: Result<Response, AppError> = match params.get("grant_type").map(String::as_str) {
        None => Ok(refusal(OAuthRefusal::InvalidRequest, basic)),
        Some("client_credentials") => match client_credentials_of(&headers, &params) {
            Err(r) => Ok(refusal(r, basic)),
            Ok((_, None, _)) => Ok(refusal(OAuthRefusal::InvalidClient, basic)),
            Ok((id, Some(secret), basic)) => {
                api_clients::client_credentials(&state, &id, &secret, params.get("scope").map(String::as_str))
                    .await
                    .map(|answer| match answer {
                        Ok(t) => token_answer(&t.access_token, t.expires_in, &t.scope, None),
                        Err(r) => refusal(r, basic),
                    })
            }
        },
        Some(_) => Ok(refusal(OAuthRefusal::UnsupportedGrantType, basic)),
    };
    outcome.unwrap_or_else(|e| rest_error(e, &info))
}
