//! Issue 23: a page of subscriptions reads its license holders from the
//! active assignments of its subscriptions, oldest first, then each holder by
//! the users' primary key. This index serves that range read by itself
//! (index-only on PostgreSQL once vacuumed): subscription, the active flag,
//! the order (assigned_at, id) and the holder's user id.

use sea_orm_migration::prelude::*;

use crate::util::{create_indexes, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_license_assignments_sub_active_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(
            manager,
            vec![index(
                "license_assignments",
                NAME,
                &["subscription_id", "active", "assigned_at", "id", "user_id"],
                false,
            )],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table("license_assignments").if_exists().to_owned()).await
    }
}
