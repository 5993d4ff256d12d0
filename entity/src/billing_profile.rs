#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Set for a self-service purchaser's own profile (R25, R28).
    pub owner_user_id: Option<Uuid>,
    pub name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country: String,
    /// Derived from the country (R28).
    pub currency: String,
    pub po_number: Option<String>,
    pub current_payment_method_id: Option<Uuid>,
    /// Invoice language chosen for the profile (en, sv, da, nl, zh-TW); None:
    /// from the bill-to country, else English (issue 13).
    pub language: Option<String>,
    /// Issue 26 item 3: why the billing run cannot issue this profile's
    /// invoice for `invoice_hold_period` (since `invoice_hold_since`); None
    /// when nothing is held.
    pub invoice_hold_reason: Option<String>,
    pub invoice_hold_period: Option<Date>,
    pub invoice_hold_since: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
