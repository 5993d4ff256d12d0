//! R45: the webhook delivery worker. Every instance runs one; they share the
//! queue without double sending: a delivery is claimed by setting a lease
//! (`locked_until`) in a short transaction — `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, the single SQLite writer otherwise. Only the oldest pending
//! delivery of each (endpoint, subscription) can be claimed, so events of one
//! subscription arrive in order. A worker that dies mid-delivery leaves its
//! lease to expire; another worker then sends the event again with the same
//! ID (at least once).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{outbox_event, webhook_delivery, webhook_endpoint};
use hmac::{Hmac, Mac};
use rand::Rng;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value, sea_query::Expr};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::{config::EventConfig, db, error::AppResult, state::AppState};

pub use crate::events::webhooks::delivery_status::{DELIVERED, FAILED, PENDING};
const BATCH: u64 = 32;

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
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_millis((capped * jitter) as u64)
}

fn lease(config: &EventConfig) -> chrono::Duration {
    chrono::Duration::milliseconds(config.webhook_timeout_ms as i64 + 5_000)
}

/// Claims up to `BATCH` due deliveries for this worker.
async fn claim(state: &AppState) -> AppResult<Vec<webhook_delivery::Model>> {
    let now = Utc::now();
    let until = now + lease(&state.config.events);
    let backend = state.db.get_database_backend();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE OF d SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until = $1 WHERE id IN (\
           SELECT d.id FROM webhook_deliveries d \
           JOIN webhook_endpoints e ON e.id = d.endpoint_id \
           WHERE d.status = 'PENDING' AND e.enabled = $2 AND d.next_attempt_at <= $3 \
             AND (d.locked_until IS NULL OR d.locked_until < $4) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                 WHERE p.endpoint_id = d.endpoint_id AND p.subscription_id = d.subscription_id \
                   AND p.status = 'PENDING' AND p.event_seq < d.event_seq) \
           ORDER BY d.event_seq LIMIT $5 {lock}) RETURNING id"
    );
    let values: Vec<Value> = vec![until.into(), true.into(), now.into(), now.into(), (BATCH as i64).into()];
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

enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

async fn send(
    state: &AppState,
    client: &reqwest::Client,
    endpoint: &webhook_endpoint::Model,
    event: &outbox_event::Model,
) -> Outcome {
    let allow_private = state.config.events.webhook_allow_private;
    let url = match crate::events::webhooks::check_url(&endpoint.url, allow_private) {
        Ok(url) => url,
        Err(_) => return Outcome::Failed { status: None, error: "URL not allowed".into() },
    };
    if !allow_private {
        // The name may have pointed elsewhere when the endpoint was registered.
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(addrs) => {
                if addrs.into_iter().any(|a| crate::events::webhooks::is_private_ip(a.ip())) {
                    return Outcome::Failed { status: None, error: "address not allowed".into() };
                }
            }
            Err(e) => return Outcome::Failed { status: None, error: format!("DNS: {e}") },
        }
    }
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
        Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16()),
        Ok(r) => Outcome::Failed { status: Some(r.status().as_u16()), error: format!("HTTP {}", r.status()) },
        Err(e) if e.is_timeout() => Outcome::Failed { status: None, error: "timed out".into() },
        Err(e) => Outcome::Failed { status: None, error: format!("{e}").chars().take(300).collect() },
    }
}

async fn deliver_one(state: &AppState, client: &reqwest::Client, delivery: webhook_delivery::Model) -> AppResult<()> {
    let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id).one(&state.db).await?;
    let event =
        outbox_event::Entity::find().filter(outbox_event::Column::Id.eq(delivery.event_id)).one(&state.db).await?;
    let (Some(endpoint), Some(event)) = (endpoint, event) else { return Ok(()) };
    let outcome = send(state, client, &endpoint, &event).await;
    let now = Utc::now();
    let attempts = delivery.attempts + 1;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(Some(now)))
        .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None));
    update = match outcome {
        Outcome::Delivered(code) => update
            .col_expr(webhook_delivery::Column::Status, Expr::value(DELIVERED))
            .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(Some(code as i32)))
            .col_expr(webhook_delivery::Column::LastError, Expr::value(Option::<String>::None))
            .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(Some(now))),
        Outcome::Failed { status, error } => {
            let config = &state.config.events;
            let gave_up = (now - delivery.created_at).num_seconds() >= config.webhook_retry_for_seconds as i64;
            let next = now + chrono::Duration::from_std(backoff(config, attempts)).unwrap_or_default();
            tracing::info!(delivery = %delivery.id, attempts, error = %error, "webhook delivery failed");
            update
                .col_expr(webhook_delivery::Column::Status, Expr::value(if gave_up { FAILED } else { PENDING }))
                .col_expr(webhook_delivery::Column::LastStatusCode, Expr::value(status.map(i32::from)))
                .col_expr(webhook_delivery::Column::LastError, Expr::value(Some(error)))
                .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        }
    };
    // Only while it is still ours: a redelivery request may have reset it.
    update
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// One pass: claim and send. Returns how many deliveries were attempted.
pub async fn run_once(state: &AppState, client: &reqwest::Client) -> AppResult<usize> {
    let claimed = claim(state).await?;
    let count = claimed.len();
    let sends = claimed.into_iter().map(|d| deliver_one(state, client, d));
    for result in async_graphql::futures_util::future::join_all(sends).await {
        if let Err(e) = result {
            tracing::warn!(error = %e, "webhook delivery bookkeeping failed");
        }
    }
    Ok(count)
}

pub fn client(config: &EventConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(config.webhook_timeout_ms))
        .connect_timeout(Duration::from_millis(config.webhook_timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("LicenseDesk-Webhooks/1")
        .build()
        .unwrap_or_default()
}

/// The worker loop: runs until its task is aborted.
pub async fn run_worker(state: AppState) {
    let client = client(&state.config.events);
    let poll = Duration::from_millis(state.config.events.event_poll_ms);
    let wake = state.events.webhook_wake();
    loop {
        match run_once(&state, &client).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook worker pass failed"),
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn placeholders_become_positional_for_sqlite() {
        assert_eq!(positional("a = $1 AND b < $22 LIMIT $3"), "a = ? AND b < ? LIMIT ?");
    }
}
