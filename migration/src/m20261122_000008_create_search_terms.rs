//! Search terms (issue 13): folded name words and e-mails of users and
//! products, indexed for prefix ranges. On PostgreSQL the term column uses
//! the "C" collation so a range compares code points, as SQLite does.
//! Existing users and products get their terms here.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{DbBackend, FromQueryResult, Statement, prelude::Uuid},
};

use crate::util::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(FromQueryResult)]
struct UserRow {
    id: Uuid,
    organization_id: Option<Uuid>,
    publisher_id: Option<Uuid>,
    email: String,
    name: String,
}

#[derive(FromQueryResult)]
struct ProductRow {
    id: Uuid,
    name: String,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut term = ColumnDef::new("term");
        term.string_len(400).not_null();
        if manager.get_database_backend() == DbBackend::Postgres {
            term.extra("COLLATE \"C\"");
        }
        manager
            .create_table(
                Table::create()
                    .table("search_terms")
                    .col(pk_uuid("id"))
                    .col(string_len("kind", 16))
                    .col(uuid("owner_id"))
                    .col(uuid_null("scope_id"))
                    .col(&mut term)
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("search_terms", "ix_search_terms_lookup", &["kind", "scope_id", "term"], false),
                index("search_terms", "ix_search_terms_owner", &["kind", "owner_id"], false),
            ],
        )
        .await?;

        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let users = UserRow::find_by_statement(Statement::from_string(
            backend,
            "SELECT id, organization_id, publisher_id, email, name FROM users",
        ))
        .all(db)
        .await?;
        for user in users {
            let mut terms = entity::search::name_terms(&user.name);
            terms.push(entity::search::fold(&user.email));
            let scope = user.organization_id.or(user.publisher_id);
            entity::search::replace_terms(db, entity::search::USER, user.id, scope, terms).await?;
        }
        let products = ProductRow::find_by_statement(Statement::from_string(backend, "SELECT id, name FROM products"))
            .all(db)
            .await?;
        for product in products {
            let terms = entity::search::name_terms(&product.name);
            entity::search::replace_terms(db, entity::search::PRODUCT, product.id, None, terms).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["search_terms"]).await
    }
}
