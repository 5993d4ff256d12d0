//! R50: a publisher's API client (OAuth 2.0 client credentials). The secret
//! is shown once; only its SHA-256 is kept.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub publisher_id: Uuid,
    pub name: String,
    /// The public client identifier (`client_id` in OAuth requests).
    pub client_id: String,
    /// Hex SHA-256 of the current secret.
    pub secret_hash: String,
    /// The scopes the client may ask for, space-separated.
    pub scopes: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// When the current secret was issued (creation or the last rotation).
    pub secret_created_at: DateTimeUtc,
    /// The last time the client obtained a token.
    pub last_used_at: Option<DateTimeUtc>,
    /// Set when the publisher revoked the client; its tokens stop at once.
    pub revoked_at: Option<DateTimeUtc>,
    /// R53: the redirect URIs of its portal (authorization code grant), one per line, matched exactly.
    #[sea_orm(column_type = "Text")]
    pub redirect_uris: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
