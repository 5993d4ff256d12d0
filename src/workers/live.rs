//! R45/R37: the feeds behind GraphQL subscriptions: this instance's event
//! fan-out, filtered by the core's `access::event` rules for each event.

use std::sync::Arc;

use async_graphql::futures_util::{Stream, stream};
use entity::outbox_event;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

pub use crate::access::event::Feed;
use crate::{access::event::passes, auth::Actor, service::identity::current_caller, state::AppState};

/// The events of `feed` that `actor` may see, from now on. Each event is
/// checked against the caller's rights as they are when it is sent (roles,
/// billing-profile roles, deactivation), never as they were at connect time
/// (R37, issue 21 item 2): a demoted admin's feed stops with the next event,
/// a deactivated or deleted user's feed ends, and so does an ended session's.
/// `session` is the connection's session (R47): once it ends, so does the feed.
pub fn stream(
    state: AppState,
    actor: Actor,
    session: Option<Uuid>,
    feed: Feed,
) -> impl Stream<Item = Arc<outbox_event::Model>> {
    let receiver = state.events.subscribe();
    stream::unfold((receiver, state, actor), move |(mut receiver, state, mut actor)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    if !feed.matches(&event, &actor) {
                        continue;
                    }
                    match current_caller(&state, actor.user_id(), session).await {
                        Ok(Some((now, _))) => actor = now,
                        Ok(None) => return None, // deactivated or deleted: the feed ends
                        Err(err) => {
                            // Fail closed: an event whose reader cannot be checked is not sent.
                            tracing::warn!(error = %err, "a live event was held back: its reader's rights could not be read");
                            continue;
                        }
                    }
                    if passes(&state.db, &actor, feed, &event).await {
                        return Some((event, (receiver, state, actor)));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a live subscriber fell behind; events were skipped");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
