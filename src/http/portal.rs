//! R53: the publisher's portal — delegated access with the OAuth 2.0
//! authorization code grant and PKCE (S256).
//!
//! - `GET /oauth/authorize?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…&code_challenge=…&code_challenge_method=S256`
//!   shows the consent page (server-rendered): the publisher, the client,
//!   the scopes, a sign-in form (e-mail and password) and Approve / Deny.
//! - `POST /oauth/authorize` (the form; a one-time form token bound to the
//!   pending request is the CSRF protection) sends the browser back to the
//!   redirect URI with `code` and `state`, or `error=access_denied`.
//!   Errors before a trusted redirect URI are a page (status 400).
//! - Single sign-on on the consent page (R48): the form's `decision=sso` with
//!   the `organization` ID sends the browser to `/auth/oidc/{organization}/start`
//!   with `returnTo` = `/oauth/authorize?resume=…` on the server's own public
//!   address (a one-time token of the pending request, not a credential);
//!   back there with `sso_code`, the page redeems the code itself (no session
//!   starts) and shows Allow / Deny for the signed-in person, the next form
//!   token bound to them (`sso_user`).
//! - The portal API (bearer token from `POST /oauth/token`, JSON, errors in
//!   the GraphQL error shape like the publisher API):
//!   - `GET /api/v1/portal/subscriptions[?first&after]` (`licenses.read`)
//!   - `GET /api/v1/portal/subscriptions/{id}` with its holders (`licenses.read`)
//!   - `GET /api/v1/portal/people?search=…[&first&after]` (`licenses.read`)
//!   - `POST /api/v1/portal/subscriptions/{id}/assignments` `{"userIds": […]}` (`licenses.assign`)
//!   - `POST /api/v1/portal/subscriptions/{id}/unassignments` `{"userIds": […]}` (`licenses.assign`)

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    auth::{PortalActor, Scope},
    error::{AppError, AppResult, EntityKind, Invalid},
    graphql::errors::rest_error,
    paging::{Page, Window},
    service::{
        licenses::MAX_USERS_PER_CALL,
        portal::{self, AuthorizeError, AuthorizeParams, ConsentForm, Decided, Decision, SignIn},
        portal_api::{self, PortalSubscription},
        sso::flow,
        validate,
    },
    state::{self, AppState},
};

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const SUBSCRIPTIONS_PATH: &str = "/api/v1/portal/subscriptions";
pub const SUBSCRIPTION_PATH: &str = "/api/v1/portal/subscriptions/{id}";
pub const ASSIGN_PATH: &str = "/api/v1/portal/subscriptions/{id}/assignments";
pub const UNASSIGN_PATH: &str = "/api/v1/portal/subscriptions/{id}/unassignments";
pub const PEOPLE_PATH: &str = "/api/v1/portal/people";

pub fn routes<S>() -> Router<S>
where
    AppState: axum::extract::FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize).post(consent))
        .route(SUBSCRIPTIONS_PATH, get(list_subscriptions))
        .route(SUBSCRIPTION_PATH, get(one_subscription))
        .route(ASSIGN_PATH, post(assign))
        .route(UNASSIGN_PATH, post(unassign))
        .route(PEOPLE_PATH, get(people))
}

/// The consent page is never cached, framed or leaked through `Referer`.
///
/// Its forms post to this server, but their answers redirect elsewhere: Allow
/// and Deny to the portal's registered `redirect_uri`, single sign-on to the
/// organization's identity provider. Browsers check `form-action` on each of
/// those redirects (Chromium does), so the consent page itself does not
/// restrict `form-action` (every value on it is escaped); other responses
/// keep `form-action 'self'`.
fn consent_private(response: Response) -> Response {
    let mut response = private(response);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    response
}

fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}\
label{display:block;margin:.6rem 0}input{width:100%;padding:.4rem}button{margin:.8rem .4rem 0 0;padding:.5rem 1rem}\
.error{color:#a00}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
<meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn scope_words(scope: Scope) -> &'static str {
    match scope {
        Scope::LicensesRead => {
            "See your organization's subscriptions of this publisher, their seat counts and your people"
        }
        Scope::LicensesAssign => "Assign and unassign licenses of those subscriptions",
        Scope::LicensesCheck | Scope::UsageWrite => "",
    }
}

