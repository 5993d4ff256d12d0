//! R49: group-based licensing. A subscription assigned to a group
//! (`group_subscriptions`) gives each member a license while seats last; one
//! row per (group, subscription, member) in `group_licenses` says whether the
//! member holds a seat through the group (`assignment_id`, the license the
//! group gave), holds one directly (neither set), or is left without a seat
//! (`error`). A license that no group row names came directly (R19).

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
                    .table("group_subscriptions")
                    .if_not_exists()
                    .col(uuid("group_id"))
                    .col(uuid("subscription_id"))
                    .col(uuid("assigned_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("group_id").col("subscription_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_subscriptions_group_id")
                            .from("group_subscriptions", "group_id")
                            .to("user_groups", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk("group_subscriptions", "subscription_id", "subscriptions"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("group_licenses")
                    .if_not_exists()
                    .col(uuid("group_id"))
                    .col(uuid("subscription_id"))
                    .col(uuid("user_id"))
                    .col(uuid_null("assignment_id"))
                    .col(string_len_null("error", 32))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("group_id").col("subscription_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_licenses_group_id")
                            .from("group_licenses", "group_id")
                            .to("user_groups", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk("group_licenses", "subscription_id", "subscriptions"))
                    .foreign_key(&mut fk("group_licenses", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index("group_subscriptions", "idx_group_subscriptions_subscription", &["subscription_id"], false),
                index("group_licenses", "idx_group_licenses_subscription_user", &["subscription_id", "user_id"], false),
                index("group_licenses", "idx_group_licenses_assignment", &["assignment_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["group_licenses", "group_subscriptions"]).await
    }
}
