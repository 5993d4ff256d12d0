//! R45: events that reach people and systems. A change writes its outbox row
//! in its own transaction (`outbox::record`, called from
//! `service::audit::record`); the server's workers tail the outbox to feed
//! live subscriptions and deliver webhooks.

pub mod catalogue;
pub mod outbox;
pub mod webhooks;

pub use crate::domain::events::EventType;
