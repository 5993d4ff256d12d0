//! What runs in the background of one instance. R45: changes write outbox
//! rows in their own transaction (the core's `events::outbox`); every
//! instance tails the outbox (`fanout`) to feed its GraphQL subscriptions
//! (`live`) and wake its webhook worker (`delivery`). R33: the daily billing
//! run (`scheduler`) calls the core's `billing::run`.

pub mod delivery;
pub mod fanout;
pub mod live;
pub mod scheduler;

use std::sync::Arc;

use entity::outbox_event;
use tokio::{
    sync::{Notify, broadcast},
    task::JoinHandle,
};

use crate::state::AppState;

/// This instance's event plumbing; cheap to clone.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<outbox_event::Model>>,
    webhooks: Arc<Notify>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub { sender: broadcast::channel(4096).0, webhooks: Arc::new(Notify::new()) }
    }
}

impl EventHub {
    pub fn publish(&self, event: Arc<outbox_event::Model>) {
        // No receivers is fine: nobody is listening on this instance.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<outbox_event::Model>> {
        self.sender.subscribe()
    }

    pub fn wake_webhooks(&self) {
        self.webhooks.notify_one();
    }

    pub(crate) fn webhook_wake(&self) -> Arc<Notify> {
        self.webhooks.clone()
    }
}

/// Background tasks of one instance: the outbox tail and (if configured) the
/// webhook worker. Dropping the handles leaves them running; abort to stop.
pub struct EventTasks {
    pub tail: JoinHandle<()>,
    pub worker: Option<JoinHandle<()>>,
}

pub fn start(state: &AppState) -> EventTasks {
    let tail = tokio::spawn(fanout::run(state.clone()));
    let worker = state.config.events.webhook_worker.then(|| tokio::spawn(delivery::run_worker(state.clone())));
    EventTasks { tail, worker }
}
