//! R47: sessions that can end. Signing in (or registering) starts a session:
//! a short-lived access token that names the session, and a refresh token
//! that works once — refreshing rotates it, and presenting a used one ends
//! the whole session (someone copied it). Refresh tokens are stored only as
//! SHA-256 hashes. A request is served only while its session is not ended
//! (`identity::current_caller` checks it in the caller's one statement), so
//! ending a session, deactivation, deletion and a password change take effect
//! on every instance at the next request; reactivation starts nothing again.

use crate::auth::token_hash as hash;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{refresh_token, session, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
    },
};

/// The prefix of every refresh token, so a leaked one is recognisable (secret scanners).
const REFRESH_PREFIX: &str = "ldr_";
const USER_AGENT_CHARS: usize = 200;

/// Where a sign-in comes from, shown in the session list.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub address: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    SignedOut,
    Ended,
    RefreshTokenReused,
    PasswordChanged,
    Deactivated,
    Deleted,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::SignedOut => "SIGNED_OUT",
            EndReason::Ended => "ENDED",
            EndReason::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            EndReason::PasswordChanged => "PASSWORD_CHANGED",
            EndReason::Deactivated => "DEACTIVATED",
            EndReason::Deleted => "DELETED",
        }
    }
}

/// A signed-in session's tokens.
pub struct SignedIn {
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub session: session::Model,
    pub user: user::Model,
}

fn new_refresh_token() -> String {
    format!("{REFRESH_PREFIX}{}", URL_SAFE_NO_PAD.encode(crate::auth::random_bytes::<32>()))
}

async fn insert_refresh(txn: &impl ConnectionTrait, session_id: Uuid, now: DateTime<Utc>) -> AppResult<String> {
    let token = new_refresh_token();
    refresh_token::ActiveModel {
        token_hash: Set(hash(&token)),
        session_id: Set(session_id),
        created_at: Set(now),
        used_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(token)
}

fn access(state: &Services, user: user::Model, session: session::Model, refresh: String) -> AppResult<SignedIn> {
    // Token lifetimes run on the wall clock (the verifier's), not the business clock.
    let (access_token, access_expires_at) =
        state.jwt.issue(user.id, session.id, Utc::now().timestamp()).map_err(AppError::internal)?;
    Ok(SignedIn { access_token, access_expires_at, refresh_token: refresh, session, user })
}

/// Starts a session for `user` inside the caller's transaction (sign-in,
/// registration, a password change), and returns its first tokens.
pub async fn start(
    state: &Services,
    txn: &impl ConnectionTrait,
    user: user::Model,
    device: &Device,
) -> AppResult<SignedIn> {
    let now = Utc::now();
    let user_agent: String = device
        .user_agent
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_CHARS)
        .collect();
    let session = session::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        user_agent: Set(user_agent),
        client_address: Set(device.address.map(|a| a.to_string())),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + Duration::days(state.session_ttl_days)),
        ended_at: Set(None),
        end_reason: Set(None),
    }
    .insert(txn)
    .await?;
    let refresh = insert_refresh(txn, session.id, now).await?;
    access(state, user, session, refresh)
}

/// Exchanges a refresh token for new tokens (the old one stops working). A
/// refresh token used before ends its session (reuse detection) and is
/// UNAUTHENTICATED, as is an unknown, ended or expired one, or one whose
/// user is deactivated or deleted.
pub async fn refresh(state: &Services, token: &str) -> AppResult<SignedIn> {
    let now = Utc::now();
    let txn = db::begin_write(&state.db).await?;
    let Some(presented) = refresh_token::Entity::find_by_id(hash(token.trim())).lock_exclusive().one(&txn).await?
    else {
        return Err(AppError::Unauthenticated);
    };
    let Some(session) = session::Entity::find_by_id(presented.session_id).lock_exclusive().one(&txn).await? else {
        return Err(AppError::Unauthenticated);
    };
    if session.ended_at.is_some() || session.expires_at <= now {
        return Err(AppError::Unauthenticated);
    }
    if presented.used_at.is_some() {
        end_in(&txn, &[session.id], EndReason::RefreshTokenReused, now).await?;
        txn.commit().await?;
        tracing::warn!(session = %session.id, "a used refresh token was presented again: the session is ended");
        return Err(AppError::Unauthenticated);
    }
    let user = user::Entity::find_by_id(session.user_id).one(&txn).await?;
    let Some(user) = user.filter(|u| u.active && u.deleted_at.is_none()) else {
        return Err(AppError::Unauthenticated);
    };
    let mut used: refresh_token::ActiveModel = presented.into();
    used.used_at = Set(Some(now));
    used.update(&txn).await?;
    let mut touched: session::ActiveModel = session.into();
    touched.last_used_at = Set(now);
    touched.expires_at = Set(now + Duration::days(state.session_ttl_days));
    let session = touched.update(&txn).await?;
    let refresh = insert_refresh(&txn, session.id, now).await?;
    txn.commit().await?;
    access(state, user, session, refresh)
}

