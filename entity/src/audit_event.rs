#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub publisher_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Uuid,
    /// JSON snapshots; never card numbers or security codes (R29, R36).
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
