#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// ISO 3166-1 alpha-2
    pub country: String,
    /// Next invoice number to hand out (R31: sequential per organization, no gaps).
    pub next_invoice_number: i64,
    /// CUSTOMER, or PARTNER for a partner's own tenant (R39).
    pub kind: OrganizationKind,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
