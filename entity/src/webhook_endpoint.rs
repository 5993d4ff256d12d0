use sea_orm::entity::prelude::*;

/// A publisher's webhook receiver (R45).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub publisher_id: Uuid,
    pub url: String,
    /// JSON array of event type names.
    pub event_types: String,
    /// The signing key; shown to the publisher once, when created or rotated.
    pub secret: String,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
