//! Charges and credits, invoices and their lines (R30, R31).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("invoices")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid("billing_profile_id"))
                    .col(big_integer("number"))
                    .col(date("period_start"))
                    .col(date("issue_date"))
                    .col(date("due_date"))
                    .col(big_integer("subtotal_minor"))
                    .col(big_integer("total_minor"))
                    .col(string_len("currency", 3))
                    .col(string_len("status", 32))
                    .col(uuid_null("payment_method_id"))
                    .col(string_len("payment_method_summary", 200))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .col(uuid_null("paid_by"))
                    .col(date_null("last_charge_attempt"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("invoices", "organization_id", "organizations"))
                    .foreign_key(&mut fk("invoices", "billing_profile_id", "billing_profiles"))
                    .foreign_key(&mut fk("invoices", "payment_method_id", "payment_methods"))
                    .check(Expr::cust("status IN ('OPEN', 'PAID', 'OVERDUE')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("charges")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid("subscription_id"))
                    .col(uuid("billing_profile_id"))
                    .col(string_len("kind", 32))
                    .col(string_len("description", 500))
                    .col(date("charge_date"))
                    .col(date("period_start"))
                    .col(date("period_end"))
                    .col(big_integer("quantity"))
                    .col(big_integer("unit_price_minor"))
                    .col(big_integer("amount_minor"))
                    .col(string_len("currency", 3))
                    .col(string_len_null("dedupe_key", 200))
                    .col(uuid_null("invoice_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("charges", "organization_id", "organizations"))
                    .foreign_key(&mut fk("charges", "subscription_id", "subscriptions"))
                    .foreign_key(&mut fk("charges", "billing_profile_id", "billing_profiles"))
                    .foreign_key(&mut fk("charges", "invoice_id", "invoices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("invoice_lines")
                    .col(pk_uuid("id"))
                    .col(uuid("invoice_id"))
                    .col(uuid_uniq("charge_id"))
                    .col(uuid("subscription_id"))
                    .col(string_len("product_name", 200))
                    .col(string_len("description", 500))
                    .col(date("period_start"))
                    .col(date("period_end"))
                    .col(big_integer("quantity"))
                    .col(big_integer("unit_price_minor"))
                    .col(big_integer("amount_minor"))
                    .col(integer("position"))
                    .foreign_key(&mut fk("invoice_lines", "invoice_id", "invoices"))
                    .foreign_key(&mut fk("invoice_lines", "charge_id", "charges"))
                    .foreign_key(&mut fk("invoice_lines", "subscription_id", "subscriptions"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                // R31: one invoice per profile per month; numbers unique per organization.
                index("invoices", "uq_invoices_profile_period", &["billing_profile_id", "period_start"], true),
                index("invoices", "uq_invoices_org_number", &["organization_id", "number"], true),
                index("invoices", "idx_invoices_org_issue", &["organization_id", "issue_date"], false),
                index("invoices", "idx_invoices_status_due", &["status", "due_date"], false),
                index("charges", "uq_charges_dedupe", &["dedupe_key"], true),
                index("charges", "idx_charges_uninvoiced", &["billing_profile_id", "invoice_id", "charge_date"], false),
                index("charges", "idx_charges_subscription", &["subscription_id"], false),
                index("invoice_lines", "idx_invoice_lines_invoice", &["invoice_id", "position"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["invoice_lines", "charges", "invoices"]).await
    }
}
