#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub product_id: Uuid,
    pub term: BillingTerm,
    /// None for flat-rate products.
    pub quantity: Option<i64>,
    /// R40: a negotiated unit price (minor units) in `currency`, replacing the list price.
    pub unit_price_minor: Option<i64>,
    pub currency: Option<String>,
    /// Issue 26 item 5: how many terms the negotiated price holds (1, the
    /// first term, unless the proposal says more); None without a negotiated price.
    pub price_terms: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
