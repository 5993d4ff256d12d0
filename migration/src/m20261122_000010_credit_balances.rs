//! Issue 11, R44: credit balances carried forward and refunded, and explicit
//! renewal outcomes.
//!
//! - invoices: status CREDITED; how much credit an invoice carried to the
//!   profile's balance, how much of that is still unused, and how much
//!   balance it consumed.
//! - invoice_lines: a line may be a credit applied from an earlier invoice
//!   (no charge, no subscription; it names its source invoice).
//! - subscriptions: a stored message saying why a subscription ended.
//! - credit_refunds: refunds of a profile's balance to its card, one per
//!   (profile, idempotency key).
//!
//! SQLite cannot alter a CHECK or NOT NULL constraint; it uses the procedure
//! the SQLite manual gives for exactly that ("ALTER TABLE", section 7: edit
//! `sqlite_schema` under `writable_schema` and bump `schema_version`), in one
//! transaction. Only constraints are relaxed, so existing rows stay valid.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATUS_OLD: &str = "'OVERDUE')";
const STATUS_NEW: &str = "'OVERDUE', 'CREDITED')";

/// (table, old text, new text) edits of the SQLite table definitions.
const SQLITE_EDITS: &[(&str, &str, &str)] = &[
    ("invoices", STATUS_OLD, STATUS_NEW),
    ("invoice_lines", "\"charge_id\" uuid_text NOT NULL UNIQUE", "\"charge_id\" uuid_text NULL UNIQUE"),
    ("invoice_lines", "\"subscription_id\" uuid_text NOT NULL", "\"subscription_id\" uuid_text NULL"),
];

async fn relax_sqlite_constraints(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let version = conn
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA schema_version"))
        .await?
        .ok_or_else(|| DbErr::Migration("no schema_version".into()))?
        .try_get_by_index::<i64>(0)?;
    conn.execute_unprepared("PRAGMA writable_schema = ON").await?;
    for (table, old, new) in SQLITE_EDITS {
        let sql = conn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                [(*table).into()],
            ))
            .await?
            .ok_or_else(|| DbErr::Migration(format!("table {table} not found")))?
            .try_get_by_index::<String>(0)?;
        if !sql.contains(old) {
            return Err(DbErr::Migration(format!("unexpected definition of {table}: {sql}")));
        }
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            [sql.replacen(old, new, 1).into(), (*table).into()],
        ))
        .await?;
    }
    conn.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
    conn.execute_unprepared("PRAGMA writable_schema = OFF").await?;
    Ok(())
}

async fn relax_postgres_constraints(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    conn.execute_unprepared(
        "ALTER TABLE invoice_lines ALTER COLUMN charge_id DROP NOT NULL, ALTER COLUMN subscription_id DROP NOT NULL",
    )
    .await?;
    // The status CHECK was created unnamed; find it by its text.
    conn.execute_unprepared(
        "DO $$ DECLARE c text; BEGIN \
           FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'invoices'::regclass AND contype = 'c' \
             AND pg_get_constraintdef(oid) LIKE '%OVERDUE%' LOOP \
             EXECUTE format('ALTER TABLE invoices DROP CONSTRAINT %I', c); \
           END LOOP; END $$",
    )
    .await?;
    conn.execute_unprepared(
        "ALTER TABLE invoices ADD CONSTRAINT ck_invoices_status \
         CHECK (status IN ('OPEN', 'PAID', 'OVERDUE', 'CREDITED'))",
    )
    .await?;
    Ok(())
}

async fn apply(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Sqlite {
        relax_sqlite_constraints(conn).await?;
    } else {
        relax_postgres_constraints(conn).await?;
    }
    for column in ["credit_applied_minor", "credit_carried_minor", "credit_remaining_minor"] {
        manager
            .alter_table(Table::alter().table("invoices").add_column(big_integer(column).default(0)).to_owned())
            .await?;
    }
    manager
        .alter_table(Table::alter().table("invoice_lines").add_column(uuid_null("source_invoice_id")).to_owned())
        .await?;
    manager
        .alter_table(
            Table::alter().table("subscriptions").add_column(string_len_null("disabled_message", 500)).to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table("credit_refunds")
                .col(pk_uuid("id"))
                .col(uuid("organization_id"))
                .col(uuid("billing_profile_id"))
                .col(string_len("idempotency_key", 200))
                .col(big_integer("amount_minor"))
                .col(string_len("currency", 3))
                .col(uuid("payment_method_id"))
                .col(string_len("payment_method_summary", 200))
                .col(string_len("processor_reference", 200))
                .col(uuid("requested_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("credit_refunds", "organization_id", "organizations"))
                .foreign_key(&mut fk("credit_refunds", "billing_profile_id", "billing_profiles"))
                .foreign_key(&mut fk("credit_refunds", "payment_method_id", "payment_methods"))
                .check(Expr::cust("amount_minor > 0"))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        vec![
            // R44: a repeated refund request with the same key refunds once.
            index("credit_refunds", "uq_credit_refunds_profile_key", &["billing_profile_id", "idempotency_key"], true),
            index("invoices", "idx_invoices_profile_credit", &["billing_profile_id", "credit_remaining_minor"], false),
        ],
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            // One connection and one transaction for the schema edit (SQLite
            // migrations are not wrapped in a transaction by default).
            let txn = manager.begin().await?;
            apply(&txn).await?;
            txn.commit().await
        } else {
            apply(manager).await
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["credit_refunds"]).await
    }
}
