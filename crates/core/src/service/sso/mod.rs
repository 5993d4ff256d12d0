//! R48: single sign-on with an organization's OpenID Connect provider.
//! `settings` is what a GLOBAL_ADMIN configures (the client secret sealed at
//! rest) and the one rule of when a password may still sign in; `flow` is
//! the authorization-code flow with PKCE, state and nonce kept in the
//! database (one-time, expiring, shared by every instance), ending in a
//! one-time exchange code that starts a session like a password sign-in
//! does (R47, `sessions::start`).

pub mod flow;
pub mod settings;

use crate::auth::sealing::SealingKey;

/// What single sign-on needs of the server's configuration.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// Seals the providers' client secrets; derived from the server secret.
    pub sealing: SealingKey,
    /// The callback address registered at the provider
    /// (`{public base URL}/auth/oidc/callback`).
    pub redirect_uri: String,
    /// The origins (`scheme://host[:port]`) a sign-in may return to.
    pub return_origins: Vec<String>,
    /// Whether providers may be on private or loopback addresses and plain
    /// http (development and tests), as `LICENSEDESK_WEBHOOK_ALLOW_PRIVATE` is for webhooks.
    pub allow_private: bool,
}

impl SsoSettings {
    /// The purpose the sealing key is derived for.
    pub const SEALING_PURPOSE: &'static str = "oidc client secret";

    pub fn new(server_secret: &[u8], public_base_url: &str, return_origins: Vec<String>, allow_private: bool) -> Self {
        let base = public_base_url.trim_end_matches('/');
        let mut origins = return_origins;
        if let Some(own) = origin_of(base) {
            origins.push(own);
        }
        origins.sort();
        origins.dedup();
        SsoSettings {
            sealing: SealingKey::derive(server_secret, Self::SEALING_PURPOSE),
            redirect_uri: format!("{base}/auth/oidc/callback"),
            return_origins: origins,
            allow_private,
        }
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL (the port only when
/// not the scheme's default), or None.
pub fn origin_of(address: &str) -> Option<String> {
    let url = url::Url::parse(address).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}
