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

/// How often an open live connection re-checks its caller: a deactivated
/// user's connection closes within this, an expired token's at expiry.
pub const CALLER_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// `connection_init`: the payload carries the token as `{"authorization": "Bearer …"}`
/// (or `{"token": "…"}`); without a valid one the connection is refused.
/// The accepted token goes to `accepted`, for [`watch_caller`].
/// `info` is the upgrade request's (language, client address).
pub async fn connection_data(
    app: AppState,
    payload: Value,
    info: RequestInfo,
    accepted: tokio::sync::oneshot::Sender<String>,
) -> Result<Data> {
    let refuse = |err: AppError| {
        let (message, _) = super::errors::describe(&err, &info);
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
        return Err(refuse(AppError::Unauthenticated));
    }
    let (caller, rows) = crate::service::identity::resolve_caller_row(&app, Some(token)).await.map_err(refuse)?;
    if !matches!(caller, Caller::Authenticated(_)) {
        return Err(refuse(AppError::Unauthenticated));
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
/// session ended, or the user was deactivated or deleted (checked every
/// [`CALLER_RECHECK`]). Never resolves before `connection_init` was accepted.
pub async fn watch_caller(app: AppState, accepted: tokio::sync::oneshot::Receiver<String>) -> CallerEnded {
    let Ok(token) = accepted.await else {
        return std::future::pending().await;
    };
    loop {
        let Some(access) = app.jwt.verify(&token) else { return CallerEnded::Expired };
        let left = u64::try_from(access.expires_at - chrono::Utc::now().timestamp()).unwrap_or(0);
        tokio::time::sleep(CALLER_RECHECK.min(std::time::Duration::from_secs(left))).await;
        match crate::service::identity::resolve_caller(&app, Some(&token)).await {
            Ok(Caller::Authenticated(_)) => continue,
            Ok(_) if app.jwt.verify(&token).is_none() => return CallerEnded::Expired,
            Ok(_) => return CallerEnded::Revoked,
            // The database is unreachable: keep the connection, look again later.
            Err(_) => continue,
        }
    }
}
