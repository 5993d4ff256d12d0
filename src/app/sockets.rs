//! The GraphQL WebSocket door (`WS_PATH`, graphql-transport-ws), guarded like
//! `POST /graphql` (issue 20 items 1 and 4):
//!
//! * every `subscribe` payload, of every operation type, passes the same
//!   pre-pass as HTTP (`handlers::guard`) and its errors carry
//!   `extensions.code` and a message in the language of the upgrade
//!   request's `Accept-Language`;
//! * queries and mutations run with their own loaders, like over HTTP; a
//!   mutation runs in a task of its own so it finishes (or rolls back) whole
//!   when the socket goes away;
//! * a socket that sends no `connection_init` within
//!   `SocketLimits::init_timeout` is closed with 4408; the server pings every
//!   `keepalive` and closes a socket silent for three of them; a socket with
//!   no operation running and nothing received for `idle_timeout` is closed;
//! * open sockets are capped in total and per client address; a refused
//!   upgrade answers 503 (total) or 429 RATE_LIMITED (per address).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use async_graphql::{
    Data, Executor, Request, Response, ServerError,
    futures_util::{SinkExt, StreamExt, stream::BoxStream},
};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response as HttpResponse},
};

use super::{
    RouterState,
    handlers::{bounded_json, guard, run},
};
use crate::{
    auth::Caller,
    config::SocketLimits,
    error::AppError,
    graphql::{self, cost::SchemaShape, executor::ServingSchema},
    state::{AppState, ClientAddr, RequestInfo, request_info},
};

/// Largest WebSocket message a client may send: a document at the size
/// limit (32 KiB by default) with its variables fits.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// Open sockets, in total and per client address.
#[derive(Default)]
pub(crate) struct SocketCounts {
    per_client: Mutex<HashMap<Option<IpAddr>, usize>>,
}

/// One open socket; counted until dropped.
pub(crate) struct SocketSlot {
    counts: Arc<SocketCounts>,
    client: Option<IpAddr>,
}

/// Why a socket was refused.
enum Refused {
    Total,
    PerClient,
}

impl SocketCounts {
    fn open(self: &Arc<Self>, client: Option<IpAddr>, limits: &SocketLimits) -> Result<SocketSlot, Refused> {
        let mut per_client = self.per_client.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let total: usize = per_client.values().sum();
        if total >= limits.max_total {
            return Err(Refused::Total);
        }
        let mine = per_client.entry(client).or_insert(0);
        if *mine >= limits.max_per_client {
            return Err(Refused::PerClient);
        }
        *mine += 1;
        Ok(SocketSlot { counts: self.clone(), client })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut per_client = self.counts.per_client.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(mine) = per_client.get_mut(&self.client) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                per_client.remove(&self.client);
            }
        }
    }
}

/// The executor one socket runs its operations with.
#[derive(Clone)]
struct SocketExecutor {
    app: AppState,
    schema: ServingSchema,
    shape: Arc<SchemaShape>,
    /// Operations running on this socket (for the idle timeout).
    running: Arc<AtomicUsize>,
}

/// Decrements the socket's running operations when the operation's stream ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn session_value<T: Clone + Send + Sync + 'static>(data: &Data) -> Option<T> {
    data.get(&std::any::TypeId::of::<T>()).and_then(|value| value.downcast_ref::<T>()).cloned()
}

