//! R48: signing in through the organization's OpenID Connect provider.
//!
//! 1. `start`: a row with a fresh `state` (stored hashed), `nonce` and PKCE
//!    verifier; the browser goes to the provider's authorization endpoint
//!    (from its discovery document) with the S256 challenge.
//! 2. `callback`: the `state` is claimed once, in one statement, on any
//!    instance (a replayed or expired one is refused); the code is exchanged
//!    with the verifier; the ID token is verified against the provider's keys
//!    (signature, iss, aud, exp, nonce); the e-mail must be verified when the
//!    provider says so and its domain allowed. The user is the one linked to
//!    the subject, or the organization's user with that e-mail (linked now),
//!    or a new user; a user of another tenant is refused. The browser goes
//!    back to `returnTo` with a one-time exchange code valid for a minute —
//!    never a token in a URL.
//! 3. `redeem`: the exchange code, once, starts a session exactly as a
//!    password sign-in does (`sessions::start`, R47).

use crate::auth::token_hash as hash;
use chrono::Duration;
use entity::{oidc_identity, oidc_provider, oidc_sign_in, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use super::settings::allowed_domains;
use crate::{
    auth::oidc::{self, CodeExchange, IdClaims, IdTokenError, ProviderHttp},
    db,
    error::{AppError, AppResult, Invalid, SignInRefusal},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
        identity, sessions, validate,
    },
};

/// How long the provider has to send the browser back.
pub const STATE_TTL_MINUTES: i64 = 10;
/// How long the client has to exchange its code for a session.
pub const EXCHANGE_TTL_SECONDS: i64 = 60;
/// The password hash of a user created by single sign-on: no password verifies against it.
pub const NO_PASSWORD: &str = "!sso";
/// What is asked of the provider.
const SCOPES: &str = "openid email profile";

fn refused(reason: SignInRefusal) -> AppError {
    AppError::SignInRefused { reason }
}

/// `returnTo` must be an absolute http(s) URL on one of the allowed origins.
pub fn return_to(state: &Services, value: &str) -> AppResult<String> {
    let value = validate::required_text("returnTo", value, 2000)?;
    let allowed = super::origin_of(&value).is_some_and(|origin| state.sso.return_origins.contains(&origin));
    if allowed { Ok(value) } else { Err(AppError::validation("returnTo", Invalid::NotAllowed)) }
}

async fn enabled_provider(db: &impl ConnectionTrait, organization_id: Uuid) -> AppResult<oidc_provider::Model> {
    oidc_provider::Entity::find_by_id(organization_id)
        .one(db)
        .await?
        .filter(|p| p.enabled)
        .ok_or(refused(SignInRefusal::ProviderDisabled))
}

/// Where to send the browser: the provider's authorization endpoint with
/// this sign-in's state, nonce and PKCE challenge. `return_to` has passed
/// [`return_to`]. An unknown organization answers like one without single
/// sign-on (PROVIDER_DISABLED).
pub async fn start(
    state: &Services,
    http: &dyn ProviderHttp,
    organization_id: Uuid,
    return_to: &str,
    login_hint: Option<&str>,
) -> AppResult<String> {
    let provider = enabled_provider(&state.db, organization_id).await?;
    let metadata = http.metadata(&provider.issuer).await.map_err(|e| {
        tracing::warn!(error = ?e, issuer = %provider.issuer, "single sign-on: no provider metadata");
        refused(SignInRefusal::ProviderError)
    })?;
    let (state_value, nonce, verifier) = (oidc::random_token(), oidc::random_token(), oidc::random_token());
    let now = chrono::Utc::now();
    let txn = db::begin_write(&state.db).await?;
    // Attempts nobody finished, a day after they expired.
    oidc_sign_in::Entity::delete_many()
        .filter(oidc_sign_in::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(&txn)
        .await?;
    oidc_sign_in::ActiveModel {
        state_hash: Set(hash(&state_value)),
        organization_id: Set(organization_id),
        nonce: Set(nonce.clone()),
        pkce_verifier: Set(verifier.clone()),
        return_to: Set(return_to.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(STATE_TTL_MINUTES)),
        callback_at: Set(None),
        user_id: Set(None),
        exchange_code_hash: Set(None),
        exchange_expires_at: Set(None),
        exchanged_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let mut url = url::Url::parse(&metadata.authorization_endpoint).map_err(|e| {
        tracing::warn!(error = %e, "single sign-on: the provider's authorization endpoint is not a URL");
        refused(SignInRefusal::ProviderError)
    })?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", &state.sso.redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", &state_value)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &oidc::pkce_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty() && h.len() <= 254) {
            query.append_pair("login_hint", hint);
        }
    }
    Ok(url.into())
}

