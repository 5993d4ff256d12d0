//! Schema migrations; the same files run on SQLite and PostgreSQL.

pub use m20261207_000048_spend_totals::backfill_spend_totals;
pub use m20261208_000050_invoice_counts::backfill_invoice_counts;
pub use m20261208_000051_user_search_prefixes::backfill_user_search_prefixes;
pub use sea_orm_migration::prelude::*;

mod m20261120_000001_create_identity;
mod m20261120_000002_create_catalog;
mod m20261120_000003_create_billing_profiles;
mod m20261120_000004_create_subscriptions;
mod m20261120_000005_create_charges_invoices;
mod m20261120_000006_create_audit_and_jobs;
mod m20261122_000007_create_events;
mod m20261122_000008_create_search_terms;
mod m20261122_000009_index_user_search;
mod m20261122_000010_credit_balances;
mod m20261122_000011_users_deleted_at;
mod m20261122_000012_self_service_agreements;
mod m20261122_000013_create_charge_claims_and_sign_in_throttle;
mod m20261122_000014_keyset_indexes;
mod m20261122_000015_billing_profile_language;
mod m20261122_000016_marketplace_proposals;
mod m20261122_000017_purchase_tokens;
mod m20261122_000018_partners;
mod m20261122_000019_payment_methods_removed_at;
mod m20261207_000020_payment_claims;
mod m20261207_000021_webhook_endpoint_health;
mod m20261207_000022_price_history_and_invoice_holds;
mod m20261207_000023_credit_refund_transfers;
mod m20261207_000024_negotiated_price_terms;
mod m20261207_000026_persisted_queries;
mod m20261207_000030_sessions;
mod m20261207_000031_external_ids_and_usage;
mod m20261207_000032_api_clients;
mod m20261207_000033_setup_and_support;
mod m20261207_000034_portal_grants;
mod m20261207_000036_notices;
mod m20261207_000037_reclaim_policies;
mod m20261207_000038_reclaim_quantity;
mod m20261207_000039_view_indexes;
mod m20261207_000040_scim_directory;
mod m20261207_000041_groups;
mod m20261207_000042_group_licensing;
mod m20261207_000043_holder_index;
mod m20261207_000044_oidc_providers;
mod m20261207_000045_oidc_sign_ins;
mod m20261207_000046_oidc_identities;
mod m20261207_000047_search_term_count_index;
mod m20261207_000048_spend_totals;
mod m20261207_000049_assignment_organization;
mod m20261208_000050_invoice_counts;
mod m20261208_000051_user_search_prefixes;
mod util;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261120_000001_create_identity::Migration),
            Box::new(m20261120_000002_create_catalog::Migration),
            Box::new(m20261120_000003_create_billing_profiles::Migration),
            Box::new(m20261120_000004_create_subscriptions::Migration),
            Box::new(m20261120_000005_create_charges_invoices::Migration),
            Box::new(m20261120_000006_create_audit_and_jobs::Migration),
            Box::new(m20261122_000007_create_events::Migration),
            Box::new(m20261122_000008_create_search_terms::Migration),
            Box::new(m20261122_000009_index_user_search::Migration),
            Box::new(m20261122_000010_credit_balances::Migration),
            Box::new(m20261122_000011_users_deleted_at::Migration),
            Box::new(m20261122_000012_self_service_agreements::Migration),
            Box::new(m20261122_000013_create_charge_claims_and_sign_in_throttle::Migration),
            Box::new(m20261122_000014_keyset_indexes::Migration),
            Box::new(m20261122_000015_billing_profile_language::Migration),
            Box::new(m20261122_000016_marketplace_proposals::Migration),
            Box::new(m20261122_000017_purchase_tokens::Migration),
            Box::new(m20261122_000018_partners::Migration),
            Box::new(m20261122_000019_payment_methods_removed_at::Migration),
            Box::new(m20261207_000020_payment_claims::Migration),
            Box::new(m20261207_000021_webhook_endpoint_health::Migration),
            Box::new(m20261207_000022_price_history_and_invoice_holds::Migration),
            Box::new(m20261207_000023_credit_refund_transfers::Migration),
            Box::new(m20261207_000024_negotiated_price_terms::Migration),
            Box::new(m20261207_000026_persisted_queries::Migration),
            Box::new(m20261207_000030_sessions::Migration),
            Box::new(m20261207_000031_external_ids_and_usage::Migration),
            Box::new(m20261207_000044_oidc_providers::Migration),
            Box::new(m20261207_000045_oidc_sign_ins::Migration),
            Box::new(m20261207_000046_oidc_identities::Migration),
            Box::new(m20261207_000036_notices::Migration),
            Box::new(m20261207_000037_reclaim_policies::Migration),
            Box::new(m20261207_000032_api_clients::Migration),
            Box::new(m20261207_000033_setup_and_support::Migration),
            Box::new(m20261207_000040_scim_directory::Migration),
            Box::new(m20261207_000041_groups::Migration),
            Box::new(m20261207_000042_group_licensing::Migration),
            Box::new(m20261207_000038_reclaim_quantity::Migration),
            Box::new(m20261207_000039_view_indexes::Migration),
            Box::new(m20261207_000043_holder_index::Migration),
            Box::new(m20261207_000047_search_term_count_index::Migration),
            Box::new(m20261207_000034_portal_grants::Migration),
            Box::new(m20261207_000048_spend_totals::Migration),
            Box::new(m20261207_000049_assignment_organization::Migration),
            Box::new(m20261208_000050_invoice_counts::Migration),
            Box::new(m20261208_000051_user_search_prefixes::Migration),
        ]
    }
}
