#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub billing_profile_id: Uuid,
    /// Sequential per organization (R31).
    pub number: i64,
    /// First day of the billed calendar month; unique per profile.
    pub period_start: Date,
    pub issue_date: Date,
    pub due_date: Date,
    pub subtotal_minor: i64,
    pub total_minor: i64,
    pub currency: String,
    pub status: InvoiceStatus,
    pub payment_method_id: Option<Uuid>,
    /// e.g. "VISA ending 4242" — what was on file when issued.
    pub payment_method_summary: String,
    pub paid_at: Option<DateTimeUtc>,
    pub paid_by: Option<Uuid>,
    pub last_charge_attempt: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
