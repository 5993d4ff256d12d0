//! Issue 23: `users(search:)` and its `totalCount` start from the search
//! terms of the caller's organization that begin with the typed prefix. This
//! index covers that range with the owner's id, so the matching owners come
//! from the index alone (an index-only scan on PostgreSQL), never from a scan
//! of the organization's users. It replaces `ix_search_terms_lookup`
//! (kind, scope_id, term), its prefix.

use sea_orm_migration::prelude::*;

use crate::util::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_search_terms_scope_term_owner";
const REPLACED: &str = "ix_search_terms_lookup";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, vec![index("search_terms", NAME, &["kind", "scope_id", "term", "owner_id"], false)])
            .await?;
        manager.drop_index(Index::drop().name(REPLACED).table("search_terms").if_exists().to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, vec![index("search_terms", REPLACED, &["kind", "scope_id", "term"], false)]).await?;
        manager.drop_index(Index::drop().name(NAME).table("search_terms").if_exists().to_owned()).await
    }
}