fn consent_page(form: &ConsentForm, error: Option<&str>) -> Response {
    let scopes: String = form
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code> — {}</li>", s.as_str(), escape(scope_words(*s))))
        .collect();
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))).unwrap_or_default();
    let sign_in = match &form.signed_in {
        // R48: single sign-on signed this person in; the token is bound to them.
        Some(who) => format!(
            "<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"form_token\" value=\"{token}\">\
<input type=\"hidden\" name=\"sso_user\" value=\"{user}\">\
<p>Signed in through your organization's single sign-on as <strong>{name}</strong> ({email}).</p>\
<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
            action = AUTHORIZE_PATH,
            token = escape(&form.form_token),
            user = who.user_id,
            name = escape(&who.name),
            email = escape(&who.email),
        ),
        None => format!(
            "<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"form_token\" value=\"{token}\">\
<label>E-mail <input type=\"email\" name=\"email\" autocomplete=\"username\" required></label>\
<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\
<button type=\"submit\" name=\"decision\" value=\"approve\">Sign in and allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\
</form>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"form_token\" value=\"{token}\">\
<label>Organization ID <input type=\"text\" name=\"organization\" required></label>\
<button type=\"submit\" name=\"decision\" value=\"sso\">Sign in with your organization's single sign-on</button>\
</form>",
            action = AUTHORIZE_PATH,
            token = escape(&form.form_token),
        ),
    };
    let body = format!(
        "<h1>Allow {publisher}'s portal?</h1>\
<p><strong>{client}</strong> by <strong>{publisher}</strong> asks to act for you in LicenseDesk, \
on {publisher}'s subscriptions in your organization only:</p><ul>{scopes}</ul>\
<p>It acts with your rights: it stops when you lose them or an admin withdraws this consent.</p>{error}\
{sign_in}<p><small>You will return to {redirect}.</small></p>",
        publisher = escape(&form.publisher_name),
        client = escape(&form.client_name),
        redirect = escape(&form.redirect_uri),
    );
    consent_private((StatusCode::OK, Html(page("Allow access", &body))).into_response())
}

fn error_page(message: &str) -> Response {
    let body = format!("<h1>This request cannot go on</h1><p class=\"error\">{}</p>", escape(message));
    private((StatusCode::BAD_REQUEST, Html(page("Request refused", &body))).into_response())
}

fn refused(error: AuthorizeError) -> Response {
    match (&error, error.location()) {
        (_, Some(location)) => private(Redirect::to(&location).into_response()),
        (AuthorizeError::Page(message), None) => error_page(message),
        (AuthorizeError::Redirect { .. }, None) => error_page("The request was refused."),
    }
}

fn internal(headers: &HeaderMap, e: AppError) -> Response {
    private(rest_error(e, &state::request_info(headers)))
}

/// `GET /oauth/authorize`. A parameter sent twice is refused (RFC 6749 §3.1).
pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let mut params: HashMap<String, String> = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if params.insert(key.into_owned(), value.into_owned()).is_some() {
            return error_page("A parameter was sent more than once.");
        }
    }
    if let Some(resume) = params.get("resume") {
        return resumed(&state, &headers, resume, params.get("sso_code"), params.get("sso_error")).await;
    }
    let mut take = |name: &str| params.remove(name);
    let request = AuthorizeParams {
        response_type: take("response_type"),
        client_id: take("client_id"),
        redirect_uri: take("redirect_uri"),
        scope: take("scope"),
        state: take("state"),
        code_challenge: take("code_challenge"),
        code_challenge_method: take("code_challenge_method"),
    };
    match portal::begin(&state, request).await {
        Ok(Ok(form)) => consent_page(&form, None),
        Ok(Err(error)) => refused(error),
        Err(e) => internal(&headers, e),
    }
}

/// Where single sign-on brings the browser back for the pending request
/// behind `resume` (on the server's own origin, which `returnTo` allows).
fn resume_url(state: &AppState, resume: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("resume", resume).finish();
    format!("{}{AUTHORIZE_PATH}?{query}", state.config.public_base_url)
}

/// `GET /oauth/authorize?resume=…&sso_code=…` (or `sso_error=…`): back from
/// single sign-on (R48). The code is redeemed here, once, for the sign-in
/// started for this very request; no session starts.
async fn resumed(
    state: &AppState,
    headers: &HeaderMap,
    resume: &str,
    code: Option<&String>,
    sso_error: Option<&String>,
) -> Response {
    let return_to = resume_url(state, resume);
    let code = code.map(String::as_str).unwrap_or_default();
    let redeem = || flow::redeem_for(state, code, &return_to);
    match portal::resume(state, resume, sso_error.map(String::as_str), redeem).await {
        Ok(Ok((form, error))) => consent_page(&form, error),
        Ok(Err(error)) => refused(error),
        Err(e) => internal(headers, e),
    }
}

