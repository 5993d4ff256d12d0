//! Issue 13 item 3, issue 14: lists are read by keyset seeks — `WHERE scope
//! AND (key, id) after the cursor ORDER BY key, id LIMIT n+1` — so each
//! ordering gets an index on (scope, sort key…, id): the database starts a
//! range scan at the cursor instead of sorting the whole scope on each page.
//! The old indexes that are a prefix of a new one are dropped (the new one
//! serves their queries too); `down` puts them back.

use sea_orm_migration::prelude::*;

use crate::util::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, index, columns) added by this migration.
const ADDED: &[(&str, &str, &[&str])] = &[
    ("audit_events", "idx_audit_org_time_id", &["organization_id", "created_at", "id"]),
    ("audit_events", "idx_audit_publisher_time_id", &["publisher_id", "created_at", "id"]),
    ("subscriptions", "idx_subscriptions_org_created_id", &["organization_id", "created_at", "id"]),
    ("subscriptions", "idx_subscriptions_org_term_end_id", &["organization_id", "current_term_end", "id"]),
    ("subscriptions", "idx_subscriptions_org_status_id", &["organization_id", "status", "id"]),
    ("subscriptions", "idx_subscriptions_profile_created_id", &["billing_profile_id", "created_at", "id"]),
    ("users", "idx_users_org_name_id", &["organization_id", "name", "id"]),
    ("invoices", "idx_invoices_org_issue_number_id", &["organization_id", "issue_date", "number", "id"]),
    ("invoices", "idx_invoices_org_currency_total_id", &["organization_id", "currency", "total_minor", "id"]),
    ("products", "idx_products_name_id", &["name", "id"]),
    ("products", "idx_products_publisher_name_id", &["publisher_id", "name", "id"]),
    ("proposals", "idx_proposals_org_created_id", &["organization_id", "created_at", "id"]),
    ("proposals", "idx_proposals_publisher_created_id", &["publisher_id", "created_at", "id"]),
    ("billing_profiles", "idx_billing_profiles_org_created_id", &["organization_id", "created_at", "id"]),
    ("webhook_deliveries", "idx_webhook_deliveries_endpoint_seq_id", &["endpoint_id", "event_seq", "id"]),
];

/// (table, index, columns) made redundant: each is a prefix of one above.
const REPLACED: &[(&str, &str, &[&str])] = &[
    ("audit_events", "idx_audit_org_time", &["organization_id", "created_at"]),
    ("audit_events", "idx_audit_publisher_time", &["publisher_id", "created_at"]),
    ("subscriptions", "idx_subscriptions_org_created", &["organization_id", "created_at"]),
    ("subscriptions", "idx_subscriptions_org_status", &["organization_id", "status"]),
    ("users", "idx_users_org_name", &["organization_id", "name"]),
    ("invoices", "idx_invoices_org_issue", &["organization_id", "issue_date"]),
    ("products", "idx_products_name", &["name"]),
    ("products", "idx_products_publisher", &["publisher_id", "name"]),
    ("proposals", "idx_proposals_org", &["organization_id", "created_at"]),
    ("proposals", "idx_proposals_publisher", &["publisher_id", "created_at"]),
    ("billing_profiles", "idx_billing_profiles_org", &["organization_id", "created_at"]),
];

fn indexes(list: &[(&'static str, &'static str, &'static [&'static str])]) -> Vec<IndexCreateStatement> {
    list.iter().map(|(table, name, columns)| index(table, name, columns, false)).collect()
}

async fn drop_indexes(
    manager: &SchemaManager<'_>,
    list: &[(&'static str, &'static str, &[&str])],
) -> Result<(), DbErr> {
    for (table, name, _) in list {
        manager.drop_index(Index::drop().name(*name).table(*table).if_exists().to_owned()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, indexes(ADDED)).await?;
        drop_indexes(manager, REPLACED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, indexes(REPLACED)).await?;
        drop_indexes(manager, ADDED).await
    }
}
