//! R47: a signed-in session (its refresh tokens are in `refresh_token`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// The client's `User-Agent` at sign-in (cut to 200 characters), "" when none was sent.
    pub user_agent: String,
    pub client_address: Option<String>,
    pub created_at: DateTimeUtc,
    /// The last sign-in or refresh (requests with the access token do not write).
    pub last_used_at: DateTimeUtc,
    /// After this, the refresh token no longer works.
    pub expires_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// Why it ended: SIGNED_OUT, ENDED, REFRESH_TOKEN_REUSED, PASSWORD_CHANGED, DEACTIVATED, DELETED.
    pub end_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
