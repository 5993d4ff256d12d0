//! R49: what the directory says of a person it manages, beyond the user row.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub organization_id: Uuid,
    /// SCIM `userName` as the directory sent it.
    pub user_name: String,
    /// `user_name` lower-cased: unique within the organization (userName is not case-exact).
    pub user_name_key: String,
    /// JSON: the SCIM `name` object and `emails` list.
    pub profile: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
