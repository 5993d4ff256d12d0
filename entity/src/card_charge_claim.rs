use sea_orm::entity::prelude::*;

/// R33: a card charge claimed before the processor is called; in doubt until settled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_charge_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub invoice_id: Uuid,
    /// Sent to the processor on every attempt, so a retry is not charged twice.
    pub idempotency_key: String,
    pub claimed_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
    /// "approved", "declined" or "skipped" once settled.
    pub outcome: Option<String>,
    /// The card `payInvoice` tries; None for the billing run's charge at
    /// issue, which charges the card named on the invoice.
    pub payment_method_id: Option<Uuid>,
    /// Who asked to pay (`payInvoice`); None for the billing run.
    pub requested_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
