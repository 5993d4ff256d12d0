//! LicenseDesk's core: every rule of the product and nothing of how it is
//! served. The server crate (HTTP, GraphQL, WebSocket, background workers)
//! depends on this crate, never the reverse; this crate's dependency tree has
//! no axum, tower, hyper or async-graphql, so the compiler keeps the layers.
//!
//! Layers inside, each pointing only downwards:
//! `service` (business rules, one module per area; the billing run's steps and
//! the events outbox) → `access` (who may see or do what; the only source of
//! `Visible<T>`) → `domain` (value types that parse and validate) and `db`
//! (connections, transactions, keyset pages). `error` and `i18n` are shared by all.

pub mod access;
pub mod auth;
pub mod billing;
pub mod clock;
pub mod db;
pub mod domain;
pub mod error;
pub mod fault;
pub mod i18n;
pub mod paging;
pub mod pdf;
pub mod service;
