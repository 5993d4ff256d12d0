#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub subscription_id: Uuid,
    /// The profile that pays it, fixed when the charge is written (R28).
    pub billing_profile_id: Uuid,
    pub kind: ChargeKind,
    pub description: String,
    /// The day the charge belongs to; it is invoiced for that day's month (R31).
    pub charge_date: Date,
    pub period_start: Date,
    pub period_end: Date,
    pub quantity: i64,
    pub unit_price_minor: i64,
    /// Negative for credits (R30).
    pub amount_minor: i64,
    pub currency: String,
    /// Unique: makes renewals and other automatic charges safe to retry (R33).
    pub dedupe_key: Option<String>,
    pub invoice_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
