//! R45: the webhook delivery worker. Every instance runs one; they share the
//! queue without double sending: a delivery is claimed by setting a lease
//! (`locked_until`) in a short transaction — `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, the single SQLite writer otherwise. Only the oldest pending
//! delivery of each (endpoint, subscription) can be claimed, so events of one
//! subscription arrive in order. A worker that dies mid-delivery leaves its
//! lease to expire; another worker then sends the event again with the same
//! ID (at least once).
//!
//! Issue 20 item 6: no endpoint can hold up another. Each delivery runs in
//! its own task (at most `webhook_max_in_flight` per instance); the claim
//! leaves alone endpoints and publishers that already have their share in
//! flight (`webhook_endpoint_concurrency`, `webhook_publisher_concurrency`,
//! counted from the leases, so across instances) and takes each publisher's
//! oldest deliveries in turn, so a publisher with many slow endpoints waits
//! on itself only. An endpoint that keeps failing trips its circuit breaker
//! (`webhook_endpoint_health`): no attempts while open, then one probe at a
//! time until a delivery succeeds. A failed delivery wakes the worker when its
//! backoff ends, so retries keep the configured gaps.
//!
//! SSRF: the URL is checked again before each delivery, and the client's own
//! DNS resolver ([`PublicOnly`]) refuses a name with any non-public address
//! and hands the checked addresses to the connector: the connection goes to
//! the address that was checked (no second lookup to rebind), and no proxy.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::{outbox_event, webhook_delivery, webhook_endpoint};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value, sea_query::Expr};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    config::EventConfig,
    db,
    error::AppResult,
    outbound::{PublicOnly, refused_by_resolver},
    state::AppState,
};

pub use crate::service::events::webhooks::delivery_status::{DELIVERED, FAILED, PENDING};
/// Most deliveries claimed in one pass.
const BATCH: u64 = 32;
/// Candidates a claim looks at (endpoints already at their share are left out first).
const POOL: u64 = 256;

