//! R45: fan-out to this instance's live subscribers. Each instance tails the
//! outbox by sequence number and publishes new events on an in-process
//! broadcast channel. On PostgreSQL a `NOTIFY` sent by the writing transaction
//! (delivered on commit) wakes every instance at once; polling is the fallback
//! for a missed notification. On SQLite the tail polls.
//!
//! Sequence numbers are handed out at insert, not at commit, so on PostgreSQL
//! a later number can become visible before an earlier one. Skipped numbers
//! are remembered for a while and looked for again, so a slow transaction's
//! event is still published.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use entity::outbox_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    db,
    error::AppResult,
    service::sessions::{REVOKED_CHANNEL, Revoked},
    state::AppState,
};

/// How long a skipped sequence number is waited for (a rolled-back insert never comes).
const GAP_PATIENCE: Duration = Duration::from_secs(30);
const MAX_GAPS: usize = 10_000;
const PAGE: u64 = 500;

pub struct Tail {
    last: i64,
    gaps: BTreeMap<i64, Instant>,
}

impl Tail {
    /// Starts after the newest event: a subscriber gets what happens from now on.
    pub async fn start(state: &AppState) -> AppResult<Tail> {
        let last = outbox_event::Entity::find()
            .order_by_desc(outbox_event::Column::Seq)
            .one(&state.db)
            .await?
            .map(|e| e.seq)
            .unwrap_or(0);
        Ok(Tail { last, gaps: BTreeMap::new() })
    }

    fn floor(&self) -> i64 {
        self.gaps.keys().next().map(|first| first - 1).unwrap_or(self.last)
    }

    /// Reads what is new since the last call, in order, each event once.
    pub async fn poll(&mut self, state: &AppState) -> AppResult<Vec<outbox_event::Model>> {
        let now = Instant::now();
        self.gaps.retain(|_, seen| now.duration_since(*seen) < GAP_PATIENCE);
        let rows = outbox_event::Entity::find()
            .filter(outbox_event::Column::Seq.gt(self.floor()))
            .order_by_asc(outbox_event::Column::Seq)
            .limit(PAGE)
            .all(&state.db)
            .await?;
        let mut fresh = Vec::new();
        for row in rows {
            if row.seq > self.last {
                for missing in (self.last + 1)..row.seq {
                    if self.gaps.len() < MAX_GAPS {
                        self.gaps.insert(missing, now);
                    }
                }
                self.last = row.seq;
                fresh.push(row);
            } else if self.gaps.remove(&row.seq).is_some() {
                fresh.push(row);
            }
        }
        Ok(fresh)
    }
}

/// The tail loop: runs until its task is aborted.
pub async fn run(state: AppState) {
    let mut tail = loop {
        match Tail::start(&state).await {
            Ok(tail) => break tail,
            Err(e) => {
                tracing::warn!(error = %e, "event tail could not start; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let poll = Duration::from_millis(state.config.events.event_poll_ms);
    let mut listener = listen(&state).await;
    loop {
        match tail.poll(&state).await {
            Ok(events) => {
                if !events.is_empty() {
                    state.events.wake_webhooks();
                }
                for event in events {
                    state.events.publish(Arc::new(event));
                }
            }
            Err(e) => tracing::warn!(error = %e, "event tail poll failed"),
        }
        match listener.as_mut() {
            Some(l) => {
                // Revocations are passed on and listened for again without a
                // poll of the outbox: they carry no event.
                let deadline = tokio::time::Instant::now() + poll;
                loop {
                    tokio::select! {
                        received = l.recv() => match received {
                            Ok(notification) if notification.channel() == REVOKED_CHANNEL => {
                                if let Some(revoked) = Revoked::parse(notification.payload()) {
                                    state.events.revoke(revoked);
                                }
                                continue;
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "event listener lost; polling");
                                listener = None;
                            }
                        },
                        _ = tokio::time::sleep_until(deadline) => {}
                    }
                    break;
                }
            }
            None => {
                tokio::time::sleep(poll).await;
                if db::is_postgres(&state.db) {
                    listener = listen(&state).await;
                }
            }
        }
    }
}

async fn listen(state: &AppState) -> Option<sea_orm::sqlx::postgres::PgListener> {
    if !db::is_postgres(&state.db) {
        return None;
    }
    let connect = async {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(&state.config.database_url).await?;
        listener.listen_all([crate::service::events::outbox::NOTIFY_CHANNEL, REVOKED_CHANNEL]).await?;
        Ok::<_, sea_orm::sqlx::Error>(listener)
    };
    match connect.await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "LISTEN failed; polling the outbox");
            None
        }
    }
}
