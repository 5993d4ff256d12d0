//! Billing profiles, their role assignments and payment methods (R2, R28, R29).

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
                    .table("billing_profiles")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("owner_user_id"))
                    .col(string_len("name", 200))
                    .col(string_len("contact_name", 200))
                    .col(string_len("contact_email", 254))
                    .col(string_len("address_line1", 200))
                    .col(string_len_null("address_line2", 200))
                    .col(string_len("city", 100))
                    .col(string_len_null("region", 100))
                    .col(string_len("postal_code", 20))
                    .col(string_len("country", 2))
                    .col(string_len("currency", 3))
                    .col(string_len_null("po_number", 100))
                    .col(uuid_null("current_payment_method_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("billing_profiles", "organization_id", "organizations"))
                    .foreign_key(&mut fk("billing_profiles", "owner_user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("billing_role_assignments")
                    .col(uuid("billing_profile_id"))
                    .col(uuid("user_id"))
                    .col(string_len("role", 32))
                    .col(uuid("granted_by"))
                    .col(timestamp_with_time_zone("granted_at"))
                    .primary_key(Index::create().col("billing_profile_id").col("user_id").col("role"))
                    .foreign_key(&mut fk("billing_role_assignments", "billing_profile_id", "billing_profiles"))
                    .foreign_key(&mut fk("billing_role_assignments", "user_id", "users"))
                    .check(Expr::cust("role IN ('OWNER', 'CONTRIBUTOR', 'READER', 'INVOICE_MANAGER')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_methods")
                    .col(pk_uuid("id"))
                    .col(uuid("billing_profile_id"))
                    .col(string_len("kind", 32))
                    .col(string_len_null("card_brand", 32))
                    .col(string_len_null("card_last4", 4))
                    .col(integer_null("card_exp_month"))
                    .col(integer_null("card_exp_year"))
                    .col(string_len_null("name_on_card", 200))
                    .col(string_len_null("card_fingerprint", 64))
                    .col(string_len_null("address_line1", 200))
                    .col(string_len_null("address_line2", 200))
                    .col(string_len_null("city", 100))
                    .col(string_len_null("region", 100))
                    .col(string_len_null("postal_code", 20))
                    .col(string_len_null("country", 2))
                    .col(boolean("is_current"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("payment_methods", "billing_profile_id", "billing_profiles"))
                    .check(Expr::cust("kind IN ('CREDIT_CARD', 'CHECK_OR_WIRE')"))
                    // R29: a stored card is only ever its last four digits.
                    .check(Expr::cust("card_last4 IS NULL OR length(card_last4) = 4"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("billing_profiles", "idx_billing_profiles_org", &["organization_id", "created_at"], false),
                index("billing_profiles", "idx_billing_profiles_owner", &["owner_user_id"], false),
                index("billing_role_assignments", "idx_bra_user", &["user_id"], false),
                index("payment_methods", "idx_payment_methods_profile", &["billing_profile_id", "is_current"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["payment_methods", "billing_role_assignments", "billing_profiles"]).await
    }
}