fn error_response(err: &AppError, info: &RequestInfo) -> Response {
    let (message, extensions) = graphql::errors::describe(err, info);
    let mut error = ServerError::new(message, None);
    error.extensions = Some(extensions);
    Response::from_errors(vec![error])
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None).next().await.unwrap_or_default()
    }

    fn execute_stream(&self, mut request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        use async_graphql::parser::types::OperationType;
        let session = session.unwrap_or_default();
        let info = session_value::<RequestInfo>(&session).unwrap_or_else(|| RequestInfo {
            request_id: format!("ws-{}", uuid::Uuid::new_v4()),
            lang: Default::default(),
            client: None,
            user_agent: None,
        });
        let caller = session_value::<Caller>(&session).unwrap_or(Caller::Anonymous);
        if let Err(e) = guard(&self.shape, &self.app.config, &caller, &mut request) {
            return async_graphql::futures_util::stream::once(async move { error_response(&e, &info) }).boxed();
        }
        self.running.fetch_add(1, Ordering::SeqCst);
        let running = Running(self.running.clone());
        let wanted = request.operation_name.clone();
        let kind = request.parsed_query().ok().and_then(|doc| {
            let mut operations = doc.operations.iter();
            match wanted.as_deref() {
                Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
                None => operations.next(),
            }
            .map(|(_, op)| op.node.ty)
        });
        let finish = move |response: Response, info: &RequestInfo| {
            let response = graphql::errors::finish_response(response, info);
            // The same byte budget as over HTTP (issue 20 item 2).
            match bounded_json(&response, info) {
                Ok(_) => response,
                Err(e) => error_response(&e, info),
            }
        };
        match kind {
            Some(OperationType::Subscription) => self
                .schema
                .execute_stream(request, Some(session))
                .map(move |response| {
                    let _running = &running;
                    finish(response, &info)
                })
                .boxed(),
            // Queries and mutations (and documents that do not parse, which
            // the schema answers with the syntax error).
            kind => {
                let loaders = graphql::loaders::new_loaders(&self.app);
                let schema = self.schema.clone();
                let read_only = kind != Some(OperationType::Mutation);
                let token = session_value::<graphql::live::SocketToken>(&session);
                let app = self.app.clone();
                async_graphql::futures_util::stream::once(async move {
                    let _running = running;
                    // The caller as they are now, not as at connection_init (R47).
                    let mut request = request;
                    let caller = match token {
                        Some(token) => match crate::service::identity::resolve_caller_row(&app, Some(&token.0)).await {
                            Ok((Caller::Authenticated(actor), rows)) => {
                                if let Some(session) = rows.and_then(|rows| rows.session_id) {
                                    request = request.data(crate::auth::CurrentSession(session));
                                }
                                Caller::Authenticated(actor)
                            }
                            Ok(_) => return error_response(&AppError::Unauthenticated, &info),
                            Err(e) => return error_response(&e, &info),
                        },
                        None => caller,
                    };
                    let request = request.data(caller).data(info.clone()).data(loaders);
                    match run(schema, request, read_only).await {
                        Ok(response) => finish(response, &info),
                        Err(e) => error_response(&e, &info),
                    }
                })
                .boxed()
            }
        }
    }
}

/// When the socket last heard from its client, in milliseconds since `start`:
/// any frame (pongs included: the peer is alive), and a GraphQL message (the
/// client is using the socket).
struct Heard {
    start: Instant,
    any_frame: AtomicU64,
    message: AtomicU64,
    /// The client sent a message over `MAX_MESSAGE_BYTES` (closed with 1009).
    too_big: std::sync::atomic::AtomicBool,
}

impl Heard {
    fn new() -> Heard {
        Heard {
            start: Instant::now(),
            any_frame: AtomicU64::new(0),
            message: AtomicU64::new(0),
            too_big: Default::default(),
        }
    }
    fn frame(&self, message: &Result<Message, axum::Error>) {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.any_frame.store(elapsed, Ordering::Relaxed);
        match message {
            Ok(Message::Text(_) | Message::Binary(_)) => self.message.store(elapsed, Ordering::Relaxed),
            Err(e) if e.to_string().contains("too long") || e.to_string().contains("too big") => {
                self.too_big.store(true, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    fn since(&self, at: &AtomicU64) -> Duration {
        self.start.elapsed().saturating_sub(Duration::from_millis(at.load(Ordering::Relaxed)))
    }
}

/// A close frame; its reason is cut to the 123 bytes a frame can carry (RFC 6455 §5.5).
fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame { code, reason: reason[..end].into() }))
}

pub(super) async fn graphql_ws_handler(
    State(state): State<RouterState>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    let mut info = request_info(&headers);
    info.client = client.map(|c| c.0.0);
    let limits = state.app.config.sockets;
    let slot = match state.sockets.open(info.client, &limits) {
        Ok(slot) => slot,
        Err(Refused::Total) => {
            tracing::warn!("WebSocket refused: {} sockets open", limits.max_total);
            return (StatusCode::SERVICE_UNAVAILABLE, "too many open WebSocket connections").into_response();
        }
        Err(Refused::PerClient) => {
            let mut response = graphql::errors::app_error_response(AppError::RateLimited, &info);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return response;
        }
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            let _counted = crate::metrics::live_connection_opened();
            let _open = state.app.events.socket_opened();
            let executor = SocketExecutor {
                app: state.app.clone(),
                schema: state.schema.clone(),
                shape: state.shape.clone(),
                running: Arc::new(AtomicUsize::new(0)),
            };
            serve_socket(socket, executor, protocol, info, limits).await;
        })
        .into_response()
}

