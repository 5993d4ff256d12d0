#[allow(unused_imports)]
use crate::enums::*;
use sea_orm::entity::prelude::*;

/// R42: a one-time, expiring token in a subscription's portal link. Only its
/// SHA-256 is stored; asking for the link again revokes the previous token.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set when the publisher activated the subscription with it.
    pub used_at: Option<DateTimeUtc>,
    /// Set when a newer link replaced it.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
