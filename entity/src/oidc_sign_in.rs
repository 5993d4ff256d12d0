//! R48: one single sign-on attempt: the state, nonce and PKCE verifier sent
//! to the provider, then the one-time exchange code handed to the client.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_sign_ins")]
pub struct Model {
    /// SHA-256 (hex) of the `state` parameter.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub organization_id: Uuid,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where the client is sent back to (an allowed origin).
    pub return_to: String,
    pub created_at: DateTimeUtc,
    /// The provider must answer before this.
    pub expires_at: DateTimeUtc,
    /// When the provider's answer arrived; a second answer with the same state is refused.
    pub callback_at: Option<DateTimeUtc>,
    pub user_id: Option<Uuid>,
    /// SHA-256 (hex) of the one-time code the client exchanges for a session.
    pub exchange_code_hash: Option<String>,
    pub exchange_expires_at: Option<DateTimeUtc>,
    pub exchanged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