/// What the provider sent back to the callback.
#[derive(Debug, Default)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// Where the browser goes after the callback: `return_to` with either a
/// one-time exchange code or the reason the sign-in was refused.
#[derive(Debug)]
pub struct Returning {
    pub return_to: String,
    pub outcome: Result<String, SignInRefusal>,
}

/// The provider's answer. An unknown, used or expired `state` is an error
/// (there is nowhere trusted to send the browser); anything refused after
/// that goes back to the sign-in's `returnTo` with its reason.
pub async fn callback(state: &Services, http: &dyn ProviderHttp, params: CallbackParams) -> AppResult<Returning> {
    let state_value = params.state.as_deref().unwrap_or_default();
    let state_hash = hash(state_value);
    let now = chrono::Utc::now();
    // Claimed once, across instances: the one statement that sets callback_at wins.
    let claimed = oidc_sign_in::Entity::update_many()
        .col_expr(oidc_sign_in::Column::CallbackAt, Expr::value(now))
        .filter(oidc_sign_in::Column::StateHash.eq(state_hash.as_str()))
        .filter(oidc_sign_in::Column::CallbackAt.is_null())
        .filter(oidc_sign_in::Column::ExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    if state_value.is_empty() || claimed.rows_affected != 1 {
        tracing::warn!("single sign-on: an unknown, used or expired state came back");
        return Err(refused(SignInRefusal::StateInvalid));
    }
    let sign_in = oidc_sign_in::Entity::find_by_id(state_hash)
        .one(&state.db)
        .await?
        .ok_or(refused(SignInRefusal::StateInvalid))?;
    let outcome = match signed_in_user(state, http, &sign_in, &params).await {
        Ok(user_id) => Ok(exchange_code(state, &sign_in, user_id).await?),
        Err(AppError::SignInRefused { reason }) => Err(reason),
        Err(other) => return Err(other),
    };
    Ok(Returning { return_to: sign_in.return_to, outcome })
}

async fn exchange_code(state: &Services, sign_in: &oidc_sign_in::Model, user_id: Uuid) -> AppResult<String> {
    let code = oidc::random_token();
    let mut row: oidc_sign_in::ActiveModel = sign_in.clone().into();
    row.user_id = Set(Some(user_id));
    row.exchange_code_hash = Set(Some(hash(&code)));
    row.exchange_expires_at = Set(Some(chrono::Utc::now() + Duration::seconds(EXCHANGE_TTL_SECONDS)));
    row.update(&state.db).await?;
    Ok(code)
}

/// The checks of the provider's answer, in order; the user it signs in.
async fn signed_in_user(
    state: &Services,
    http: &dyn ProviderHttp,
    sign_in: &oidc_sign_in::Model,
    params: &CallbackParams,
) -> AppResult<Uuid> {
    let provider = enabled_provider(&state.db, sign_in.organization_id).await?;
    if let Some(error) = &params.error {
        tracing::warn!(error = %error.chars().take(100).collect::<String>(), "single sign-on: the provider answered with an error");
        return Err(refused(SignInRefusal::ProviderError));
    }
    let code = params.code.as_deref().filter(|c| !c.is_empty()).ok_or(refused(SignInRefusal::ProviderError))?;
    let provider_error = |what: &str, e: &dyn std::fmt::Debug| {
        tracing::warn!(error = ?e, issuer = %provider.issuer, "single sign-on: {what}");
        refused(SignInRefusal::ProviderError)
    };
    let Some(secret) = state.sso.sealing.open(provider.organization_id.as_bytes(), &provider.client_secret_sealed)
    else {
        return Err(provider_error("the client secret does not open (was the server secret changed?)", &"sealed"));
    };
    let metadata = http.metadata(&provider.issuer).await.map_err(|e| provider_error("no metadata", &e))?;
    if metadata.issuer != provider.issuer {
        return Err(provider_error("the discovery document names another issuer", &metadata.issuer));
    }
    let answer = http
        .exchange(CodeExchange {
            token_endpoint: &metadata.token_endpoint,
            client_id: &provider.client_id,
            client_secret: &secret,
            code,
            redirect_uri: &state.sso.redirect_uri,
            code_verifier: &sign_in.pkce_verifier,
        })
        .await
        .map_err(|e| provider_error("the code exchange failed", &e))?;
    let id_token = answer.id_token.ok_or_else(|| provider_error("no ID token", &"missing"))?;
    let claims = verified_claims(http, &metadata.jwks_uri, &id_token, &provider, &sign_in.nonce).await?;
    let email = match (&claims.email, claims.email_verified) {
        (Some(email), Some(true) | None) => {
            validate::email("email", email).map_err(|_| refused(SignInRefusal::EmailNotVerified))?
        }
        _ => return Err(refused(SignInRefusal::EmailNotVerified)),
    };
    let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    if !allowed_domains(&provider).iter().any(|allowed| allowed == domain) {
        tracing::info!(domain, "single sign-on: an e-mail domain the organization does not allow");
        return Err(refused(SignInRefusal::DomainNotAllowed));
    }
    link_user(state, &provider, &claims, email).await
}

/// Verifies the ID token, fetching the provider's keys again once when the
/// token names a key the cached set lacks (the provider rotated its keys).
async fn verified_claims(
    http: &dyn ProviderHttp,
    jwks_uri: &str,
    id_token: &str,
    provider: &oidc_provider::Model,
    nonce: &str,
) -> AppResult<IdClaims> {
    let verify = |keys: &jsonwebtoken::jwk::JwkSet| {
        oidc::verify_id_token(id_token, keys, &provider.issuer, &provider.client_id, nonce)
    };
    let keys_error = |e: AppError| {
        tracing::warn!(error = ?e, "single sign-on: the provider's keys could not be fetched");
        refused(SignInRefusal::ProviderError)
    };
    let mut verified = verify(&*http.keys(jwks_uri, false).await.map_err(keys_error)?);
    if verified.as_ref().err() == Some(&IdTokenError::UnknownKey) {
        verified = verify(&*http.keys(jwks_uri, true).await.map_err(keys_error)?);
    }
    verified.map_err(|why| {
        tracing::warn!(reason = ?why, issuer = %provider.issuer, "single sign-on: an ID token was refused");
        refused(SignInRefusal::IdTokenInvalid)
    })
}

/// The user the subject is: linked before, or the organization's user with
/// this e-mail (linked now), or a new user of the organization. Someone of
/// another tenant, or a deactivated or deleted user, is refused.
async fn link_user(
    state: &Services,
    provider: &oidc_provider::Model,
    claims: &IdClaims,
    email: String,
) -> AppResult<Uuid> {
    let not_allowed = || refused(SignInRefusal::AccountNotAllowed);
    let organization_id = provider.organization_id;
    let usable = |u: &user::Model| {
        u.organization_id == Some(organization_id) && !u.is_partner && u.active && u.deleted_at.is_none()
    };
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let linked = oidc_identity::Entity::find_by_id((organization_id, provider.issuer.clone(), claims.sub.clone()))
        .one(&txn)
        .await?;
    if let Some(link) = linked {
        let user = user::Entity::find_by_id(link.user_id).one(&txn).await?;
        return user.filter(usable).map(|u| u.id).ok_or_else(not_allowed);
    }
    let existing = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&txn).await?;
    let scope = |user_id| AuditScope { actor_user_id: Some(user_id), ..AuditScope::org(organization_id, None) };
    let user_id = match existing {
        Some(user) if usable(&user) => user.id,
        Some(_) => return Err(not_allowed()),
        None => {
            let name = claims
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| email.split('@').next().unwrap_or_default())
                .chars()
                .take(200)
                .collect::<String>();
            let user_id = Uuid::now_v7();
            identity::new_user(
                user_id,
                Some(organization_id),
                None,
                name.clone(),
                email.clone(),
                NO_PASSWORD.to_owned(),
                state,
            )
            .insert(&txn)
            .await
            .map_err(|e| if db::is_unique_violation(&e) { not_allowed() } else { e.into() })?;
            let entry = AuditEntry::new(AuditAction::UserCreate, "user", user_id)
                .after(json!({"name": name, "email": email, "roles": [], "signIn": "SSO"}));
            audit::record(&txn, scope(user_id), now, entry).await?;
            user_id
        }
    };
    oidc_identity::ActiveModel {
        organization_id: Set(organization_id),
        issuer: Set(provider.issuer.clone()),
        subject: Set(claims.sub.clone()),
        user_id: Set(user_id),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = AuditEntry::new(AuditAction::UserLinkSso, "user", user_id)
        .after(json!({"issuer": provider.issuer, "subject": claims.sub}));
    audit::record(&txn, scope(user_id), now, entry).await?;
    txn.commit().await?;
    Ok(user_id)
}

