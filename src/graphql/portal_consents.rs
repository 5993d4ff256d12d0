//! R53: the consents an organization's admins gave publishers' portals
//! (`Organization.portalConsents`, `revokePortalConsent`). Who sees and
//! withdraws which is `access::portal_consent`.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{api_client, portal_grant};
use sea_orm::EntityTrait;

use super::{
    actor,
    identity::{Publisher, User, nested_user},
    loaders,
    loaders::PublisherId,
    pagination::{self, Page},
    parse_id, state,
};
use crate::{access::Visible, error::EntityKind, service::portal as svc};

pub struct PortalConsent(pub Visible<portal_grant::Model>);

impl PortalConsent {
    async fn client(&self, ctx: &Context<'_>) -> Result<Option<api_client::Model>> {
        Ok(api_client::Entity::find_by_id(self.0.api_client_id).one(&state(ctx)?.db).await?)
    }
}

/// A publisher's portal that an admin of the organization allowed to act for
/// them (OAuth 2.0 authorization code grant) on that publisher's subscriptions.
#[Object]
impl PortalConsent {
    /// Stable identifier of the consent.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The publisher whose portal holds the consent.
    async fn publisher(&self, ctx: &Context<'_>) -> Result<Option<Publisher>> {
        Ok(loaders(ctx)?.load_one(PublisherId(self.0.publisher_id)).await?.map(Publisher))
    }
    /// The name the publisher gave its portal's API client.
    async fn client_name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.client(ctx).await?.map(|c| c.name).unwrap_or_default())
    }
    /// What the portal may do: `licenses.read`, `licenses.assign`.
    async fn scopes(&self) -> Vec<&'static str> {
        svc::scopes_of(&self.0)
    }
    /// The admin who consented (the portal acts with their rights as they are at each request); null when not visible.
    async fn granted_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        nested_user(ctx, self.0.user_id).await
    }
    /// When consent was given.
    async fn granted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The last time the portal used it (at most once a minute is recorded).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was withdrawn (or ended because a code or refresh token was replayed); null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// `Organization.portalConsents`.
pub(crate) async fn of_organization(
    ctx: &Context<'_>,
    organization_id: uuid::Uuid,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Page<PortalConsent>> {
    let window = pagination::window(ctx, first, after.as_deref())?;
    let rows = svc::consents(state(ctx)?, actor(ctx)?, organization_id, &window).await?;
    Ok(pagination::page(rows.map(PortalConsent), |c| c.0.id))
}

#[derive(Default)]
pub struct PortalConsentMutation;

#[Object]
impl PortalConsentMutation {
    /// Withdraws a portal's consent (the organization's GLOBAL_ADMIN or
    /// LICENSE_ADMIN, or the admin who gave it): its tokens stop working at once.
    async fn revoke_portal_consent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consent to withdraw.")] id: ID,
    ) -> Result<PortalConsent> {
        let id = parse_id(&id, EntityKind::PortalConsent)?;
        Ok(PortalConsent(svc::revoke_consent(state(ctx)?, actor(ctx)?, id).await?))
    }
}
