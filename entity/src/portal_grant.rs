//! R53: a consent — an organization's admin granted a publisher's portal
//! (an API client) scopes over that publisher's subscriptions in the
//! organization. Revoking it ends its tokens at once.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub api_client_id: Uuid,
    /// The client's publisher, kept so every portal request narrows by it without a join.
    pub publisher_id: Uuid,
    pub organization_id: Uuid,
    /// The admin who consented; the portal acts with their rights at request time.
    pub user_id: Uuid,
    /// Granted scopes, space-separated (`licenses.read licenses.assign`).
    pub scopes: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    /// Set when the consent was withdrawn (or a code or refresh token was replayed).
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
