#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub publisher_id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub status: ProposalStatus,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub accepted_by: Option<Uuid>,
    pub accepted_at: Option<DateTimeUtc>,
    /// R40: after this instant the proposal can no longer be accepted.
    pub expires_at: Option<DateTimeUtc>,
    pub declined_by: Option<Uuid>,
    pub declined_at: Option<DateTimeUtc>,
    pub decline_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