/// Exchanges a one-time code from the callback for a new session (R47):
/// once, within a minute, for an active user. Anything else is
/// UNAUTHENTICATED with reason STATE_INVALID.
pub async fn redeem(state: &Services, code: &str, device: &sessions::Device) -> AppResult<sessions::SignedIn> {
    let txn = db::begin_write(&state.db).await?;
    let (_, user) = claim_code(&txn, code).await?;
    let session = sessions::start(state, &txn, user, device).await?;
    txn.commit().await?;
    Ok(session)
}

/// R53: the consent page's use of a code from the callback. The same checks
/// as [`redeem`] (once, within a minute, an active user of the organization
/// whose provider signed them in), and the sign-in must have been started for
/// `return_to` (this consent request), but no session starts: the person is
/// only known to the page that asked.
pub async fn redeem_for(state: &Services, code: &str, return_to: &str) -> AppResult<user::Model> {
    let txn = db::begin_write(&state.db).await?;
    let (sign_in, user) = claim_code(&txn, code).await?;
    if sign_in.return_to != return_to || user.organization_id != Some(sign_in.organization_id) {
        // Committed all the same: the code is used up either way.
        txn.commit().await?;
        return Err(refused(SignInRefusal::StateInvalid));
    }
    txn.commit().await?;
    Ok(user)
}