/// `decision=sso`: the request waits behind a new token while the browser
/// signs in at the organization's provider. An organization field that is no
/// ID goes on as an organization without single sign-on (it comes back with
/// `sso_error=PROVIDER_DISABLED`).
async fn to_single_sign_on(state: &AppState, headers: &HeaderMap, form_token: &str, organization: &str) -> Response {
    let organization = uuid::Uuid::parse_str(organization.trim()).unwrap_or_default();
    match portal::single_sign_on(state, form_token).await {
        Ok(Ok(resume)) => {
            let return_to: String =
                url::form_urlencoded::byte_serialize(resume_url(state, &resume).as_bytes()).collect();
            let start = crate::http::oidc::START_PATH.replace("{organization}", &organization.to_string());
            private(Redirect::to(&format!("{start}?returnTo={return_to}")).into_response())
        }
        Ok(Err(error)) => refused(error),
        Err(e) => internal(headers, e),
    }
}

/// `POST /oauth/authorize`: the consent form.
pub async fn consent(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let decision = match field("decision") {
        "approve" => Decision::Approve,
        "deny" => Decision::Deny,
        "sso" => return to_single_sign_on(&state, &headers, field("form_token"), field("organization")).await,
        _ => return error_page("The form was not answered with Allow or Deny."),
    };
    let client = state::request_info(&headers).client;
    let sign_in = match fields.get("sso_user") {
        Some(user_id) => SignIn::SingleSignOn { user_id },
        None => SignIn::Password { email: field("email"), password: field("password") },
    };
    match portal::decide(&state, field("form_token"), decision, sign_in, client).await {
        Ok(Ok(Decided::Redirect(location))) => private(Redirect::to(&location).into_response()),
        Ok(Ok(Decided::Retry(form, reason))) => {
            let mut response = consent_page(&form, Some(reason));
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Ok(Err(error)) => refused(error),
        Err(e) => internal(&headers, e),
    }
}

// ---- the portal API ----

/// The portal behind the request's bearer token; UNAUTHENTICATED for no
/// token, an unknown or expired one, a withdrawn consent, a revoked client,
/// or an admin who may no longer assign licenses.
async fn portal_of(state: &AppState, headers: &HeaderMap) -> AppResult<PortalActor> {
    let token = state::bearer_token(headers).ok_or(AppError::Unauthenticated)?;
    portal::resolve(state, token).await?.ok_or(AppError::Unauthenticated)
}

fn respond(result: AppResult<Value>, headers: &HeaderMap, needed: Scope) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response(),
        Err(e) => {
            let forbidden = e == AppError::Forbidden;
            let mut response = rest_error(e, &state::request_info(headers));
            if forbidden {
                // RFC 6750 §3.1: the token lacks the scope.
                let challenge = format!("Bearer error=\"insufficient_scope\", scope=\"{}\"", needed.as_str());
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
            }
            response
        }
    }
}

fn window(query: &HashMap<String, String>) -> AppResult<Window> {
    let first = match query.get("first") {
        None => None,
        Some(text) => Some(text.parse::<i32>().map_err(|_| AppError::validation("first", Invalid::BadFormat))?),
    };
    let after = query.get("after").map(|a| validate::required_text("after", a, 500)).transpose()?;
    Window::parse(first, after.as_deref())
}

fn page_json<T>(page: &Page<T>, id: impl Fn(&T) -> uuid::Uuid, item: impl Fn(&T) -> Value) -> Value {
    let end_cursor = page.items.last().and_then(|last| page.cursors.get(&id(last)).cloned());
    json!({
        "items": page.items.iter().map(item).collect::<Vec<_>>(),
        "pageInfo": {"hasNextPage": page.has_next, "endCursor": end_cursor},
    })
}

fn subscription_json(item: &PortalSubscription) -> Value {
    let sub = &item.subscription;
    let assigned = crate::service::licenses::assigned_now(sub);
    json!({
        "id": sub.id,
        "productId": sub.product_id,
        "productName": item.product.name,
        "status": sub.status.as_str(),
        "quantity": sub.quantity,
        "assigned": assigned,
        "available": sub.quantity.map(|q| (q - assigned).max(0)),
        "termEnd": sub.current_term_end,
    })
}

fn person_json(user: &entity::user::Model) -> Value {
    json!({"id": user.id, "name": user.name, "email": user.email})
}