async fn serve_socket(
    socket: axum::extract::ws::WebSocket,
    executor: SocketExecutor,
    protocol: GraphQLProtocol,
    info: RequestInfo,
    limits: SocketLimits,
) {
    let (mut to_client, from_client) = socket.split();
    let heard = Arc::new(Heard::new());
    let from_client = {
        let heard = heard.clone();
        from_client.inspect(move |message| heard.frame(message))
    };
    // Everything to the client goes through one writer, so that the
    // lifecycle below can close the socket with a code of its own and ping it.
    let (outbox, mut outgoing) = tokio::sync::mpsc::channel::<Message>(16);
    let refusal = graphql::live::InitRefusal::default();
    let sink = {
        let refusal = refusal.clone();
        async_graphql::futures_util::sink::unfold(outbox.clone(), move |outbox, message: Message| {
            let message = protocol_close(message, &refusal);
            async move {
                outbox.send(message).await.map_err(|_| axum::Error::new("the socket's writer has stopped"))?;
                Ok::<_, axum::Error>(outbox)
            }
        })
    };
    let keepalive = limits.keepalive;
    let writer = async move {
        let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
        loop {
            let message = tokio::select! {
                message = outgoing.recv() => match message {
                    Some(message) => message,
                    None => break,
                },
                _ = ping.tick() => Message::Ping(Default::default()),
            };
            let closing = matches!(message, Message::Close(_));
            // A client that does not read is cut off instead of holding buffers.
            match tokio::time::timeout(keepalive, to_client.send(message)).await {
                Ok(Ok(())) if !closing => {}
                _ => break,
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), to_client.close()).await;
    };

    let (accepted, accepted_token) = tokio::sync::oneshot::channel();
    let initialised = Arc::new(tokio::sync::Notify::new());
    let app = executor.app.clone();
    let watched_app = executor.app.clone();
    let stopping = executor.app.events.clone();
    let running = executor.running.clone();
    let serve = {
        let initialised = initialised.clone();
        let info = info.clone();
        GraphQLWebSocket::new_with_pair(sink, from_client, executor, protocol)
            .on_connection_init(move |payload| {
                initialised.notify_one();
                graphql::live::connection_data(app, payload, info, accepted, refusal)
            })
            .serve()
    };
    let session = async move {
        let reason = tokio::select! {
            () = serve => heard.too_big.load(Ordering::Relaxed).then(|| close(1009, "message too big")),
            // The connection ends when its token expires or its user is
            // deactivated, not only when the client leaves (R43).
            ended = graphql::live::watch_caller(watched_app, accepted_token) => {
                tracing::info!(?ended, "closed a live connection: its caller may no longer use it");
                // graphql-transport-ws codes: 4401 to sign in again (refresh), 4403 for good (R47).
                Some(match ended {
                    graphql::live::CallerEnded::Expired => close(4401, "Unauthorized: the access token expired"),
                    graphql::live::CallerEnded::Revoked => close(4403, "Forbidden: the session ended"),
                })
            }
            () = init_deadline(&initialised, limits.init_timeout) => {
                Some(close(4408, "Connection initialisation timeout"))
            }
            () = silence(&heard, &running, &limits) => Some(close(1001, "idle")),
            () = stopping.stopped() => Some(close(1001, "Going away: the server is shutting down")),
        };
        if let Some(message) = reason {
            let _ = outbox.send(message).await;
        }
    };
    tokio::join!(writer, session);
}

/// The graphql-transport-ws close codes for what async-graphql closes with
/// 1002 or 1011: a refused `connection_init` is 4401 (no valid token) or 4403
/// (a session that ended, a deactivated user), as `connection_data` decided;
/// any other protocol error is 4400 Bad request; an operation before the
/// connection was acknowledged is 4401 Unauthorized.
fn protocol_close(message: Message, refusal: &graphql::live::InitRefusal) -> Message {
    let Message::Close(Some(frame)) = &message else { return message };
    match frame.code {
        1002 => match refusal.take() {
            Some((code, reason)) => close(code, &reason),
            None => close(4400, &format!("Bad request: {}", frame.reason)),
        },
        1011 => close(4401, "Unauthorized"),
        _ => message,
    }
}

/// Resolves when `connection_init` has not arrived in time.
async fn init_deadline(initialised: &tokio::sync::Notify, limit: Duration) {
    if tokio::time::timeout(limit, initialised.notified()).await.is_ok() {
        std::future::pending::<()>().await;
    }
}

/// Resolves when the client has been silent too long: three keep-alive
/// intervals without even a pong (a dead peer), or `idle_timeout` without a
/// message while no operation runs.
async fn silence(heard: &Heard, running: &AtomicUsize, limits: &SocketLimits) {
    let check = limits.keepalive.min(limits.idle_timeout).min(Duration::from_secs(5));
    loop {
        tokio::time::sleep(check).await;
        if heard.since(&heard.any_frame) > limits.keepalive * 3 {
            return;
        }
        if running.load(Ordering::SeqCst) == 0 && heard.since(&heard.message) > limits.idle_timeout {
            return;
        }
    }
}
