//! The server's shared state: what every handler, resolver and worker is
//! handed, and the per-request facts read from the HTTP request.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, header};
use sea_orm::DatabaseConnection;

use crate::{
    auth::{jwt::JwtKeys, password::PasswordHasher},
    billing::processor::OfflineCardProcessor,
    clock::Clock,
    config::{Config, Mode},
    error::{AppError, AppResult},
    hub::EventHub,
    i18n::{self, Lang},
    service::Services,
};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything a request needs; cheap to clone. Services see only the
/// `Services` part (it dereferences to it).
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<Config>,
    /// Key for signed invoice PDF links, derived from the server secret.
    pub link_key: Arc<Vec<u8>>,
    /// R45: this instance's live-event fan-out and webhook wake-up.
    pub events: EventHub,
    /// R48: identity providers over HTTP (discovery, keys, code exchange), with caches.
    pub oidc: Arc<dyn crate::auth::oidc::ProviderHttp>,
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AppState {
    /// Connects nothing: takes an open, migrated database. The secret must be
    /// resolved already (see `resolve_secret`).
    pub fn new(db: DatabaseConnection, config: Config, secret: &[u8], clock: Arc<dyn Clock>) -> AppResult<Self> {
        let card_key = crate::billing::cards::fingerprint_key(secret);
        let services = Services {
            db,
            jwt: Arc::new(JwtKeys::new(secret, config.token_ttl_seconds)),
            processor: Arc::new(OfflineCardProcessor::new(card_key.clone())),
            card_key: Arc::new(card_key),
            passwords: PasswordHasher::new()?,
            login_limiter: Default::default(),
            grace_period_days: config.grace_period_days,
            session_ttl_days: config.session_ttl_days,
            sso: Arc::new(crate::service::sso::SsoSettings::new(
                secret,
                &config.public_base_url,
                config.sso.return_origins.clone(),
                config.sso.allow_private,
            )),
            usage: Default::default(),
            clock,
        };
        let link_key = Arc::new(crate::service::invoices::links::link_key(secret));
        let oidc = Arc::new(crate::outbound::oidc::OidcClient::new(config.sso.allow_private)?);
        Ok(AppState { services, config: Arc::new(config), link_key, events: Default::default(), oidc })
    }

    pub fn with_system_clock(db: DatabaseConnection, config: Config, secret: &[u8]) -> AppResult<Self> {
        // The system clock (a test build may set the day, see `clock::from_environment`).
        Self::new(db, config, secret, crate::clock::from_environment())
    }
}

/// The configured secret, or in development the one kept in the database
/// (generated on first start) so tokens survive a restart.
pub async fn resolve_secret(db: &DatabaseConnection, config: &Config) -> AppResult<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    if config.mode == Mode::Production {
        return Err(AppError::internal("production mode needs a JWT secret"));
    }
    crate::service::settings::development_secret(db).await
}

/// Per-request facts the resolvers and the error writer need.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub request_id: String,
    pub lang: Lang,
    /// The client's address when known (sign-in throttling).
    pub client: Option<std::net::IpAddr>,
    /// The client's `User-Agent`, shown in its session list (R47).
    pub user_agent: Option<String>,
}

pub fn request_info(headers: &HeaderMap) -> RequestInfo {
    let request_id = headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(i18n::from_accept_language)
        .unwrap_or_default();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned);
    RequestInfo { request_id, lang, client: None, user_agent }
}

pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The client's address, put into each request by `serve` (absent in
/// in-process tests). Sign-in throttling keys on it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);
