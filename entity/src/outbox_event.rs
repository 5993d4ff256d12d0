use sea_orm::entity::prelude::*;

/// R45: one event, written in the same transaction as the change it reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub id: Uuid,
    pub event_type: String,
    pub organization_id: Uuid,
    /// The publisher of the product, when publishers receive this event.
    pub publisher_id: Option<Uuid>,
    /// Deliveries for one subscription keep this order.
    pub subscription_id: Option<Uuid>,
    pub object_type: String,
    pub object_id: Uuid,
    /// A billing object: never shown to a LICENSE_ADMIN (R37).
    pub billing: bool,
    /// JSON: what the product's publisher may see (no billing data).
    pub payload: String,
    /// JSON array: users a license event is about.
    pub user_ids: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