/// Ends `ids` (those not ended yet) for `reason`, in the caller's transaction; how many ended.
async fn end_in(txn: &impl ConnectionTrait, ids: &[Uuid], reason: EndReason, now: DateTime<Utc>) -> AppResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let result = ending(reason, now).filter(session::Column::Id.is_in(ids.iter().copied())).exec(txn).await?;
    for id in ids {
        announce(txn, Revoked::Session(*id)).await?;
    }
    Ok(result.rows_affected)
}

/// PostgreSQL channel on which every instance hears of ended sessions and
/// deactivated or deleted users, so their open live connections close at
/// once (R47: within a second on every instance) instead of at the next
/// periodic re-check.
pub const REVOKED_CHANNEL: &str = "licensedesk_revoked";

/// What an instance is told to re-check its live connections for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// Every connection of this user (deactivation, deletion, a password change).
    User(Uuid),
    /// The connections of this one session.
    Session(Uuid),
}

impl Revoked {
    /// The notification's payload: `user:<id>` or `session:<id>`.
    pub fn payload(self) -> String {
        match self {
            Revoked::User(id) => format!("user:{id}"),
            Revoked::Session(id) => format!("session:{id}"),
        }
    }

    pub fn parse(payload: &str) -> Option<Revoked> {
        let (kind, id) = payload.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "user" => Some(Revoked::User(id)),
            "session" => Some(Revoked::Session(id)),
            _ => None,
        }
    }
}

/// Tells every instance, when (and only if) the transaction commits, that
/// `revoked`'s live connections must be re-checked. PostgreSQL only: on
/// SQLite there is one instance, whose connections re-check every second.
async fn announce(txn: &impl ConnectionTrait, revoked: Revoked) -> AppResult<()> {
    if db::is_postgres(txn) {
        // The payload is built from a UUID alone: nothing to escape.
        txn.execute_unprepared(&format!("NOTIFY {REVOKED_CHANNEL}, '{}'", revoked.payload())).await?;
    }
    Ok(())
}

/// The update that ends the open sessions it is then filtered to.
fn ending(reason: EndReason, now: DateTime<Utc>) -> sea_orm::UpdateMany<session::Entity> {
    session::Entity::update_many()
        .col_expr(session::Column::EndedAt, Expr::value(now))
        .col_expr(session::Column::EndReason, Expr::value(reason.as_str()))
        .filter(session::Column::EndedAt.is_null())
}

/// Ends every open session of `user_id` except `keep`, in the caller's
/// transaction (deactivation, deletion, a password change); how many ended.
pub async fn end_all_of_user(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: EndReason,
) -> AppResult<u64> {
    let mut query = ending(reason, Utc::now()).filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    let ended = query.exec(txn).await?.rows_affected;
    announce(txn, Revoked::User(user_id)).await?;
    Ok(ended)
}

