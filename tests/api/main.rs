//! HTTP-level tests. Run on SQLite by default; set
//! LICENSEDESK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to
//! run the same suite on PostgreSQL (each test gets its own database).

mod helpers;
#[path = "../support/hanging_listener.rs"]
mod support;

mod access;
mod authz;
mod billing_profiles;
mod billing_run;
mod clients;
mod concurrency;
mod console_errors;
mod demo;
mod error_taxonomy;
mod events;
mod foundation;
mod group_licensing;
mod history_and_agreement;
mod invoices;
mod licensing;
mod live_connections;
mod logs;
mod marketplace;
mod money;
mod nested_pages;
mod no_n_plus_one;
mod notices;
mod paging;
mod partners;
mod payment_methods_page;
mod payments_once;
mod people;
mod persisted_queries;
mod portal_delegation;
mod profile_language;
mod publisher_api;
mod readme;
mod reclaim;
mod reclaim_year;
mod response_order;
mod round_trips;
mod scim;
mod self_service;
mod sessions;
mod setup_and_support;
mod single_sign_on;
mod throttling;
mod utilization;
mod visibility_seams;
mod webhook_fairness;
