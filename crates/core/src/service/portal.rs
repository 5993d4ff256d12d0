//! R53: delegated access for a publisher's portal — the OAuth 2.0
//! authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636, S256 only).
//!
//! 1. [`begin`]: the portal sends the customer admin's browser to
//!    `/oauth/authorize`. The client and its redirect URI (registered,
//!    matched exactly) are checked first: without them there is nowhere
//!    trusted to send an error, so it is shown as a page. Everything else
//!    goes back to the redirect URI as `error=` with `state` (§4.1.2.1). A
//!    pending request is kept with a one-time consent form token (stored
//!    hashed, ten minutes): the form is bound to the request, which is the
//!    CSRF protection.
//! 2. [`decide`]: the admin signs in on the form (password, under the
//!    sign-in throttle and the single sign-on rule, R47, R48, or through
//!    their organization's single sign-on: [`single_sign_on`] keeps the
//!    request behind a token for the browser's return, [`resume`] redeems
//!    the one-time `sso_code` without starting a session and binds the next
//!    form token to the signed-in user) and approves or denies. Only the organization's GLOBAL_ADMIN or LICENSE_ADMIN (who
//!    assign licenses, R19–R21) may consent; anyone else is `access_denied`.
//!    Approval makes a consent (a grant) and a one-time code (a minute,
//!    stored hashed, bound to the client, the redirect URI and the PKCE
//!    challenge).
//! 3. [`exchange_code`] / [`refresh`] at `/oauth/token`: an access token
//!    ([`ACCESS_TOKEN_TTL_SECONDS`]) and a refresh token that rotates. A
//!    code used twice, or a rotated refresh token sent again, revokes the
//!    grant and so every token issued from it (RFC 6749 §4.1.2, §10.4).
//! 4. [`resolve`]: every portal API request reads its token, the grant (not
//!    revoked), the client (not revoked) and the admin as they are now: a
//!    revoked consent, a deactivated admin or one who lost the role stops
//!    the token at once.

use chrono::{DateTime, Duration, Utc};
use entity::{api_client, portal_authorization, portal_grant, portal_token, publisher};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{Actor, PortalActor, Scope, Scopes, oauth::OAuthRefusal, oidc, token_hash as hash},
    db,
    error::{AppError, AppResult},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        api_clients::{self, random_token},
        audit::{self, AuditAction, AuditEntry, AuditScope},
        identity,
    },
};

/// How long the consent form may stay open.
pub const REQUEST_TTL_MINUTES: i64 = 10;
/// How long an authorization code may wait for its exchange.
pub const CODE_TTL_SECONDS: i64 = 60;
/// How long a portal access token works.
pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 600;
/// How long a refresh token works unused.
pub const REFRESH_TOKEN_TTL_DAYS: i64 = 30;
/// The longest `state` kept and sent back.
const MAX_STATE: usize = 500;
const ACCESS: &str = "access";
const REFRESH: &str = "refresh";

/// What `/oauth/authorize` received.
#[derive(Debug, Default, Clone)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// No trusted redirect URI: shown to the person as a page (RFC 6749 §4.1.2.1).
    Page(&'static str),
    /// Sent back to the client's redirect URI as `error=` with `state`.
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str },
}

impl AuthorizeError {
    /// The URL the browser goes to for a [`AuthorizeError::Redirect`].
    pub fn location(&self) -> Option<String> {
        match self {
            AuthorizeError::Page(_) => None,
            AuthorizeError::Redirect { redirect_uri, state, error } => {
                Some(with_params(redirect_uri, &[("error", error)], state.as_deref()))
            }
        }
    }
}

/// `uri` with `params` (and `state`) added to its query.
fn with_params(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (key, value) in params {
                    query.append_pair(key, value);
                }
                if let Some(state) = state {
                    query.append_pair("state", state);
                }
            }
            url.into()
        }
        // Registered URIs were parsed when they were registered.
        Err(_) => uri.to_owned(),
    }
}