/// Whose sessions the actor may list and end: their own, and a
/// GLOBAL_ADMIN's for every user of their organization (R47). Anyone else's
/// user is NOT_FOUND, as a user one may not see is.
async fn managed_user(state: &Services, actor: &Actor, user_id: Uuid) -> AppResult<user::Model> {
    let not_found = || AppError::NotFound { entity: EntityKind::User };
    let user = user::Entity::find_by_id(user_id).one(&state.db).await?.ok_or_else(not_found)?;
    if user.id == actor.user_id() {
        return Ok(user);
    }
    match actor {
        Actor::Org(org) if org.is_global_admin() && user.organization_id == Some(org.organization_id) => Ok(user),
        _ => Err(not_found()),
    }
}

/// The sessions of `user_id` (the actor's own when None), newest first,
/// ended ones included so a user sees what happened.
pub async fn list(
    state: &Services,
    actor: &Actor,
    user_id: Option<Uuid>,
    window: &Window,
) -> AppResult<Page<session::Model>> {
    let user = managed_user(state, actor, user_id.unwrap_or_else(|| actor.user_id())).await?;
    let query = session::Entity::find().filter(session::Column::UserId.eq(user.id));
    let order = Keyset::new("sessions")
        .key(session::Column::CreatedAt.into_expr(), Direction::Desc, KeyKind::Time)
        .id(session::Column::Id.into_expr(), Direction::Desc);
    crate::paging::fetch(&state.db, query, &order, window).await
}

/// Ends one session: the actor's own, or (GLOBAL_ADMIN) one of a user of
/// their organization. Ending an ended session changes nothing.
pub async fn end(state: &Services, actor: &Actor, session_id: Uuid) -> AppResult<session::Model> {
    let not_found = || AppError::NotFound { entity: EntityKind::Session };
    let found = session::Entity::find_by_id(session_id).one(&state.db).await?.ok_or_else(not_found)?;
    let user = managed_user(state, actor, found.user_id).await.map_err(|_| not_found())?;
    let txn = db::begin_write(&state.db).await?;
    if end_in(&txn, &[session_id], EndReason::Ended, Utc::now()).await? > 0 {
        audit_ended(state, &txn, actor, &user, json!({"sessionId": session_id, "sessionsEnded": 1})).await?;
    }
    txn.commit().await?;
    session::Entity::find_by_id(session_id).one(&state.db).await?.ok_or_else(not_found)
}

/// Ends every open session of a user (self, or GLOBAL_ADMIN for their
/// organization's users); how many ended.
pub async fn end_all(state: &Services, actor: &Actor, user_id: Uuid) -> AppResult<u64> {
    let user = managed_user(state, actor, user_id).await?;
    let txn = db::begin_write(&state.db).await?;
    let ended = end_all_of_user(&txn, user.id, None, EndReason::Ended).await?;
    if ended > 0 {
        audit_ended(state, &txn, actor, &user, json!({"sessionsEnded": ended})).await?;
    }
    txn.commit().await?;
    Ok(ended)
}

/// R36: who ended whose sessions.
async fn audit_ended(
    state: &Services,
    txn: &impl ConnectionTrait,
    actor: &Actor,
    user: &user::Model,
    after: serde_json::Value,
) -> AppResult<()> {
    let scope = AuditScope {
        organization_id: user.organization_id,
        publisher_id: user.publisher_id,
        actor_user_id: Some(actor.user_id()),
    };
    let entry = AuditEntry::new(AuditAction::UserEndSessions, "user", user.id).after(after);
    audit::record(txn, scope, state.clock.now(), entry).await
}

/// Signing out: ends the session the request's access token belongs to.
pub async fn sign_out(state: &Services, session_id: Uuid) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    end_in(&txn, &[session_id], EndReason::SignedOut, Utc::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether the session a token names may still be used (the column the
/// caller's statement reads): not ended, not expired.
pub fn live_condition(session_id: Uuid) -> sea_orm::sea_query::SimpleExpr {
    Expr::exists(
        sea_orm::sea_query::Query::select()
            .expr(Expr::val(1))
            .from(session::Entity)
            .and_where(Expr::col((session::Entity, session::Column::Id)).eq(session_id))
            .and_where(Expr::col((session::Entity, session::Column::UserId)).equals((user::Entity, user::Column::Id)))
            .and_where(Expr::col((session::Entity, session::Column::EndedAt)).is_null())
            .to_owned(),
    )
}
