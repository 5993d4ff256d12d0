#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "license_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub user_id: Uuid,
    /// One active row per (subscription, user): a partial unique index (R19).
    pub active: bool,
    pub assigned_by: Uuid,
    pub assigned_at: DateTimeUtc,
    pub unassigned_by: Option<Uuid>,
    pub unassigned_at: Option<DateTimeUtc>,
    /// When the holder last used the license, as the publisher reports it
    /// (license checks and usage reports, written in batches).
    pub last_used_at: Option<DateTimeUtc>,
    /// Issue 22: when the holder was told the unused license will be reclaimed.
    pub reclaim_notice_at: Option<DateTimeUtc>,
    /// The subscription's organization, copied at insert (a subscription
    /// never moves), so an organization's dormant licenses are counted from
    /// one index (R51).
    pub organization_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