/// `Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The JSON body: stable for an event whatever the attempt.
pub fn body(event: &outbox_event::Model) -> String {
    let data: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
    json!({
        "id": event.id,
        "type": event.event_type,
        "createdAt": event.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// Exponential backoff with ±20 % jitter: base·2^(attempt−1), capped.
pub fn backoff(config: &EventConfig, attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 32) as u32 - 1;
    let raw = config.webhook_retry_base_ms.saturating_mul(1u64 << exponent.min(30));
    let capped = raw.min(config.webhook_retry_max_ms) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_millis((capped * jitter) as u64)
}

fn lease(config: &EventConfig) -> chrono::Duration {
    chrono::Duration::milliseconds(config.webhook_timeout_ms as i64 + 5_000)
}

/// Claims up to `room` due deliveries for this worker: the oldest pending
/// delivery of each (endpoint, subscription), on enabled endpoints whose
/// circuit is not open, within each endpoint's and each publisher's share of
/// deliveries in flight (a half-open endpoint: one probe), each publisher's
/// oldest first in turn (issue 20 item 6).
async fn claim(state: &AppState, room: u64) -> AppResult<Vec<webhook_delivery::Model>> {
    let config = &state.config.events;
    let now = Utc::now();
    let until = now + lease(config);
    let backend = state.db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE OF d SKIP LOCKED" } else { "" };
    // In flight = PENDING with a live lease (the tasks clear it when done).
    let in_flight_endpoint = "(SELECT COUNT(*) FROM webhook_deliveries f \
           WHERE f.endpoint_id = c.endpoint_id AND f.status = 'PENDING' AND f.locked_until >= $4)";
    let in_flight_publisher = "(SELECT COUNT(*) FROM webhook_deliveries f \
           JOIN webhook_endpoints fe ON fe.id = f.endpoint_id \
           WHERE fe.publisher_id = c.publisher_id AND f.status = 'PENDING' AND f.locked_until >= $6)";
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN (\
           SELECT r.id FROM (\
             SELECT c.id, c.event_seq, \
               ROW_NUMBER() OVER (PARTITION BY c.endpoint_id ORDER BY c.event_seq) AS endpoint_rank, \
               ROW_NUMBER() OVER (PARTITION BY c.publisher_id ORDER BY c.event_seq) AS publisher_rank, \
               (CASE WHEN c.failures >= $2 THEN 1 ELSE $3 END) - {in_flight_endpoint} AS endpoint_room, \
               $5 - {in_flight_publisher} AS publisher_room \
             FROM (\
               SELECT d.id, d.event_seq, d.endpoint_id, e.publisher_id, COALESCE(h.consecutive_failures, 0) AS failures \
               FROM webhook_deliveries d \
               JOIN webhook_endpoints e ON e.id = d.endpoint_id \
               LEFT JOIN webhook_endpoint_health h ON h.endpoint_id = d.endpoint_id \
               WHERE d.status = 'PENDING' AND e.enabled = $7 AND d.next_attempt_at <= $8 \
                 AND (d.locked_until IS NULL OR d.locked_until < $9) \
                 AND (h.open_until IS NULL OR h.open_until <= $10) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                     WHERE p.endpoint_id = d.endpoint_id AND p.subscription_id = d.subscription_id \
                       AND p.status = 'PENDING' AND p.event_seq < d.event_seq) \
                 AND (SELECT COUNT(*) FROM webhook_deliveries f WHERE f.endpoint_id = d.endpoint_id \
                       AND f.status = 'PENDING' AND f.locked_until >= $11) < $12 \
               ORDER BY d.event_seq LIMIT $13 {lock}\
             ) c\
           ) r \
           WHERE r.endpoint_rank <= r.endpoint_room AND r.publisher_rank <= r.publisher_room \
           ORDER BY r.publisher_rank, r.event_seq LIMIT $14\
         ) RETURNING id"
    );
    let endpoint_share = i64::from(config.webhook_endpoint_concurrency);
    // In the order the placeholders appear (SQLite binds them by position).
    let values: Vec<Value> = vec![
        until.into(),
        i64::from(config.webhook_breaker_failures).into(),
        endpoint_share.into(),
        now.into(),
        i64::from(config.webhook_publisher_concurrency).into(),
        now.into(),
        true.into(),
        now.into(),
        now.into(),
        now.into(),
        now.into(),
        endpoint_share.into(),
        (POOL as i64).into(),
        (room as i64).into(),
    ];
    let sql = if backend == DbBackend::Postgres { sql } else { positional(&sql) };
    let txn = db::begin_write(&state.db).await?;
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    txn.commit().await?;
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(webhook_delivery::Entity::find().filter(webhook_delivery::Column::Id.is_in(ids)).all(&state.db).await?)
}

/// `$n` → `?` for SQLite (each placeholder appears once, in order).
fn positional(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a delivery attempt failed; stored in the delivery log as
/// `<CODE>: <detail>` (`lastError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// SSRF (issue 20 item 6): the URL or an address its name resolves to is
    /// not a public one; nothing was sent.
    AddressNotAllowed(String),
    /// No answer within the timeout.
    TimedOut,
    /// The receiver answered with a non-2xx status.
    Status(u16),
    /// DNS, connection or protocol failure.
    Transport(String),
}

impl Failure {
    pub fn code(&self) -> &'static str {
        match self {
            Failure::AddressNotAllowed(_) => "ADDRESS_NOT_ALLOWED",
            Failure::TimedOut => "TIMED_OUT",
            Failure::Status(_) => "HTTP_STATUS",
            Failure::Transport(_) => "TRANSPORT",
        }
    }

    /// The text stored as the delivery's last error.
    pub fn logged(&self) -> String {
        let detail = match self {
            Failure::AddressNotAllowed(detail) | Failure::Transport(detail) => detail.clone(),
            Failure::TimedOut => "no answer within the timeout".into(),
            Failure::Status(code) => format!("HTTP {code}"),
        };
        format!("{}: {detail}", self.code()).chars().take(300).collect()
    }
}

