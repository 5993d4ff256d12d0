//! LicenseDesk: a GraphQL API with which an organization manages the SaaS apps
//! it buys from third-party publishers. See README.md and docs/.
//!
//! This crate is the server: configuration, the HTTP router and its state,
//! the GraphQL schema, and the background workers. Every rule lives in
//! `licensedesk-core`; its modules are re-exported here under their own names
//! so that server code reads `crate::service::…` the same way the core does.
// The schema's root objects nest async-graphql futures deeper than rustc's
// default limit of 128 when the release profile lays them out.
#![recursion_limit = "256"]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub(crate) mod graphql;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod outbound;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use licensedesk_core::{access, auth, billing, clock, db, domain, error, fault, i18n, paging, pdf, service};
