use sea_orm::entity::prelude::*;

/// Issue 22 (R51): the admins were told on `notified_at` that the quantity of
/// the subscription's term `term_number` will be lowered before it renews;
/// `lowered_at` once it was.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reclaim_quantity_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subscription_id: Uuid,
    pub term_number: i32,
    pub notified_at: DateTimeUtc,
    pub lowered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
