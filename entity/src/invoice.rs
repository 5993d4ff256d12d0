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
    /// R44: credit balance this invoice consumed (≥ 0; a credit line per source invoice).
    pub credit_applied_minor: i64,
    /// R44: for a CREDITED invoice, the credit it carried to the profile's balance (≥ 0).
    pub credit_carried_minor: i64,
    /// R44: the part of `credit_carried_minor` not yet consumed or refunded.
    pub credit_remaining_minor: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
