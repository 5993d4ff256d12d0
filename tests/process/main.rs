//! Process-level tests (issue 12): the real `licensedesk` binary on a real
//! socket — attacked, killed, cut off from its database. SQLite by default;
//! PostgreSQL parts run when LICENSEDESK_TEST_POSTGRES_URL is set.

mod apollo;
mod attacks;
mod billing_catch_up;
mod billing_kill;
mod browser;
mod cancelled;
mod clients;
mod disk_full;
mod every_door;
mod harness;
mod invoice_pdf;
mod marketplace;
mod notices;
mod oidc;
mod operations;
mod payments_kill;
mod portal;
mod publisher_app;
mod readiness;
mod scim;
mod string_fuzz;
#[path = "../support/hanging_listener.rs"]
mod support;
mod traces;
mod webhooks;
