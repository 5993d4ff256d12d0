use sea_orm::entity::prelude::*;

/// R51: what an organization's own billing profiles were invoiced for one
/// product in one billed month and currency, added to as each invoice is
/// issued (self-service buyers' invoices and carried credit lines excluded).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "spend_totals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// The invoice's `period_start` (the first day of the billed month).
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub product_name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub amount_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
