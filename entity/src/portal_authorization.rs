//! R53: one authorization request of a publisher's portal: the consent form's
//! one-time token, then (approved) the one-time code bound to the client,
//! the redirect URI and the PKCE challenge. Secrets are stored as SHA-256.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_authorizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 (hex) of the consent form's one-time token (CSRF protection).
    pub form_token_hash: String,
    pub api_client_id: Uuid,
    pub redirect_uri: String,
    pub scopes: String,
    pub state: Option<String>,
    /// The S256 PKCE challenge (RFC 7636).
    pub code_challenge: String,
    pub created_at: DateTimeUtc,
    /// The consent form must be answered before this.
    pub expires_at: DateTimeUtc,
    /// When the form was answered; a second answer is refused.
    pub decided_at: Option<DateTimeUtc>,
    pub grant_id: Option<Uuid>,
    /// SHA-256 (hex) of the authorization code.
    pub code_hash: Option<String>,
    pub code_expires_at: Option<DateTimeUtc>,
    /// When the code was exchanged; a second exchange revokes the grant.
    pub code_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