async fn send(
    state: &AppState,
    client: &reqwest::Client,
    endpoint: &webhook_endpoint::Model,
    event: &outbox_event::Model,
) -> Result<u16, Failure> {
    let allow_private = state.config.events.webhook_allow_private;
    // Literal addresses and internal names; a name's addresses are checked by the resolver.
    let url = crate::service::events::webhooks::check_url(&endpoint.url, allow_private)
        .map_err(|_| Failure::AddressNotAllowed(format!("URL not allowed: {}", endpoint.url)))?;
    let body = body(event);
    let signature = signature(&endpoint.secret, Utc::now().timestamp(), &body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("signature", signature)
        .header("licensedesk-event-id", event.id.to_string())
        .header("licensedesk-event-type", &event.event_type)
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
        Ok(r) => Err(Failure::Status(r.status().as_u16())),
        Err(e) if e.is_timeout() => Err(Failure::TimedOut),
        Err(e) => Err(match refused_by_resolver(&e) {
            Some(why) => Failure::AddressNotAllowed(why),
            None => Failure::Transport(format!("{e}")),
        }),
    }
}

/// One attempt of one delivery, with its bookkeeping: the outcome, the next
/// attempt after the configured backoff, the endpoint's circuit breaker.
/// Returns when the worker should look again (a retry's or a probe's time).
async fn deliver_one(
    state: &AppState,
    client: &reqwest::Client,
    delivery: webhook_delivery::Model,
) -> AppResult<Option<Duration>> {
    let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id).one(&state.db).await?;
    let event =
        outbox_event::Entity::find().filter(outbox_event::Column::Id.eq(delivery.event_id)).one(&state.db).await?;
    let (Some(endpoint), Some(event)) = (endpoint, event) else { return Ok(None) };
    let sent = std::time::Instant::now();
    let outcome = send(state, client, &endpoint, &event).await;
    let elapsed = sent.elapsed();
    let config = &state.config.events;
    let now = Utc::now();
    let attempts = delivery.attempts + 1;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(Some(now)))
        .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None));
    let mut wake_after = None;
    update = match &outcome {
        Ok(code) => {
            crate::metrics::record_webhook_attempt("delivered", elapsed);
            update
                .col_expr(webhook_delivery::Column::Status, Expr::value(DELIVERED))
                .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(Some(*code as i32)))
                .col_expr(webhook_delivery::Column::LastError, Expr::value(Option::<String>::None))
                .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(Some(now)))
        }
        Err(failure) => {
            let gave_up = (now - delivery.created_at).num_seconds() >= config.webhook_retry_for_seconds as i64;
            let wait = backoff(config, attempts);
            let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
            if !gave_up {
                wake_after = Some(wait);
            }
            crate::metrics::record_webhook_attempt(if gave_up { "failed" } else { "retrying" }, elapsed);
            tracing::info!(delivery = %delivery.id, attempts, error = %failure.logged(), "webhook delivery failed");
            let status = match failure {
                Failure::Status(code) => Some(i32::from(*code)),
                _ => None,
            };
            update
                .col_expr(webhook_delivery::Column::Status, Expr::value(if gave_up { FAILED } else { PENDING }))
                .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(status))
                .col_expr(webhook_delivery::Column::LastError, Expr::value(Some(failure.logged())))
                .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        }
    };
    // Only while it is still ours: a redelivery request may have reset it.
    update
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .exec(&state.db)
        .await?;
    let opened = record_health(state, endpoint.id, outcome.is_ok(), now).await?;
    Ok(match (wake_after, opened) {
        (Some(wait), Some(open)) => Some(wait.max(open)),
        (wait, open) => wait.or(open),
    })
}

