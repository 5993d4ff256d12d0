//! Issue 23 (b): a people search for one to three letters matches a large
//! share of an organization (a fifth of 100,000 people for "ma"), so counting
//! the matches and walking the organization's people in name order to find a
//! page both grow with it. For those short prefixes two tables are kept as
//! users are saved (`entity::search`):
//!
//! - `user_search_prefixes`: one row per user and distinct prefix of one to
//!   three letters of their search terms, with their name and whether a
//!   search lists them (not deleted; active). Its index
//!   (scope_id, prefix, name, user_id) gives a page in name order straight
//!   from the prefix's range.
//! - `user_search_prefix_counts`: per scope and prefix, how many of those
//!   people are listed and how many are listed and active: the total is one
//!   row.
//!
//! Both are filled here from the stored search terms ([`backfill_user_search_prefixes`]);
//! a prefix is the first one to three characters of a folded term, as
//! `substr` cuts them on both engines.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

use crate::util::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The prefixes and their counts of every user saved so far (the same rows
/// saving a user keeps). For the migration and for data written without
/// the entities' save hooks (the benchmark's generator).
pub async fn backfill_user_search_prefixes(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared("DELETE FROM user_search_prefix_counts").await?;
    db.execute_unprepared("DELETE FROM user_search_prefixes").await?;
    db.execute_unprepared(
        "INSERT INTO user_search_prefixes (user_id, prefix, scope_id, name, listed, active) \
         SELECT DISTINCT t.owner_id, substr(t.term, 1, n.len), t.scope_id, u.name, \
                u.deleted_at IS NULL, u.deleted_at IS NULL AND u.active \
         FROM search_terms t \
         JOIN users u ON u.id = t.owner_id \
         CROSS JOIN (SELECT 1 AS len UNION ALL SELECT 2 UNION ALL SELECT 3) n \
         WHERE t.kind = 'user' AND t.scope_id IS NOT NULL",
    )
    .await?;
    db.execute_unprepared(
        "INSERT INTO user_search_prefix_counts (scope_id, prefix, listed, active) \
         SELECT scope_id, prefix, SUM(CASE WHEN listed THEN 1 ELSE 0 END), SUM(CASE WHEN active THEN 1 ELSE 0 END) \
         FROM user_search_prefixes GROUP BY scope_id, prefix",
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("user_search_prefixes")
                    .if_not_exists()
                    .col(uuid("user_id"))
                    .col(string("prefix"))
                    .col(uuid("scope_id"))
                    .col(string("name"))
                    .col(boolean("listed"))
                    .col(boolean("active"))
                    .primary_key(Index::create().col("user_id").col("prefix"))
                    .to_owned(),
            )
            .await?;
        // The page's walk: the prefix's people in name order, with what the
        // listing filters on (so PostgreSQL reads it index-only).
        create_indexes(
            manager,
            vec![index(
                "user_search_prefixes",
                "idx_user_search_prefixes_page",
                &["scope_id", "prefix", "name", "user_id", "listed", "active"],
                false,
            )],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("user_search_prefix_counts")
                    .if_not_exists()
                    .col(uuid("scope_id"))
                    .col(string("prefix"))
                    .col(big_integer("listed"))
                    .col(big_integer("active"))
                    .primary_key(Index::create().col("scope_id").col("prefix"))
                    .to_owned(),
            )
            .await?;
        backfill_user_search_prefixes(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["user_search_prefix_counts", "user_search_prefixes"]).await
    }
}