fn subscription_id(id: &str) -> AppResult<uuid::Uuid> {
    validate::id(EntityKind::Subscription, id)
}

/// `GET /api/v1/portal/subscriptions`.
pub async fn list_subscriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let portal = portal_of(&state, &headers).await?;
        let window = window(&query)?;
        let page = portal_api::subscriptions(&state, &portal, &window).await?;
        let mut value = page_json(&page, |s| s.subscription.id, subscription_json);
        value["organizationId"] = json!(portal.organization_id);
        Ok(value)
    }
    .await;
    respond(result, &headers, Scope::LicensesRead)
}

/// `GET /api/v1/portal/subscriptions/{id}`: seat counts and holders.
pub async fn one_subscription(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let result = async {
        let portal = portal_of(&state, &headers).await?;
        let id = subscription_id(&id)?;
        let item = portal_api::subscription(&state, &portal, id).await?;
        let holders = portal_api::holders(&state, &portal, id).await?;
        let mut value = subscription_json(&item);
        value["holders"] = holders.iter().map(person_json).collect();
        Ok(value)
    }
    .await;
    respond(result, &headers, Scope::LicensesRead)
}

/// `GET /api/v1/portal/people?search=…`.
pub async fn people(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let portal = portal_of(&state, &headers).await?;
        let window = window(&query)?;
        let search = query.get("search").map(String::as_str);
        // The same text rule as every GraphQL string input: no control characters.
        if search.is_some_and(|s| s.chars().any(char::is_control)) {
            return Err(AppError::validation("search", Invalid::BadFormat));
        }
        let page = portal_api::people(&state, &portal, search, &window).await?;
        Ok(page_json(&page, |u| u.id, person_json))
    }
    .await;
    respond(result, &headers, Scope::LicensesRead)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UsersInput {
    user_ids: Vec<String>,
}

fn users_of(body: &[u8]) -> AppResult<Vec<String>> {
    let input: UsersInput =
        serde_json::from_slice(body).map_err(|_| AppError::validation("body", Invalid::BadFormat))?;
    // R19: refused before anything is read (the service checks it again).
    if input.user_ids.len() > MAX_USERS_PER_CALL {
        return Err(AppError::TooManyUsers { max: MAX_USERS_PER_CALL });
    }
    Ok(input.user_ids)
}

/// `POST /api/v1/portal/subscriptions/{id}/assignments`.
pub async fn assign(state: State<AppState>, headers: HeaderMap, id: Path<String>, body: Bytes) -> Response {
    license_change(state, headers, id, body, LicenseChange::Assign).await
}

/// `POST /api/v1/portal/subscriptions/{id}/unassignments`.
pub async fn unassign(state: State<AppState>, headers: HeaderMap, id: Path<String>, body: Bytes) -> Response {
    license_change(state, headers, id, body, LicenseChange::Unassign).await
}

enum LicenseChange {
    Assign,
    Unassign,
}

/// R19–R21 through the portal: the same services as `assignLicenses` and
/// `unassignLicenses`, answered with who changed and the seats after.
async fn license_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
    change: LicenseChange,
) -> Response {
    let result = async {
        let portal = portal_of(&state, &headers).await?;
        portal.require(Scope::LicensesAssign)?;
        let id = subscription_id(&id)?;
        let users = users_of(&body)?;
        let ids: Vec<&str> = users.iter().map(String::as_str).collect();
        let (sub, changed) = match change {
            LicenseChange::Assign => {
                let outcome = portal_api::assign(&state, &portal, id, &ids).await?;
                let changed = json!({"assigned": outcome.assigned, "alreadyAssigned": outcome.already_assigned});
                (outcome.subscription, changed)
            }
            LicenseChange::Unassign => {
                let outcome = portal_api::unassign(&state, &portal, id, &ids).await?;
                let changed = json!({"unassigned": outcome.unassigned, "notAssigned": outcome.not_assigned});
                (outcome.subscription, changed)
            }
        };
        let mut answer = json!({
            "subscriptionId": sub.id,
            "seats": {"quantity": sub.quantity, "assigned": sub.assigned_count,
                "available": sub.quantity.map(|q| (q - sub.assigned_count).max(0))},
        });
        if let (Some(answer), Value::Object(changed)) = (answer.as_object_mut(), changed) {
            answer.extend(changed);
        }
        Ok(answer)
    }
    .await;
    respond(result, &headers, Scope::LicensesAssign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r53_the_consent_page_escapes_what_it_shows() {
        assert_eq!(
            escape("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }
}