/// The circuit breaker (issue 20 item 6): a success closes it (the row goes);
/// a failure counts, and from `webhook_breaker_failures` consecutive failures
/// on the circuit opens for `webhook_breaker_open_ms` (again after each failed
/// probe). Returns how long it is now open, if it is.
async fn record_health(
    state: &AppState,
    endpoint_id: Uuid,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<Option<Duration>> {
    let config = &state.config.events;
    let backend = state.db.get_database_backend();
    let run = |sql: &str, values: Vec<Value>| {
        let sql = if backend == DbBackend::Postgres { sql.to_owned() } else { positional(sql) };
        Statement::from_sql_and_values(backend, sql, values)
    };
    if succeeded {
        // A healthy endpoint has no row: read first, so a success costs no write.
        let select =
            run("SELECT endpoint_id FROM webhook_endpoint_health WHERE endpoint_id = $1", vec![endpoint_id.into()]);
        if state.db.query_one_raw(select).await?.is_some() {
            let delete = run("DELETE FROM webhook_endpoint_health WHERE endpoint_id = $1", vec![endpoint_id.into()]);
            state.db.execute_raw(delete).await?;
        }
        return Ok(None);
    }
    let txn = db::begin_write(&state.db).await?;
    let row = txn
        .query_one_raw(run(
            "INSERT INTO webhook_endpoint_health (endpoint_id, consecutive_failures, open_until) VALUES ($1, 1, NULL) \
             ON CONFLICT (endpoint_id) DO UPDATE \
             SET consecutive_failures = webhook_endpoint_health.consecutive_failures + 1 \
             RETURNING consecutive_failures",
            vec![endpoint_id.into()],
        ))
        .await?;
    let failures = row.and_then(|r| r.try_get::<i32>("", "consecutive_failures").ok()).unwrap_or(1);
    let open = (i64::from(failures) >= i64::from(config.webhook_breaker_failures))
        .then(|| Duration::from_millis(config.webhook_breaker_open_ms));
    if let Some(open) = open {
        let until = now + chrono::Duration::from_std(open).unwrap_or_default();
        txn.execute_raw(run(
            "UPDATE webhook_endpoint_health SET open_until = $1 WHERE endpoint_id = $2",
            vec![until.into(), endpoint_id.into()],
        ))
        .await?;
        tracing::warn!(endpoint = %endpoint_id, failures, "webhook endpoint circuit open");
    }
    txn.commit().await?;
    Ok(open)
}

/// One pass: claim and send, waiting for every send. Returns how many
/// deliveries were attempted.
pub async fn run_once(state: &AppState, client: &reqwest::Client) -> AppResult<usize> {
    let claimed = claim(state, BATCH).await?;
    let count = claimed.len();
    let sends = claimed.into_iter().map(|d| deliver_one(state, client, d));
    for result in async_graphql::futures_util::future::join_all(sends).await {
        if let Err(e) = result {
            tracing::warn!(error = %e, "webhook delivery bookkeeping failed");
        }
    }
    Ok(count)
}

/// The webhook HTTP client: the configured timeout, no redirects, no proxy
/// (the connection goes straight to the checked address), and the
/// [`PublicOnly`] resolver.
pub fn client(config: &EventConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(config.webhook_timeout_ms))
        .connect_timeout(Duration::from_millis(config.webhook_timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PublicOnly::new(config.webhook_allow_private)))
        .user_agent("LicenseDesk-Webhooks/1")
        .build()
        .unwrap_or_default()
}

