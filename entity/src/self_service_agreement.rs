#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

/// R10, R25: a user's own acceptance of the customer agreement, good for
/// their self-service purchases only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "self_service_agreements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Unique: a user accepts once.
    pub user_id: Uuid,
    pub accepted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
