//! What the services need of the running server — the database, the clock,
//! the card processor and its key, sign-in machinery — and nothing of HTTP,
//! GraphQL or configuration. `app::AppState` holds one and dereferences to
//! it, so handlers pass `&state` where a service asks for `&Services`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::{jwt::JwtKeys, password::PasswordHasher, rate_limit::LoginLimiter},
    billing::processor::CardProcessor,
    clock::Clock,
};

#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub jwt: Arc<JwtKeys>,
    /// Key for card fingerprints (R29), derived from the server secret.
    pub card_key: Arc<Vec<u8>>,
    pub passwords: PasswordHasher,
    pub login_limiter: LoginLimiter,
    pub clock: Arc<dyn Clock>,
    pub processor: Arc<dyn CardProcessor>,
    /// R15: days an unpaid invoice may stay overdue before its subscriptions are disabled.
    pub grace_period_days: i64,
    /// R47: days a session lasts without a refresh.
    pub session_ttl_days: i64,
    /// R48: single sign-on's sealing key, callback address and allowed return origins.
    pub sso: Arc<crate::service::sso::SsoSettings>,
    /// R51: license checks' uses waiting to be written in a batch.
    pub usage: crate::service::usage::UsageBuffer,
}