/// Claims an exchange code once (one statement, any instance) and reads its
/// sign-in and active user.
async fn claim_code(txn: &impl ConnectionTrait, code: &str) -> AppResult<(oidc_sign_in::Model, user::Model)> {
    let code_hash = hash(code.trim());
    let now = chrono::Utc::now();
    let claimed = oidc_sign_in::Entity::update_many()
        .col_expr(oidc_sign_in::Column::ExchangedAt, Expr::value(now))
        .filter(oidc_sign_in::Column::ExchangeCodeHash.eq(code_hash.as_str()))
        .filter(oidc_sign_in::Column::ExchangedAt.is_null())
        .filter(oidc_sign_in::Column::ExchangeExpiresAt.gt(now))
        .exec(txn)
        .await?;
    if code.trim().is_empty() || claimed.rows_affected != 1 {
        return Err(refused(SignInRefusal::StateInvalid));
    }
    let sign_in = oidc_sign_in::Entity::find()
        .filter(oidc_sign_in::Column::ExchangeCodeHash.eq(code_hash.as_str()))
        .one(txn)
        .await?
        .ok_or(refused(SignInRefusal::StateInvalid))?;
    let user = match sign_in.user_id {
        Some(id) => user::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let user = user.filter(|u| u.active && u.deleted_at.is_none()).ok_or(refused(SignInRefusal::AccountNotAllowed))?;
    Ok((sign_in, user))
}