/// What the consent page shows, and the form token it posts back.
#[derive(Debug, Clone)]
pub struct ConsentForm {
    pub form_token: String,
    pub client_name: String,
    pub publisher_name: String,
    pub scopes: Vec<Scope>,
    pub redirect_uri: String,
    /// Who signed in through single sign-on for this form (their ID is
    /// posted back with the form token it is bound to), or None for the
    /// password form.
    pub signed_in: Option<SignedInAs>,
}

/// The person single sign-on signed in on the consent page (R48, R53).
#[derive(Debug, Clone)]
pub struct SignedInAs {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
}

/// How the person on the consent form signed in.
#[derive(Debug, Clone, Copy)]
pub enum SignIn<'a> {
    /// E-mail and password (the sign-in throttle and R48's rule apply).
    Password { email: &'a str, password: &'a str },
    /// The user single sign-on signed in (as posted back with the form).
    SingleSignOn { user_id: &'a str },
}

/// The stored hash of a form token bound to a user signed in by single
/// sign-on: the token alone (the password form) matches no such row, nor
/// the token with another user's ID.
fn bound_hash(form_token: &str, user_id: &str) -> String {
    hash(&format!("{form_token}|user:{user_id}"))
}

/// The stored hash of the token that brings the browser back from single
/// sign-on (in `returnTo`): it opens no form by itself.
fn resume_hash(resume_token: &str) -> String {
    hash(&format!("{resume_token}|sso"))
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Z a-z 0-9 - . _ ~]` (a verifier or an S256 challenge).
fn pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn param(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

async fn live_client(db: &impl ConnectionTrait, client_id: &str) -> AppResult<Option<api_client::Model>> {
    Ok(api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

async fn form_for(
    state: &Services,
    client: &api_client::Model,
    pending: &portal_authorization::Model,
    form_token: String,
    signed_in: Option<SignedInAs>,
) -> AppResult<ConsentForm> {
    let publisher_name =
        publisher::Entity::find_by_id(client.publisher_id).one(&state.db).await?.map(|p| p.name).unwrap_or_default();
    Ok(ConsentForm {
        form_token,
        client_name: client.name.clone(),
        publisher_name,
        scopes: stored_scopes(&pending.scopes).iter().collect(),
        redirect_uri: pending.redirect_uri.clone(),
        signed_in,
    })
}

fn stored_scopes(text: &str) -> Scopes {
    Scopes::parse_from(text, &Scope::PORTAL).unwrap_or_else(|| Scopes::all(&[]))
}

/// Step 1: checks the request and keeps it pending behind a fresh consent form token.
pub async fn begin(state: &Services, params: AuthorizeParams) -> AppResult<Result<ConsentForm, AuthorizeError>> {
    let Some(client_id) = param(&params.client_id) else {
        return Ok(Err(AuthorizeError::Page("The request names no client_id.")));
    };
    let known =
        if api_clients::plausible_client_id(client_id) { live_client(&state.db, client_id).await? } else { None };
    let Some(client) = known else {
        return Ok(Err(AuthorizeError::Page("The client is unknown or was revoked.")));
    };
    let Some(redirect_uri) = param(&params.redirect_uri) else {
        return Ok(Err(AuthorizeError::Page("The request names no redirect_uri.")));
    };
    if !api_clients::redirect_uris_of(&client).contains(&redirect_uri) {
        return Ok(Err(AuthorizeError::Page("The redirect_uri is not one the client registered.")));
    }
    let state_value = param(&params.state).map(str::to_owned);
    let back = |error: &'static str| {
        // A `state` too long or with control characters is not sent back.
        let state = state_value.clone().filter(|s| s.len() <= MAX_STATE && !s.chars().any(char::is_control));
        Ok(Err(AuthorizeError::Redirect { redirect_uri: redirect_uri.to_owned(), state, error }))
    };
    if param(&params.response_type) != Some("code") {
        return back("unsupported_response_type");
    }
    if state_value.as_ref().is_some_and(|s| s.len() > MAX_STATE || s.chars().any(char::is_control)) {
        return back("invalid_request");
    }
    // RFC 7636 §4.3, §7.2: S256 only; a missing method means `plain`, refused too.
    let challenge = match (param(&params.code_challenge), param(&params.code_challenge_method)) {
        (Some(challenge), Some("S256")) if pkce_text(challenge) => challenge.to_owned(),
        _ => return back("invalid_request"),
    };
    let scopes = match param(&params.scope) {
        None => Scopes::all(&Scope::PORTAL),
        Some(text) => match Scopes::parse_from(text, &Scope::PORTAL) {
            Some(scopes) => scopes,
            None => return back("invalid_scope"),
        },
    };
    let now = state.clock.now();
    let form_token = random_token("ldf_");
    let txn = db::begin_write(&state.db).await?;
    // Requests nobody finished, a day after they expired.
    portal_authorization::Entity::delete_many()
        .filter(portal_authorization::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(&txn)
        .await?;
    let pending = portal_authorization::ActiveModel {
        id: Set(Uuid::now_v7()),
        form_token_hash: Set(hash(&form_token)),
        api_client_id: Set(client.id),
        redirect_uri: Set(redirect_uri.to_owned()),
        scopes: Set(scopes.to_text()),
        state: Set(state_value),
        code_challenge: Set(challenge),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(REQUEST_TTL_MINUTES)),
        decided_at: Set(None),
        grant_id: Set(None),
        code_hash: Set(None),
        code_expires_at: Set(None),
        code_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Ok(form_for(state, &client, &pending, form_token, None).await?))
}

/// The person's answer on the consent form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// Where the consent form leads.
#[derive(Debug)]
pub enum Decided {
    /// To the client's redirect URI (with `code` or `error`, and `state`).
    Redirect(String),
    /// The sign-in failed: the form again (a new token) with the reason.
    Retry(ConsentForm, &'static str),
}

const EXPIRED: AuthorizeError =
    AuthorizeError::Page("This consent form has expired or was already answered. Start again from the portal.");
/// Why a return from single sign-on shows the password form again.
const SSO_FAILED: &str = "Single sign-on did not sign you in. Try again or ask your administrator.";

/// Claims the pending request whose form token hashes to `token_hash`, once,
/// in one statement, on any instance; with its client (not revoked).
async fn claim(
    state: &Services,
    token_hash: &str,
) -> AppResult<Result<(portal_authorization::Model, api_client::Model), AuthorizeError>> {
    let now = state.clock.now();
    let claimed = portal_authorization::Entity::update_many()
        .col_expr(portal_authorization::Column::DecidedAt, Expr::value(now))
        .filter(portal_authorization::Column::FormTokenHash.eq(token_hash))
        .filter(portal_authorization::Column::DecidedAt.is_null())
        .filter(portal_authorization::Column::ExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Err(EXPIRED));
    }
    let pending = portal_authorization::Entity::find()
        .filter(portal_authorization::Column::FormTokenHash.eq(token_hash))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("a claimed consent request vanished"))?;
    let Some(client) = api_client::Entity::find_by_id(pending.api_client_id)
        .filter(api_client::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?
    else {
        return Ok(Err(AuthorizeError::Page("The client was revoked.")));
    };
    Ok(Ok((pending, client)))
}

/// Opens a claimed request again behind a new token whose stored hash is
/// `stored(token)`.
async fn reopen(
    state: &Services,
    pending: &portal_authorization::Model,
    stored: impl Fn(&str) -> String,
) -> AppResult<String> {
    let token = random_token("ldf_");
    let mut again = pending.clone().into_active_model();
    again.form_token_hash = Set(stored(&token));
    again.decided_at = Set(None);
    again.update(&state.db).await?;
    Ok(token)
}

/// R48 on the consent page: the person chose their organization's single
/// sign-on. The form token is claimed and the request waits behind a new
/// token for the browser's return (`returnTo` carries it; it opens no form
/// by itself and lasts only as long as the request).
pub async fn single_sign_on(state: &Services, form_token: &str) -> AppResult<Result<String, AuthorizeError>> {
    if form_token.is_empty() {
        return Ok(Err(EXPIRED));
    }
    let (pending, _) = match claim(state, &hash(form_token)).await? {
        Ok(claimed) => claimed,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(reopen(state, &pending, resume_hash).await?))
}

/// R48 on the consent page: the browser is back from single sign-on with
/// `sso_code` (redeemed by `redeem`, which answers the user or why not) or
/// `sso_error`. The consent form comes back either way: bound to the
/// signed-in person, or for another try with the reason.
pub async fn resume<Fut>(
    state: &Services,
    resume_token: &str,
    sso_error: Option<&str>,
    redeem: impl FnOnce() -> Fut,
) -> AppResult<Result<(ConsentForm, Option<&'static str>), AuthorizeError>>
where
    Fut: std::future::Future<Output = AppResult<entity::user::Model>>,
{
    if resume_token.is_empty() || resume_token.len() > 100 {
        return Ok(Err(EXPIRED));
    }
    let (pending, client) = match claim(state, &resume_hash(resume_token)).await? {
        Ok(claimed) => claimed,
        Err(e) => return Ok(Err(e)),
    };
    let user = match sso_error {
        Some(_) => None,
        None => match redeem().await {
            Ok(user) => Some(user),
            Err(e @ AppError::Internal(_)) => return Err(e),
            Err(_) => None,
        },
    };
    let Some(user) = user else {
        let token = reopen(state, &pending, hash).await?;
        return Ok(Ok((form_for(state, &client, &pending, token, None).await?, Some(SSO_FAILED))));
    };
    let user_id = user.id.to_string();
    let token = reopen(state, &pending, |t| bound_hash(t, &user_id)).await?;
    let signed_in = SignedInAs { user_id: user.id, name: user.name, email: user.email };
    Ok(Ok((form_for(state, &client, &pending, token, Some(signed_in)).await?, None)))
}

/// Step 2: the consent form's answer. The form token is claimed once, in one
/// statement, on any instance.
pub async fn decide(
    state: &Services,
    form_token: &str,
    decision: Decision,
    sign_in: SignIn<'_>,
    client_address: Option<std::net::IpAddr>,
) -> AppResult<Result<Decided, AuthorizeError>> {
    let now = state.clock.now();
    let token_hash = match sign_in {
        SignIn::Password { .. } => hash(form_token),
        // An ID that is not one matches no row.
        SignIn::SingleSignOn { user_id } => bound_hash(form_token, user_id),
    };
    if form_token.is_empty() {
        return Ok(Err(EXPIRED));
    }
    let (pending, client) = match claim(state, &token_hash).await? {
        Ok(claimed) => claimed,
        Err(e) => return Ok(Err(e)),
    };
    let back = |params: &[(&str, &str)]| with_params(&pending.redirect_uri, params, pending.state.as_deref());
    if decision == Decision::Deny {
        return Ok(Ok(Decided::Redirect(back(&[("error", "access_denied")]))));
    }
    // What no sign-in could match never reaches the throttle's table.
    let plausible = |text: &str, max: usize| text.chars().count() <= max && !text.chars().any(char::is_control);
    let checked = match sign_in {
        SignIn::Password { email, password } if plausible(email, 254) && plausible(password, 128) => {
            identity::check_password(state, email, password, client_address).await
        }
        SignIn::Password { .. } => Err(AppError::Unauthenticated),
        // The user single sign-on signed in, as they are now.
        SignIn::SingleSignOn { user_id } => match Uuid::parse_str(user_id) {
            Ok(id) => entity::user::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .filter(|u| u.active && u.deleted_at.is_none())
                .ok_or(AppError::Unauthenticated),
            Err(_) => Err(AppError::Unauthenticated),
        },
    };
    let user = match checked {
        Ok(user) => user,
        Err(e @ AppError::Internal(_)) => return Err(e),
        Err(e) => {
            let reason = match e {
                AppError::Unauthenticated => "The e-mail address or password is not right.",
                AppError::SsoRequired => {
                    "Your organization signs in through its identity provider: use single sign-on below."
                }
                _ => "Signing in is not possible right now. Try again later.",
            };
            // The same request again behind a new form token.
            let form_token = reopen(state, &pending, hash).await?;
            return Ok(Ok(Decided::Retry(form_for(state, &client, &pending, form_token, None).await?, reason)));
        }
    };
    // R19–R21: only those who assign the organization's licenses may delegate that.
    let admin = match identity::current_caller(state, user.id, None).await? {
        Some((Actor::Org(org), _)) if org.can_assign_org_licenses() => org,
        _ => return Ok(Ok(Decided::Redirect(back(&[("error", "access_denied")])))),
    };
    let actor = Actor::Org(admin.clone());
    let code = oidc::random_token();
    let txn = db::begin_write(&state.db).await?;
    let grant = portal_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        api_client_id: Set(client.id),
        publisher_id: Set(client.publisher_id),
        organization_id: Set(admin.organization_id),
        user_id: Set(admin.user_id),
        scopes: Set(pending.scopes.clone()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut row = pending.clone().into_active_model();
    row.grant_id = Set(Some(grant.id));
    row.code_hash = Set(Some(hash(&code)));
    row.code_expires_at = Set(Some(now + Duration::seconds(CODE_TTL_SECONDS)));
    row.update(&txn).await?;
    let entry = AuditEntry::new(AuditAction::PortalConsentGrant, "portal_consent", grant.id).after(json!({
        "apiClientId": client.id, "clientName": client.name, "publisherId": client.publisher_id,
        "scopes": grant.scopes,
    }));
    audit::record(&txn, AuditScope::org(admin.organization_id, Some(&actor)), now, entry).await?;
    txn.commit().await?;
    Ok(Ok(Decided::Redirect(back(&[("code", &code)]))))
}

/// Tokens from the token endpoint.
#[derive(Debug)]
pub struct IssuedPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// Revokes a grant and drops its tokens (consent withdrawn, or a replayed code or refresh token).
async fn end_grant(db: &impl ConnectionTrait, grant_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    portal_grant::Entity::update_many()
        .col_expr(portal_grant::Column::RevokedAt, Expr::value(now))
        .filter(portal_grant::Column::Id.eq(grant_id))
        .filter(portal_grant::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    portal_token::Entity::delete_many().filter(portal_token::Column::GrantId.eq(grant_id)).exec(db).await?;
    Ok(())
}

/// A fresh access and refresh token for `grant`, in the caller's transaction.
async fn issue_pair(
    txn: &impl ConnectionTrait,
    grant: &portal_grant::Model,
    now: DateTime<Utc>,
) -> AppResult<IssuedPair> {
    let (access, refresh) = (random_token("ldp_"), random_token("ldr_"));
    // Expired tokens of this grant are of no use to anyone: drop them here.
    portal_token::Entity::delete_many()
        .filter(portal_token::Column::GrantId.eq(grant.id))
        .filter(portal_token::Column::ExpiresAt.lte(now))
        .exec(txn)
        .await?;
    let rows = [
        (hash(&access), ACCESS, now + Duration::seconds(ACCESS_TOKEN_TTL_SECONDS)),
        (hash(&refresh), REFRESH, now + Duration::days(REFRESH_TOKEN_TTL_DAYS)),
    ];
    portal_token::Entity::insert_many(rows.into_iter().map(|(token_hash, kind, expires_at)| {
        portal_token::ActiveModel {
            token_hash: Set(token_hash),
            grant_id: Set(grant.id),
            kind: Set(kind.to_owned()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    portal_grant::Entity::update_many()
        .col_expr(portal_grant::Column::LastUsedAt, Expr::value(now))
        .filter(portal_grant::Column::Id.eq(grant.id))
        .exec(txn)
        .await?;
    Ok(IssuedPair {
        access_token: access,
        refresh_token: refresh,
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
        scope: grant.scopes.clone(),
    })
}

/// Whether the consenting admin may still delegate (active, a license-assigning role in the grant's organization).
async fn admin_of(state: &Services, grant: &portal_grant::Model) -> AppResult<Option<Actor>> {
    Ok(match identity::current_caller(state, grant.user_id, None).await? {
        Some((Actor::Org(org), _)) if org.organization_id == grant.organization_id && org.can_assign_org_licenses() => {
            Some(Actor::Org(org))
        }
        _ => None,
    })
}

async fn live_grant(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<portal_grant::Model>> {
    Ok(portal_grant::Entity::find_by_id(id).filter(portal_grant::Column::RevokedAt.is_null()).one(db).await?)
}

/// Step 3 (RFC 6749 §4.1.3, RFC 7636 §4.6): the code, once, for the client
/// it was issued to, with the same redirect URI and the verifier of its
/// challenge. The outer error is a server failure; the inner one the OAuth refusal.
pub async fn exchange_code(
    state: &Services,
    client: &api_client::Model,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> AppResult<Result<IssuedPair, OAuthRefusal>> {
    let now = state.clock.now();
    let code_hash = hash(code);
    let claimed = portal_authorization::Entity::update_many()
        .col_expr(portal_authorization::Column::CodeUsedAt, Expr::value(now))
        .filter(portal_authorization::Column::CodeHash.eq(code_hash.as_str()))
        .filter(portal_authorization::Column::CodeUsedAt.is_null())
        .filter(portal_authorization::Column::CodeExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    let found = portal_authorization::Entity::find()
        .filter(portal_authorization::Column::CodeHash.eq(code_hash.as_str()))
        .one(&state.db)
        .await?;
    let Some(pending) = found.filter(|_| !code.is_empty()) else {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    };
    if claimed.rows_affected != 1 {
        // RFC 6749 §4.1.2: a code used twice revokes what it gave.
        if pending.code_used_at.is_some()
            && let Some(grant_id) = pending.grant_id
        {
            let txn = db::begin_write(&state.db).await?;
            end_grant(&txn, grant_id, now).await?;
            txn.commit().await?;
            tracing::warn!(grant = %grant_id, "portal: an authorization code was used twice; its grant is revoked");
        }
        return Ok(Err(OAuthRefusal::InvalidGrant));
    }
    let verifier_ok = verifier.is_some_and(|v| pkce_text(v) && oidc::pkce_challenge(v) == pending.code_challenge);
    if pending.api_client_id != client.id || redirect_uri != Some(pending.redirect_uri.as_str()) || !verifier_ok {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    }
    let Some(grant_id) = pending.grant_id else {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    };
    let txn = db::begin_write(&state.db).await?;
    let Some(grant) = live_grant(&txn, grant_id).await? else {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    };
    let pair = issue_pair(&txn, &grant, now).await?;
    txn.commit().await?;
    Ok(Ok(pair))
}

/// Step 3 again (RFC 6749 §6): a refresh token, once; it rotates. A rotated
/// one sent again revokes the grant (§10.4). The admin must still be able to
/// delegate (R2, R3 at every use).
pub async fn refresh(
    state: &Services,
    client: &api_client::Model,
    refresh_token: &str,
    scope: Option<&str>,
) -> AppResult<Result<IssuedPair, OAuthRefusal>> {
    let now = state.clock.now();
    let token_hash = hash(refresh_token);
    let Some(row) = portal_token::Entity::find_by_id(token_hash.clone())
        .filter(portal_token::Column::Kind.eq(REFRESH))
        .one(&state.db)
        .await?
    else {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    };
    let Some(grant) = live_grant(&state.db, row.grant_id).await?.filter(|g| g.api_client_id == client.id) else {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    };
    if let Some(text) = scope.map(str::trim).filter(|s| !s.is_empty()) {
        match Scopes::parse_from(text, &Scope::PORTAL) {
            Some(asked) if stored_scopes(&grant.scopes).covers(&asked) => {}
            _ => return Ok(Err(OAuthRefusal::InvalidScope)),
        }
    }
    if admin_of(state, &grant).await?.is_none() {
        return Ok(Err(OAuthRefusal::InvalidGrant));
    }
    let txn = db::begin_write(&state.db).await?;
    let claimed = portal_token::Entity::update_many()
        .col_expr(portal_token::Column::UsedAt, Expr::value(now))
        .filter(portal_token::Column::TokenHash.eq(token_hash.as_str()))
        .filter(portal_token::Column::UsedAt.is_null())
        .filter(portal_token::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        if row.used_at.is_some() || row.expires_at > now {
            // A rotated refresh token came back: someone else holds a copy.
            end_grant(&txn, grant.id, now).await?;
            txn.commit().await?;
            tracing::warn!(grant = %grant.id, "portal: a rotated refresh token was sent again; its grant is revoked");
        }
        return Ok(Err(OAuthRefusal::InvalidGrant));
    }
    let pair = issue_pair(&txn, &grant, now).await?;
    txn.commit().await?;
    Ok(Ok(pair))
}

/// RFC 7009: the client gives a token up. A refresh token ends its grant
/// (and so every token of it); an access token ends itself; a token of
/// another client, or unknown, changes nothing (the answer is the same).
pub async fn revoke_token(state: &Services, client: &api_client::Model, token: &str) -> AppResult<()> {
    let now = state.clock.now();
    let token_hash = hash(token);
    let txn = db::begin_write(&state.db).await?;
    if let Some(row) = portal_token::Entity::find_by_id(token_hash.clone()).one(&txn).await? {
        let grant = portal_grant::Entity::find_by_id(row.grant_id).one(&txn).await?;
        if let Some(grant) = grant.filter(|g| g.api_client_id == client.id) {
            if row.kind == REFRESH {
                end_grant(&txn, grant.id, now).await?;
            } else {
                portal_token::Entity::delete_by_id(token_hash.clone()).exec(&txn).await?;
            }
        }
    }
    // The client's own client-credentials tokens (R50) can be given up too.
    entity::api_access_token::Entity::delete_many()
        .filter(entity::api_access_token::Column::TokenHash.eq(token_hash.as_str()))
        .filter(entity::api_access_token::Column::ApiClientId.eq(client.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Step 4: the portal behind a bearer token, with the consenting admin as
/// they are now; None for an unknown or expired token, a revoked grant or
/// client, or an admin who may no longer assign the organization's licenses.
pub async fn resolve(state: &Services, token: &str) -> AppResult<Option<PortalActor>> {
    use sea_orm::{JoinType, QuerySelect, RelationDef};
    let now = state.clock.now();
    let grant_of_token: RelationDef = portal_token::Entity::belongs_to(portal_grant::Entity)
        .from(portal_token::Column::GrantId)
        .to(portal_grant::Column::Id)
        .into();
    let client_of_grant: RelationDef = portal_grant::Entity::belongs_to(api_client::Entity)
        .from(portal_grant::Column::ApiClientId)
        .to(api_client::Column::Id)
        .into();
    let found = portal_token::Entity::find_by_id(hash(token))
        .filter(portal_token::Column::Kind.eq(ACCESS))
        .filter(portal_token::Column::ExpiresAt.gt(now))
        .join(JoinType::InnerJoin, grant_of_token)
        .join(JoinType::InnerJoin, client_of_grant)
        .filter(portal_grant::Column::RevokedAt.is_null())
        .filter(api_client::Column::RevokedAt.is_null())
        .select_only()
        .column(portal_token::Column::GrantId)
        .into_tuple::<Uuid>()
        .one(&state.db)
        .await?;
    let Some(grant) = (match found {
        Some(id) => live_grant(&state.db, id).await?,
        None => None,
    }) else {
        return Ok(None);
    };
    let Some(admin) = admin_of(state, &grant).await? else {
        return Ok(None);
    };
    // When it was last used, at most once a minute: no write per request.
    if grant.last_used_at.is_none_or(|t| now - t > Duration::seconds(60)) {
        portal_grant::Entity::update_many()
            .col_expr(portal_grant::Column::LastUsedAt, Expr::value(now))
            .filter(portal_grant::Column::Id.eq(grant.id))
            .exec(&state.db)
            .await?;
    }
    Ok(Some(PortalActor {
        grant_id: grant.id,
        api_client_id: grant.api_client_id,
        publisher_id: grant.publisher_id,
        organization_id: grant.organization_id,
        scopes: stored_scopes(&grant.scopes),
        admin,
    }))
}

/// The scopes of a consent, for display.
pub fn scopes_of(grant: &portal_grant::Model) -> Vec<&'static str> {
    stored_scopes(&grant.scopes).iter().map(Scope::as_str).collect()
}

/// R53: the organization's consents the caller may see (`access::portal_consent`), newest first.
pub async fn consents(
    state: &Services,
    actor: &Actor,
    organization_id: Uuid,
    window: &Window,
) -> AppResult<Page<Visible<portal_grant::Model>>> {
    access::portal_consent::may_list(actor, organization_id)?;
    let order = Keyset::new("portal_grants")
        .key(portal_grant::Column::CreatedAt.into_expr(), Direction::Desc, KeyKind::Time)
        .id(portal_grant::Column::Id.into_expr(), Direction::Desc);
    let query = portal_grant::Entity::find().filter(portal_grant::Column::OrganizationId.eq(organization_id));
    access::portal_consent::page(&state.db, actor, query, &order, window).await
}

/// R53: withdraws a consent: its refresh and access tokens stop at once.
/// Withdrawing a withdrawn consent changes nothing.
pub async fn revoke_consent(state: &Services, actor: &Actor, id: Uuid) -> AppResult<Visible<portal_grant::Model>> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let grant = access::portal_consent::load(&txn, actor, id).await?;
    access::portal_consent::may_revoke(actor, &grant)?;
    if grant.revoked_at.is_some() {
        return Ok(grant);
    }
    end_grant(&txn, id, now).await?;
    let entry = AuditEntry::new(AuditAction::PortalConsentRevoke, "portal_consent", id)
        .after(json!({"revokedAt": now.to_rfc3339(), "apiClientId": grant.api_client_id}));
    audit::record(&txn, AuditScope::org(grant.organization_id, Some(actor)), now, entry).await?;
    let updated = portal_grant::Entity::find_by_id(id).one(&txn).await?.ok_or(access::portal_consent::NOT_FOUND)?;
    txn.commit().await?;
    grant.updated(updated).ok_or(access::portal_consent::NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r53_pkce_text_follows_rfc_7636() {
        assert!(pkce_text(&"a".repeat(43)));
        assert!(pkce_text(&oidc::pkce_challenge("x")));
        assert!(!pkce_text(&"a".repeat(42)), "too short");
        assert!(!pkce_text(&"a".repeat(129)), "too long");
        assert!(!pkce_text(&format!("{}+", "a".repeat(43))), "not unreserved");
    }

    #[test]
    fn r53_errors_go_back_with_state() {
        let error = AuthorizeError::Redirect {
            redirect_uri: "https://portal.example/cb?x=1".into(),
            state: Some("s 1".into()),
            error: "access_denied",
        };
        assert_eq!(error.location().as_deref(), Some("https://portal.example/cb?x=1&error=access_denied&state=s+1"));
        assert_eq!(AuthorizeError::Page("no").location(), None);
    }
}
