//! R47: sessions — refreshing, signing out, the session list, ending
//! sessions, changing the password.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::session;

use super::{
    actor,
    identity::AuthPayload,
    pagination::{self, Page},
    parse_id, state,
};
use crate::{
    auth::CurrentSession,
    error::{AppError, EntityKind},
    service::sessions::{self as svc, Device},
    state::RequestInfo,
};

/// Where the request comes from, for the session list.
pub(crate) fn device(ctx: &Context<'_>) -> Device {
    let info = ctx.data::<RequestInfo>().ok();
    Device { address: info.and_then(|info| info.client), user_agent: info.and_then(|info| info.user_agent.clone()) }
}

fn current_session(ctx: &Context<'_>) -> Option<uuid::Uuid> {
    ctx.data_opt::<CurrentSession>().map(|session| session.0)
}

pub struct Session(pub session::Model);

/// A signed-in session: one sign-in on one device, kept alive by refreshing.
#[Object]
impl Session {
    /// Stable identifier of the session.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The `User-Agent` the client sent when it signed in ("" when none).
    async fn user_agent(&self) -> &str {
        &self.0.user_agent
    }
    /// The network address the client signed in from, when known.
    async fn client_address(&self) -> Option<&str> {
        self.0.client_address.as_deref()
    }
    /// When the user signed in.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The last sign-in or refresh (requests made with the access token are not counted).
    async fn last_used_at(&self) -> DateTime<Utc> {
        self.0.last_used_at
    }
    /// When the refresh token stops working unless it is used before.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When the session ended; null while it is open.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.0.ended_at
    }
    /// Why it ended: SIGNED_OUT, ENDED, REFRESH_TOKEN_REUSED, PASSWORD_CHANGED, DEACTIVATED or DELETED.
    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }
    /// Whether this is the session the request was made with.
    async fn current(&self, ctx: &Context<'_>) -> bool {
        current_session(ctx) == Some(self.0.id)
    }
}

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The sessions of a user, newest first, ended ones included: the
    /// caller's own, or (GLOBAL_ADMIN) those of a user of their organization.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose sessions; the caller's own when omitted.")] user_id: Option<ID>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<Session>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let user_id = user_id.map(|id| parse_id(&id, EntityKind::User)).transpose()?;
        let rows = svc::list(state(ctx)?, actor(ctx)?, user_id, &window).await?;
        Ok(pagination::page(rows.map(Session), |s| s.0.id))
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Exchanges a refresh token for a new access token and a new refresh
    /// token; the one sent stops working. Sending a refresh token that was
    /// used before ends its session (someone else has it): UNAUTHENTICATED.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token of the last sign-in or refresh.")] refresh_token: String,
    ) -> Result<AuthPayload> {
        Ok(svc::refresh(state(ctx)?, &refresh_token).await?.into())
    }
    /// Ends the session the request's access token belongs to: its access and
    /// refresh tokens stop working on every instance. Returns true.
    async fn sign_out(&self, ctx: &Context<'_>) -> Result<bool> {
        actor(ctx)?;
        let session = current_session(ctx).ok_or(AppError::Unauthenticated)?;
        svc::sign_out(state(ctx)?, session).await?;
        Ok(true)
    }
    /// Ends one session: the caller's own, or (GLOBAL_ADMIN) one of a user
    /// of their organization. NOT_FOUND for anyone else's.
    async fn end_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The session to end.")] session_id: ID,
    ) -> Result<Session> {
        let id = parse_id(&session_id, EntityKind::Session)?;
        Ok(Session(svc::end(state(ctx)?, actor(ctx)?, id).await?))
    }
    /// Ends every open session of a user (the caller, or a user of a
    /// GLOBAL_ADMIN's organization); returns how many ended. Their next sign-in
    /// starts a new one.
    async fn end_all_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whose sessions to end.")] user_id: ID,
    ) -> Result<i32> {
        let id = parse_id(&user_id, EntityKind::User)?;
        let ended = svc::end_all(state(ctx)?, actor(ctx)?, id).await?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
    /// Changes the caller's password after checking the current one
    /// (VALIDATION_FAILED on `currentPassword` when it is wrong); every other
    /// session of theirs ends, this one goes on. Returns how many ended.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password the caller signs in with now.")] current_password: String,
        #[graphql(desc = "The new password (at least 8 characters).")] new_password: String,
    ) -> Result<i32> {
        let client = device(ctx).address;
        let ended = crate::service::identity::change_password(
            state(ctx)?,
            actor(ctx)?,
            current_session(ctx),
            &current_password,
            &new_password,
            client,
        )
        .await?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
}
