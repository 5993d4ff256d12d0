//! R50: the OAuth 2.0 token endpoint, `POST /oauth/token`
//! (`application/x-www-form-urlencoded`, RFC 6749 §3.2). Clients
//! authenticate with HTTP Basic (RFC 6749 §2.3.1) or `client_id` and
//! `client_secret` in the body, never both. Grant types:
//! `client_credentials` (a publisher's app, §4.4). Answers are JSON with
//! `Cache-Control: no-store`; refusals are `{"error", "error_description"}`
//! with the standard codes (§5.2), `invalid_client` as 401.
//!
//! R53: `authorization_code` (a publisher's portal, §4.1.3 with PKCE,
//! RFC 7636) and `refresh_token` (§6; refresh tokens rotate). Both need the
//! client's secret. `POST /oauth/revoke` (RFC 7009) gives a token up.

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
    service::{api_clients, portal},
    state::{self, AppState},
};

pub const TOKEN_PATH: &str = "/oauth/token";
/// RFC 7009: where clients give tokens up (R53).
pub const REVOKE_PATH: &str = "/oauth/revoke";
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
    let scopes: Vec<&str> = Scope::APP.iter().chain(Scope::PORTAL.iter()).map(|s| s.as_str()).collect();
    let body = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}{}", crate::http::portal::AUTHORIZE_PATH),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "revocation_endpoint": format!("{base}{REVOKE_PATH}"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
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
        Some(grant @ ("authorization_code" | "refresh_token")) => match client_of(&state, &headers, &params).await {
            Err(e) => Err(e),
            Ok(Err((r, basic))) => Ok(refusal(r, basic)),
            Ok(Ok((client, basic))) => {
                let text = |name: &str| params.get(name).map(String::as_str);
                let issued = if grant == "authorization_code" {
                    match text("code") {
                        None => Ok(Err(OAuthRefusal::InvalidRequest)),
                        Some(code) => {
                            portal::exchange_code(&state, &client, code, text("redirect_uri"), text("code_verifier"))
                                .await
                        }
                    }
                } else {
                    match text("refresh_token") {
                        None => Ok(Err(OAuthRefusal::InvalidRequest)),
                        Some(token) => portal::refresh(&state, &client, token, text("scope")).await,
                    }
                };
                issued.map(|answer| match answer {
                    Ok(pair) => {
                        token_answer(&pair.access_token, pair.expires_in, &pair.scope, Some(&pair.refresh_token))
                    }
                    Err(r) => refusal(r, basic),
                })
            }
        },
        Some(_) => Ok(refusal(OAuthRefusal::UnsupportedGrantType, basic)),
    };
    outcome.unwrap_or_else(|e| rest_error(e, &info))
}

/// The client authenticated with its secret (header or body), or the
/// refusal and whether Basic was used.
async fn client_of(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<Result<(entity::api_client::Model, bool), (OAuthRefusal, bool)>, AppError> {
    let basic = basic_credentials(headers).is_some();
    match client_credentials_of(headers, params) {
        Err(r) => Ok(Err((r, basic))),
        Ok((_, None, basic)) => Ok(Err((OAuthRefusal::InvalidClient, basic))),
        Ok((id, Some(secret), basic)) => Ok(match api_clients::authenticate(state, &id, &secret).await? {
            Some(client) => Ok((client, basic)),
            None => Err((OAuthRefusal::InvalidClient, basic)),
        }),
    }
}

/// `POST /oauth/revoke` (RFC 7009): the client authenticates; the answer is
/// 200 whether or not the token was known (§2.2).
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let info = state::request_info(&headers);
    let Some(params) = form(&body) else {
        return refusal(OAuthRefusal::InvalidRequest, false);
    };
    let outcome = match client_of(&state, &headers, &params).await {
        Err(e) => Err(e),
        Ok(Err((r, basic))) => Ok(refusal(r, basic)),
        Ok(Ok((client, _))) => match params.get("token") {
            None => Ok(refusal(OAuthRefusal::InvalidRequest, false)),
            Some(token) => {
                portal::revoke_token(&state, &client, token).await.map(|()| no_store(StatusCode::OK.into_response()))
            }
        },
    };
    outcome.unwrap_or_else(|e| rest_error(e, &info))
}
