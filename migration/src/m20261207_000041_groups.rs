//! R49: groups of people, from the directory (SCIM) or made in LicenseDesk,
//! and their members.

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
                    .table("user_groups")
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(string_len("display_name", 256))
                    .col(string_len("display_name_key", 256))
                    .col(string_len_null("external_id", 256))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("user_groups", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("group_members")
                    .if_not_exists()
                    .col(uuid("group_id"))
                    .col(uuid("user_id"))
                    .col(timestamp_with_time_zone("added_at"))
                    .primary_key(Index::create().col("group_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_group_members_group_id")
                            .from("group_members", "group_id")
                            .to("user_groups", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk("group_members", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    "user_groups",
                    "ux_user_groups_organization_name",
                    &["organization_id", "display_name_key"],
                    true,
                ),
                index(
                    "user_groups",
                    "idx_user_groups_organization_created",
                    &["organization_id", "created_at", "id"],
                    false,
                ),
                index("group_members", "idx_group_members_user", &["user_id"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["group_members", "user_groups"]).await
    }
}
