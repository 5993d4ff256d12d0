//! R45: GraphQL subscriptions over WebSocket (`/graphql/ws`,
//! graphql-transport-ws). The token is checked at `connection_init`; each
//! event passes the same visibility rules as a query (`access::event::may_see`).

use std::sync::Arc;

use async_graphql::{
    Context, Data, ID, Json, Object, Result, Subscription,
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, Utc};
use entity::outbox_event;
use serde_json::{Value, json};

use super::{actor, parse_id, state};
use crate::{
    auth::{Actor, Caller},
    domain::events::EventType,
    error::{AppError, EntityKind},
    state::{AppState, RequestInfo},
    workers::live::{self, Feed},
};

/// One event as a console sees it.
pub struct LiveEvent {
    event: Arc<outbox_event::Model>,
    /// For `myLicensesChanged`: only which subscription and product.
    personal: bool,
}

/// One change, pushed over a GraphQL subscription.
#[Object]
impl LiveEvent {
    /// Stable ID; the same ID a publisher's webhook carries.
    async fn id(&self) -> ID {
        ID(self.event.id.to_string())
    }
    /// What happened.
    #[graphql(name = "type")]
    async fn event_type(&self) -> Option<super::enums::EventType> {
        EventType::parse(&self.event.event_type).map(Into::into)
    }
    /// When it happened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.event.created_at
    }
    /// "subscription" or "invoice".
    async fn object_type(&self) -> &str {
        &self.event.object_type
    }
    /// The identifier of the subscription or invoice that changed.
    async fn object_id(&self) -> ID {
        ID(self.event.object_id.to_string())
    }
    /// The object as it was after the change: for subscriptions what its
    /// publisher may see too (no billing data); for invoices number, status, dates and total.
    async fn data(&self) -> Json<Value> {
        let data: Value = serde_json::from_str(&self.event.payload).unwrap_or(Value::Null);
        if self.personal {
            return Json(json!({"subscriptionId": data.get("subscriptionId"), "product": data.get("product")}));
        }
        Json(data)
    }
}

/// Live events over the WebSocket endpoint `/graphql/ws` (graphql-transport-ws protocol); each event is filtered like the queries.
#[derive(Default)]
pub struct SubscriptionRoot;

/// The error as a resolver's error: the socket's executor
/// (`app::sockets`) writes its `extensions.code` and a message in the
/// connection's language, as the HTTP response writer does (issue 20).
fn coded(err: AppError) -> async_graphql::Error {
    err.into()
}

fn feed(ctx: &Context<'_>, feed: Feed) -> Result<impl Stream<Item = LiveEvent> + use<>> {
    let state = state(ctx).map_err(coded)?.clone();
    let actor = actor(ctx).map_err(coded)?.clone();
    let session = ctx.data_opt::<crate::auth::CurrentSession>().map(|session| session.0);
    let personal = matches!(feed, Feed::MyLicenses);
    Ok(live::stream(state, actor, session, feed).map(move |event| LiveEvent { event, personal }))
}

/// Live events over the WebSocket endpoint `/graphql/ws` (graphql-transport-ws protocol); each event is filtered like the queries.
#[Subscription(name = "SubscriptionRoot")]
impl SubscriptionRoot {
    /// Changes to one subscription (NOT_FOUND unless the caller may see it).
    async fn subscription_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription to follow.")] id: ID,
    ) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        let subscription_id = parse_id(&id, EntityKind::Subscription).map_err(coded)?;
        crate::access::event::check_subscription(
            &state(ctx).map_err(coded)?.db,
            actor(ctx).map_err(coded)?,
            subscription_id,
        )
        .await
        .map_err(coded)?;
        feed(ctx, Feed::Subscription(subscription_id))
    }
    /// Every change to subscriptions the caller may see: purchases, activations,
    /// quantities, cancellations, renewals, expiries…
    async fn subscription_events(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        feed(ctx, Feed::Subscriptions)
    }
    /// License assignments and unassignments the caller may see.
    async fn licenses_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        actor(ctx).and_then(Actor::org).map_err(coded)?;
        feed(ctx, Feed::Licenses)
    }
    /// Invoices issued, paid or overdue that the caller may see (billing roles only).
    async fn invoice_events(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        actor(ctx).and_then(Actor::org).map_err(coded)?;
        feed(ctx, Feed::Invoices)
    }
    /// Licenses given to or taken from the caller.
    async fn my_licenses_changed(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = LiveEvent> + use<>> {
        actor(ctx).and_then(Actor::org).map_err(coded)?;
        feed(ctx, Feed::MyLicenses)
    }
}

/// The token a WebSocket connection was accepted with: each query and
/// mutation over the socket resolves its caller from it again, so a role
/// change or an ended session counts from the next operation (R47), as over HTTP.
#[derive(Clone)]
pub struct SocketToken(pub String);

