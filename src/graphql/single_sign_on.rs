//! Single sign-on with the organization's OpenID Connect provider: its
//! settings (global admins only; the client secret is write-only) and the
//! exchange of the callback's one-time code for a session.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::oidc_provider;

use super::{
    actor,
    identity::{AuthPayload, User, nested_user},
    parse_id, state,
};
use crate::{
    access::Visible,
    error::EntityKind,
    service::sso::{
        flow,
        settings::{self as svc, ProviderInput},
    },
};

pub struct SingleSignOnProvider(pub Visible<oidc_provider::Model>);

/// The organization's OpenID Connect identity provider. The client secret is
/// never shown: it is kept encrypted and only the provider calls use it.
#[Object]
impl SingleSignOnProvider {
    /// The provider's issuer URL, exactly as its ID tokens name it.
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// The client ID registered at the provider for LicenseDesk.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// E-mail domains allowed to sign in, lower case.
    async fn allowed_domains(&self) -> Vec<String> {
        svc::allowed_domains(&self.0)
    }
    /// Whether people may sign in through the provider.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Whether password sign-in is refused for everyone of the organization but the break-glass admin.
    async fn require_sso(&self) -> bool {
        self.0.require_sso
    }
    /// The global admin who may still sign in with a password when single sign-on is required.
    async fn break_glass_user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.break_glass_user_id {
            Some(id) => nested_user(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The redirect URI to register at the provider for this client.
    async fn redirect_uri(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(state(ctx)?.sso.redirect_uri.clone())
    }
    /// Where a sign-in page sends people to sign in through the provider; add
    /// `?returnTo=` with the page to come back to (an allowed origin).
    async fn sign_in_url(&self, ctx: &Context<'_>) -> Result<String> {
        let base = state(ctx)?.config.public_base_url.clone();
        Ok(format!("{base}/auth/oidc/{}/start", self.0.organization_id))
    }
    /// When the settings last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The organization's single sign-on settings: the provider, the allowed
/// domains, and whether password sign-in is still allowed.
#[derive(InputObject)]
pub struct SingleSignOnInput {
    /// The provider's issuer URL (https), e.g. "https://login.example.com/tenant/v2.0".
    pub issuer: String,
    /// The client ID registered at the provider.
    pub client_id: String,
    /// The client secret; required the first time, omitted to keep the stored one. It is stored encrypted and never shown again.
    pub client_secret: Option<String>,
    /// E-mail domains allowed to sign in, e.g. ["contoso.com"] (at least one, at most 50).
    pub allowed_domains: Vec<String>,
    /// Whether people may sign in through the provider.
    pub enabled: bool,
    /// Refuse password sign-in for everyone but the break-glass admin (needs `enabled`).
    #[graphql(default)]
    pub require_sso: bool,
    /// A global admin of the organization who keeps signing in with a password (required with `requireSso`).
    pub break_glass_user_id: Option<ID>,
}

/// The organization's provider, for its global admins; null for anyone else and when none is configured.
pub(crate) async fn of_organization(
    ctx: &Context<'_>,
    organization_id: uuid::Uuid,
) -> Result<Option<SingleSignOnProvider>> {
    Ok(svc::get(state(ctx)?, actor(ctx)?, organization_id).await?.map(SingleSignOnProvider))
}

#[derive(Default)]
pub struct SingleSignOnMutation;

#[Object]
impl SingleSignOnMutation {
    /// Connects the organization's OpenID Connect provider, or changes its
    /// settings (global admins only).
    async fn configure_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider and how people sign in.")] input: SingleSignOnInput,
    ) -> Result<SingleSignOnProvider> {
        let input = ProviderInput {
            issuer: input.issuer,
            client_id: input.client_id,
            client_secret: input.client_secret,
            allowed_domains: input.allowed_domains,
            enabled: input.enabled,
            require_sso: input.require_sso,
            break_glass_user_id: input.break_glass_user_id.map(|id| parse_id(&id, EntityKind::User)).transpose()?,
        };
        Ok(SingleSignOnProvider(svc::configure(state(ctx)?, actor(ctx)?, input).await?))
    }
    /// Disconnects the organization's provider (global admins only): everyone
    /// signs in with a password again. Returns whether there was one.
    async fn remove_single_sign_on(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(svc::remove(state(ctx)?, actor(ctx)?).await?)
    }
    /// Exchanges the one-time `sso_code` that single sign-on sent the browser
    /// back with for a session: the same tokens as `login`. The code works
    /// once, for a minute.
    async fn sign_in_with_single_sign_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `sso_code` parameter of the return address.")] code: String,
    ) -> Result<AuthPayload> {
        Ok(flow::redeem(state(ctx)?, &code, &super::sessions::device(ctx)).await?.into())
    }
}
