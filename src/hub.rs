//! This instance's event plumbing: the broadcast the outbox tail feeds and
//! live subscriptions read, and the webhook worker's wake-up. Held by
//! `AppState`; filled and drained by the workers.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use entity::outbox_event;
use tokio::sync::{Notify, broadcast, watch};

use crate::service::sessions::Revoked;

/// This instance's event plumbing; cheap to clone.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<outbox_event::Model>>,
    webhooks: Arc<Notify>,
    /// Ended sessions and deactivated users, as every instance hears of them
    /// (R47): open live connections re-check their caller at once.
    revoked: broadcast::Sender<Revoked>,
    /// Set once when the server begins shutting down: live connections close.
    stopping: Arc<watch::Sender<bool>>,
    /// Open live connections, so shutdown can wait for their close frames.
    open_sockets: Arc<AtomicUsize>,
    /// R52: wakes this instance's notice sender.
    notices: Arc<Notify>,
}

/// Counts one open live connection until dropped.
pub struct OpenSocket(Arc<AtomicUsize>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            sender: broadcast::channel(4096).0,
            webhooks: Arc::new(Notify::new()),
            revoked: broadcast::channel(1024).0,
            stopping: Arc::new(watch::channel(false).0),
            open_sockets: Arc::default(),
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

    pub fn revoke(&self, revoked: Revoked) {
        let _ = self.revoked.send(revoked);
    }

    pub fn revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revoked.subscribe()
    }

    /// Tells this instance's live connections that the server is stopping.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    pub fn socket_opened(&self) -> OpenSocket {
        self.open_sockets.fetch_add(1, Ordering::SeqCst);
        OpenSocket(self.open_sockets.clone())
    }

    /// Waits (at most `limit`) until every live connection has closed.
    pub async fn sockets_closed(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.open_sockets.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Resolves once the server is stopping.
    pub async fn stopped(&self) {
        let mut stopping = self.stopping.subscribe();
        let _ = stopping.wait_for(|stopping| *stopping).await;
    }
}
