//! R49: an organization's bearer token for SCIM, stored as its SHA-256 hash.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// What the admin called it (e.g. the identity provider's name).
    pub name: String,
    /// SHA-256 of the token, hex; the token itself is shown once.
    pub token_hash: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
