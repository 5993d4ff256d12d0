use sea_orm::entity::prelude::*;

/// Issue 22 (R51): take back licenses unused for `unused_days` days (0: none
/// taken back), `notice_days` after telling the holder and the admins; and/or
/// lower an auto-renewing subscription's quantity to what is assigned
/// `lower_quantity_days` before its renewal; per organization or subscription.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reclaim_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// ORGANIZATION, or the subscription's ID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub subscription_id: Option<Uuid>,
    pub unused_days: i32,
    pub notice_days: i32,
    pub lower_quantity_days: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
