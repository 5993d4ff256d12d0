//! What runs in the background of one instance. R45: changes write outbox
//! rows in their own transaction (the core's `events::outbox`); every
//! instance tails the outbox (`fanout`) to feed its GraphQL subscriptions
//! (`live`) and wake its webhook worker (`delivery`). R33: the daily billing
//! run (`scheduler`) calls the core's `billing::run`.

pub mod delivery;
pub mod fanout;
pub mod live;
pub mod notices;
pub mod scheduler;
pub mod usage;

use tokio::task::JoinHandle;

pub use crate::hub::EventHub;
use crate::state::AppState;

/// Background tasks of one instance: the outbox tail and (if configured) the
/// webhook worker. Dropping the handles leaves them running; abort to stop.
pub struct EventTasks {
    pub tail: JoinHandle<()>,
    pub worker: Option<JoinHandle<()>>,
    /// R52: the notice sender, when SMTP is configured.
    pub notices: Option<JoinHandle<()>>,
}

pub fn start(state: &AppState) -> EventTasks {
    let tail = tokio::spawn(fanout::run(state.clone()));
    let worker = state.config.events.webhook_worker.then(|| tokio::spawn(delivery::run_worker(state.clone())));
    let notices = notices::start(state);
    EventTasks { tail, worker, notices }
}
