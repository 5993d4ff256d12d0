//! R48: which user a provider's subject is. The first sign-in links a user
//! (found by e-mail, or created); later ones follow the subject even when
//! the e-mail at the provider changes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{create_indexes, drop_tables, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("oidc_identities")
                    .if_not_exists()
                    .col(uuid("organization_id"))
                    .col(string_len("issuer", 500))
                    .col(string_len("subject", 255))
                    .col(uuid("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("organization_id").col("issuer").col("subject"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_identities_user_id")
                            .from("oidc_identities", "user_id")
                            .to("users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_indexes(manager, vec![index("oidc_identities", "idx_oidc_identities_user", &["user_id"], false)]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["oidc_identities"]).await
    }
}
