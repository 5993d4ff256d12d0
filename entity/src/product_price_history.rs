#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

/// Issue 26: every price a product has had for a term and currency. A
/// renewal at term end D takes the latest row effective on or before D
/// (`effective_from`); a row without an amount is a withdrawn price.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_price_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    pub term: BillingTerm,
    pub currency: String,
    /// None: the price was withdrawn.
    pub unit_amount_minor: Option<i64>,
    /// The first term end that renews at this price: the day after the change.
    pub effective_from: Date,
    /// When the publisher made the change (None for backfilled rows).
    pub changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
