//! R45/R37: the feeds behind GraphQL subscriptions: this instance's event
//! fan-out, filtered by the core's `access::event` rules for each event.

use std::sync::Arc;

use async_graphql::futures_util::{Stream, stream};
use entity::outbox_event;
use tokio::sync::broadcast::error::RecvError;

pub use crate::access::event::Feed;
use crate::{access::event::passes, auth::Actor, state::AppState};

/// The events of `feed` that `actor` may see, from now on.
pub fn stream(state: AppState, actor: Actor, feed: Feed) -> impl Stream<Item = Arc<outbox_event::Model>> {
    let receiver = state.events.subscribe();
    stream::unfold((receiver, state, actor), move |(mut receiver, state, actor)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    if feed.matches(&event, &actor) && passes(&state.db, &actor, feed, &event).await {
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
