//! Issue 23: `users(search:)` and its `totalCount` start from the search
//! terms of the caller's organization that begin with the typed prefix. This
//! index covers that range with the owner's id, so the matching owners come
//! from the index alone (an index-only scan on PostgreSQL), never from a scan
//! of the organization's users. It replaces `ix_search_terms_lookup`
//! (kind, scope_id, term), its prefix. The count subtracts the matching
//! people a search does not list (deleted or deactivated): the partial
//! index `idx_users_org_unlisted` holds just those, per organization, with their
//! ids (an index-only read).

use sea_orm_migration::prelude::*;

use crate::util::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_search_terms_scope_term_owner";
const REPLACED: &str = "ix_search_terms_lookup";
const UNLISTED: &str = "idx_users_org_unlisted";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(manager, vec![index("search_terms", NAME, &["kind", "scope_id", "term", "owner_id"], false)])
            .await?;
        manager.drop_index(Index::drop().name(REPLACED).table("search_terms").if_exists().to_owned()).await?;
        // Written out: the builder has no partial indexes; the same text on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {UNLISTED} ON users (organization_id, id) \
                 WHERE deleted_at IS NOT NULL OR NOT active"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(UNLISTED).table("users").if_exists().to_owned()).await?;
        create_indexes(manager, vec![index("search_terms", REPLACED, &["kind", "scope_id", "term"], false)]).await?;
        manager.drop_index(Index::drop().name(NAME).table("search_terms").if_exists().to_owned()).await
    }
}
