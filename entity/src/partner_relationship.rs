#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

/// R39: a partner tenant asks to work for a customer organization; the
/// customer's GLOBAL_ADMIN approves or rejects it and may end it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_relationships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The partner tenant (an organization of kind PARTNER).
    pub partner_id: Uuid,
    /// The customer organization.
    pub organization_id: Uuid,
    pub status: PartnerRelationshipStatus,
    pub requested_by: Uuid,
    pub requested_at: DateTimeUtc,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub ended_by: Option<Uuid>,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
