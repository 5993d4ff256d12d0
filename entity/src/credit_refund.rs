#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

/// R44: a refund of a billing profile's credit balance, to its card or (issue 26) by transfer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_refunds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub billing_profile_id: Uuid,
    /// Unique per profile: a repeated request refunds once.
    pub idempotency_key: String,
    pub amount_minor: i64,
    pub currency: String,
    pub payment_method_id: Uuid,
    /// e.g. "VISA ending 4242".
    pub payment_method_summary: String,
    pub processor_reference: String,
    pub requested_by: Uuid,
    pub created_at: DateTimeUtc,
    /// While the processor has not answered (a claim in doubt): the credit
    /// reserved for the refund, per source invoice, as JSON; None once settled.
    pub reserved_sources: Option<String>,
    /// Issue 26 item 4: for a check-or-wire profile, the day the transfer
    /// was sent (its reference is `processor_reference`); None for cards.
    pub transfer_date: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
