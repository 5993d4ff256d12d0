//! Business rules, one module per area. Every function takes the caller and
//! checks it against the object it touches (R1–R3); resolvers only translate.

pub mod api_clients;
pub mod audit;
pub mod billing_profiles;
pub mod billing_run;
pub mod catalog;
pub mod charges;
mod context;
pub mod credit_balance;
pub mod directory;
pub mod events;
pub mod groups;
pub mod idempotency;
pub mod identity;
pub mod invoices;
pub mod license_check;
pub mod licenses;
pub mod notices;
pub mod partners;
pub mod payment_methods;
pub mod people;
pub mod persisted_queries;
pub mod portal;
pub mod portal_api;
pub mod purchase;
pub mod purchase_tokens;
pub mod reclaim;
pub mod renewal;
pub mod role_assignments;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sso;
pub mod subscriptions;
pub mod usage;
pub mod utilization;
pub mod validate;

pub use context::Services;
