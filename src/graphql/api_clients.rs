//! R50: a publisher's API clients — the credentials its app exchanges at
//! `POST /oauth/token` (client credentials) for a token of the publisher API.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::api_client;

use super::{
    actor,
    pagination::{self, Page},
    parse_id, state,
};
use crate::{
    access::Visible,
    error::EntityKind,
    service::api_clients::{self as svc, IssuedSecret},
};

pub struct ApiClient(pub Visible<api_client::Model>);

/// Credentials a publisher's app uses to call the publisher API (license checks, usage reports).
#[Object]
impl ApiClient {
    /// Stable identifier of the client.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The name the publisher gave it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The public `client_id` sent to the token endpoint.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    /// What its tokens may do: `licenses.check`, `usage.write`.
    async fn scopes(&self) -> Vec<&'static str> {
        svc::scopes_of(&self.0)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the current client secret was issued (creation or the last rotation).
    async fn secret_issued_at(&self) -> DateTime<Utc> {
        self.0.secret_created_at
    }
    /// The last time it obtained a token.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// Where its portal receives authorization codes (matched exactly).
    async fn redirect_uris(&self) -> Vec<&str> {
        svc::redirect_uris_of(&self.0)
    }
}

/// A client with its secret, returned only when created or rotated.
#[derive(SimpleObject)]
pub struct ApiClientWithSecret {
    /// The client.
    pub client: ApiClient,
    /// The `client_secret` for the token endpoint. Shown once: only a hash is kept.
    pub client_secret: String,
}

impl From<IssuedSecret> for ApiClientWithSecret {
    fn from(issued: IssuedSecret) -> Self {
        ApiClientWithSecret { client: ApiClient(issued.client), client_secret: issued.secret }
    }
}

/// A new API client.
#[derive(InputObject)]
pub struct CreateApiClientInput {
    /// A name to tell clients apart, e.g. the app's environment.
    pub name: String,
    /// What its tokens may do (`licenses.check`, `usage.write`); both when omitted.
    pub scopes: Option<Vec<String>>,
    /// Where its portal receives authorization codes: absolute `https` URLs
    /// (`http` on a loopback host), at most 10, matched exactly.
    pub redirect_uris: Option<Vec<String>>,
}

/// Changes to an API client; what is omitted stays.
#[derive(InputObject)]
pub struct UpdateApiClientInput {
    /// A new name.
    pub name: Option<String>,
    /// The new list of redirect URIs (replaces the old one).
    pub redirect_uris: Option<Vec<String>>,
}

#[derive(Default)]
pub struct ApiClientQuery;

#[Object]
impl ApiClientQuery {
    /// The caller's publisher's API clients, newest first, revoked ones included (publishers only).
    async fn api_clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<ApiClient>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let rows = svc::list(state(ctx)?, actor(ctx)?, &window).await?;
        Ok(pagination::page(rows.map(ApiClient), |c| c.0.id))
    }
}

#[derive(Default)]
pub struct ApiClientMutation;

#[Object]
impl ApiClientMutation {
    /// Creates an API client for the caller's publisher. The secret is in this answer only.
    async fn create_api_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's name and scopes.")] input: CreateApiClientInput,
    ) -> Result<ApiClientWithSecret> {
        let issued =
            svc::create(state(ctx)?, actor(ctx)?, &input.name, input.scopes.as_deref(), input.redirect_uris.as_deref())
                .await?;
        Ok(issued.into())
    }
    /// Renames the client or replaces its redirect URIs.
    async fn update_api_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client to change.")] api_client_id: ID,
        #[graphql(desc = "What changes.")] input: UpdateApiClientInput,
    ) -> Result<ApiClient> {
        let id = parse_id(&api_client_id, EntityKind::ApiClient)?;
        let client =
            svc::update(state(ctx)?, actor(ctx)?, id, input.name.as_deref(), input.redirect_uris.as_deref()).await?;
        Ok(ApiClient(client))
    }
    /// Issues a new secret; the old one and every token obtained with it stop working at once.
    async fn rotate_api_client_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client whose secret is replaced.")] api_client_id: ID,
    ) -> Result<ApiClientWithSecret> {
        let id = parse_id(&api_client_id, EntityKind::ApiClient)?;
        Ok(svc::rotate_secret(state(ctx)?, actor(ctx)?, id).await?.into())
    }
    /// Revokes the client: it gets no more tokens and its tokens stop working at once.
    async fn revoke_api_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client to revoke.")] api_client_id: ID,
    ) -> Result<ApiClient> {
        let id = parse_id(&api_client_id, EntityKind::ApiClient)?;
        Ok(ApiClient(svc::revoke(state(ctx)?, actor(ctx)?, id).await?))
    }
}
