//! This instance's event plumbing: the broadcast the outbox tail feeds and
//! live subscriptions read, and the webhook worker's wake-up. Held by
//! `AppState`; filled and drained by the workers.

use std::sync::Arc;

use entity::outbox_event;
use tokio::sync::{Notify, broadcast};

/// This instance's event plumbing; cheap to clone.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<outbox_event::Model>>,
    webhooks: Arc<Notify>,
    /// R52: wakes this instance's notice sender.
    notices: Arc<Notify>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            sender: broadcast::channel(4096).0,
            webhooks: Arc::new(Notify::new()),
            notices: Arc::new(Notify::new()),
        }
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
        // A change that raised an event may have queued notices in its transaction.
        self.notices.notify_one();
    }

    pub fn notice_wake(&self) -> Arc<Notify> {
        self.notices.clone()
    }

    pub fn webhook_wake(&self) -> Arc<Notify> {
        self.webhooks.clone()
    }
}