/// How often an open live connection re-checks its caller when nothing told
/// it to. On PostgreSQL every instance hears of an ended session or a
/// deactivated user at once (`sessions::REVOKED_CHANNEL`) and this is only the
/// fallback for a lost notification; SQLite has one instance and no
/// notifications, so its connections look every second (R47: within 1 s).
pub fn caller_recheck(app: &AppState) -> std::time::Duration {
    if let Some(every) = app.config.sockets.caller_recheck {
        return every;
    }
    if crate::db::is_postgres(&app.db) {
        std::time::Duration::from_secs(5)
    } else {
        std::time::Duration::from_millis(800)
    }
}

/// Why `connection_init` was refused, for the socket's close frame: (code, reason).
#[derive(Clone, Default)]
pub struct InitRefusal(Arc<std::sync::Mutex<Option<(u16, String)>>>);

impl InitRefusal {
    fn set(&self, code: u16, reason: String) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((code, reason));
    }

    pub fn take(&self) -> Option<(u16, String)> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// `connection_init`: the payload carries the token as `{"authorization": "Bearer …"}`
/// (or `{"token": "…"}`); without a valid one the connection is refused.
/// The accepted token goes to `accepted`, for [`watch_caller`].
/// `info` is the upgrade request's (language, client address).
pub async fn connection_data(
    app: AppState,
    payload: Value,
    info: RequestInfo,
    accepted: tokio::sync::oneshot::Sender<String>,
    refusal: InitRefusal,
) -> Result<Data> {
    // 4401: sign in (again); 4403: this token's session or user is finished.
    let refuse = |code: u16, err: AppError| {
        let (message, _) = super::errors::describe(&err, &info);
        let label = if code == 4403 { "Forbidden" } else { "Unauthorized" };
        refusal.set(code, format!("{label}: {message}"));
        async_graphql::Error::new(message)
    };
    let raw = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .or_else(|| payload.get("token"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
    if token.is_empty() {
        return Err(refuse(4401, AppError::Unauthenticated));
    }
    let (caller, rows) =
        crate::service::identity::resolve_caller_row(&app, Some(token)).await.map_err(|e| refuse(4401, e))?;
    if !matches!(caller, Caller::Authenticated(_)) {
        // A well-formed, unexpired token whose session or user is finished: for good.
        let code = if app.jwt.verify(token).is_some() { 4403 } else { 4401 };
        return Err(refuse(code, AppError::Unauthenticated));
    }
    let _ = accepted.send(token.to_string());
    let mut data = Data::default();
    data.insert(caller);
    data.insert(SocketToken(token.to_string()));
    if let Some(session) = rows.and_then(|rows| rows.session_id) {
        data.insert(crate::auth::CurrentSession(session));
    }
    data.insert(RequestInfo { request_id: format!("ws-{}", uuid::Uuid::new_v4()), ..info });
    Ok(data)
}

/// Why a live connection's caller had to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerEnded {
    /// The access token expired (the client refreshes and connects again): 4401.
    Expired,
    /// The session ended, or the user was deactivated or deleted: 4403.
    Revoked,
}

/// Resolves once the connection's caller must stop: its token expired, its
/// session ended, or the user was deactivated or deleted — looked at as soon
/// as any instance announces such a change for this user or session, and
/// every [`caller_recheck`] besides. Never resolves before `connection_init`
/// was accepted.
pub async fn watch_caller(app: AppState, accepted: tokio::sync::oneshot::Receiver<String>) -> CallerEnded {
    use crate::service::sessions::Revoked;
    use tokio::sync::broadcast::error::RecvError;
    let mut revocations = app.events.revocations();
    let Ok(token) = accepted.await else {
        return std::future::pending().await;
    };
    let recheck = caller_recheck(&app);
    loop {
        let Some(access) = app.jwt.verify(&token) else { return CallerEnded::Expired };
        let left = u64::try_from(access.expires_at - chrono::Utc::now().timestamp()).unwrap_or(0);
        let next_look = tokio::time::sleep(recheck.min(std::time::Duration::from_secs(left)));
        tokio::pin!(next_look);
        // Wait for the next periodic look, or for an announcement about this caller.
        loop {
            tokio::select! {
                () = &mut next_look => break,
                revoked = revocations.recv() => match revoked {
                    Ok(Revoked::User(id)) if id == access.user_id => break,
                    Ok(Revoked::Session(id)) if id == access.session_id => break,
                    Ok(_) => {}
                    // Missed announcements might have been ours: look now.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => {
                        next_look.as_mut().await;
                        break;
                    }
                },
            }
        }
        match crate::service::identity::resolve_caller(&app, Some(&token)).await {
            Ok(Caller::Authenticated(_)) => continue,
            Ok(_) if app.jwt.verify(&token).is_none() => return CallerEnded::Expired,
            Ok(_) => return CallerEnded::Revoked,
            // The database is unreachable: keep the connection, look again later.
            Err(_) => continue,
        }
    }
}