/// The worker loop: runs until its task is aborted (which aborts its
/// deliveries in flight too; their leases expire and another worker sends
/// them again). Each delivery runs in its own task; the loop claims again
/// whenever one ends, when a retry or a probe is due, when woken, or every
/// `event_poll_ms`.
pub async fn run_worker(state: AppState) {
    let client = client(&state.config.events);
    let poll = Duration::from_millis(state.config.events.event_poll_ms);
    let wake = state.events.webhook_wake();
    let slots = Arc::new(Semaphore::new(state.config.events.webhook_max_in_flight as usize));
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let room = (slots.available_permits() as u64).min(BATCH);
        let mut full_batch = false;
        if room > 0 {
            match claim(&state, room).await {
                Ok(claimed) => {
                    full_batch = claimed.len() as u64 == room;
                    for delivery in claimed {
                        let Ok(slot) = slots.clone().try_acquire_owned() else { break };
                        let (state, client, wake) = (state.clone(), client.clone(), wake.clone());
                        in_flight.spawn(async move {
                            match deliver_one(&state, &client, delivery).await {
                                Ok(Some(again)) => {
                                    // A retry or a probe is due then: look again at that moment.
                                    let wake = wake.clone();
                                    tokio::spawn(async move {
                                        tokio::time::sleep(again).await;
                                        wake.notify_one();
                                    });
                                }
                                Ok(None) => {}
                                Err(e) => tracing::warn!(error = %e, "webhook delivery bookkeeping failed"),
                            }
                            drop(slot);
                            // Room for the endpoint's next delivery.
                            wake.notify_one();
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook worker pass failed"),
            }
        }
        if full_batch {
            continue;
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::outbound::public_only;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Same inputs, same signature; any change in body or time changes it.
        let a = signature("whsec_x", 1_700_000_000, "{\"a\":1}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_eq!(a, signature("whsec_x", 1_700_000_000, "{\"a\":1}"));
        assert_ne!(a, signature("whsec_x", 1_700_000_001, "{\"a\":1}"));
        assert_ne!(a, signature("whsec_y", 1_700_000_000, "{\"a\":1}"));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let config =
            EventConfig { webhook_retry_base_ms: 1_000, webhook_retry_max_ms: 60_000, ..EventConfig::for_tests() };
        let first = backoff(&config, 1).as_millis();
        assert!((800..=1_200).contains(&first), "{first}");
        let fourth = backoff(&config, 4).as_millis();
        assert!((6_400..=9_600).contains(&fourth), "{fourth}");
        let late = backoff(&config, 30).as_millis();
        assert!((48_000..=72_000).contains(&late), "{late}");
    }

    /// Issue 20 item 6: a name is refused when any address it resolves to is
    /// not public (a rebinding answer mixes one in); the addresses kept are
    /// exactly the ones checked, and they are what the connector gets.
    #[test]
    fn the_resolver_hands_on_only_checked_public_addresses() {
        let at = |ip: &str| SocketAddr::new(ip.parse().expect("ip"), 0);
        let public = vec![at("93.184.216.34"), at("2606:2800:220:1::1")];
        assert_eq!(public_only("hooks.example.com", public.clone(), false).ok(), Some(public));
        for bad in
            ["127.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "fec0::1", "198.18.0.1", "240.0.0.1"]
        {
            let mixed = vec![at("93.184.216.34"), at(bad)];
            let refused = public_only("rebind.example.com", mixed.clone(), false);
            assert!(refused.as_ref().is_err_and(|e| e.to_string().contains("not a public address")), "{bad}");
            assert_eq!(public_only("rebind.example.com", mixed.clone(), true).ok(), Some(mixed), "allowed: {bad}");
        }
        assert!(public_only("nothing.example.com", Vec::new(), true).is_err());
    }

    #[test]
    fn a_failure_is_logged_with_its_code() {
        assert_eq!(Failure::Status(503).logged(), "HTTP_STATUS: HTTP 503");
        assert!(
            Failure::AddressNotAllowed("x resolves to 127.0.0.1".into()).logged().starts_with("ADDRESS_NOT_ALLOWED: ")
        );
    }

    #[test]
    fn placeholders_become_positional_for_sqlite() {
        assert_eq!(positional("a = $1 AND b < $22 LIMIT $3"), "a = ? AND b < ? LIMIT ?");
    }
}
