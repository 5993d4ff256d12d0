//! LicenseDesk: a GraphQL API with which an organization manages the SaaS apps
//! it buys from third-party publishers. See README.md and ../shared/SPEC.md.

pub mod access;
pub mod app;
pub mod auth;
pub mod billing;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub(crate) mod domain;
pub mod error;
pub mod events;
pub mod fault;
pub(crate) mod graphql;
pub mod http;
pub(crate) mod i18n;
pub(crate) mod paging;
pub(crate) mod pdf;
pub(crate) mod service;
