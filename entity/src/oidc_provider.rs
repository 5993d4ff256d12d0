//! R48: an organization's OpenID Connect provider (one per organization).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    /// The provider's issuer URL, exactly as its ID tokens name it.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed (nonce + ChaCha20-Poly1305 ciphertext, base64); never the secret itself.
    pub client_secret_sealed: String,
    /// JSON array of lowercase e-mail domains allowed to sign in.
    pub allowed_domains: String,
    pub enabled: bool,
    /// Password sign-in is refused for everyone of the organization but `break_glass_user_id`.
    pub require_sso: bool,
    pub break_glass_user_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
