#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    /// None for a credit applied from an earlier invoice (R44).
    pub charge_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub product_name: String,
    pub description: String,
    pub period_start: Date,
    pub period_end: Date,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub amount_minor: i64,
    pub position: i32,
    /// R44: for a credit line, the invoice the credit came from.
    pub source_invoice_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
