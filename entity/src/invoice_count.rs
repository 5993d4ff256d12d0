use sea_orm::entity::prelude::*;

/// Issue 23 (c): how many invoices an organization's own billing profiles
/// were issued on one date, added to as each invoice is issued
/// (self-service buyers' invoices excluded, R38).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub issue_date: Date,
    pub invoices: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
