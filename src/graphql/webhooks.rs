//! R45: publishers' webhook endpoints and their delivery log.

use super::enums::EventType;
use super::enums::MapInto;
use crate::error::EntityKind;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};

use super::{
    actor,
    pagination::{self, Page},
    parse_id, state,
};
use crate::{service::events::webhooks as svc, workers::delivery};

pub struct WebhookEndpoint(pub webhook_endpoint::Model);

/// An https address a publisher's events are posted to, signed with its secret.
#[Object]
impl WebhookEndpoint {
    /// Stable identifier of the endpoint.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where events are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The event types sent; empty means all.
    async fn event_types(&self) -> Vec<EventType> {
        (svc::event_types(&self.0)).map_into()
    }
    /// False while sending is paused.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// When the endpoint was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The endpoint with its signing secret, returned only when created or rotated.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// Verify `Signature: t=…,v1=…` as HMAC-SHA256(secret, "<t>.<body>"). Shown once.
    pub secret: String,
}

/// Where a webhook delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Not yet acknowledged; retried with back-off.
    Pending,
    /// The receiver answered with a 2xx status.
    Delivered,
    /// Retried for the whole retry window without success.
    Failed,
}

pub struct WebhookDelivery(pub webhook_delivery::Model);

/// The delivery of one event to one webhook endpoint.
#[Object]
impl WebhookDelivery {
    /// Stable identifier of the delivery.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event's stable ID, as sent in the body: pass it to `redeliverWebhookEvent`.
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }
    /// Pending or delivered.
    async fn status(&self) -> WebhookDeliveryStatus {
        match self.0.status.as_str() {
            delivery::DELIVERED => WebhookDeliveryStatus::Delivered,
            delivery::FAILED => WebhookDeliveryStatus::Failed,
            _ => WebhookDeliveryStatus::Pending,
        }
    }
    /// How many times it was sent.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When it is sent again; null once delivered.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == delivery::PENDING).then_some(self.0.next_attempt_at)
    }
    /// When it was last sent.
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }
    /// The receiver's HTTP status on the last attempt (null when it did not answer).
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }
    /// What went wrong on the last attempt, if anything.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the receiver acknowledged it.
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    /// When the delivery was queued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The caller's (publisher's) webhook endpoints.
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        Ok(svc::list(state(ctx)?, actor(ctx)?).await?.into_iter().map(WebhookEndpoint).collect())
    }
    /// One of the publisher's webhook endpoints (NOT_FOUND otherwise).
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's identifier.")] id: ID,
    ) -> Result<WebhookEndpoint> {
        let id = parse_id(&id, EntityKind::WebhookEndpoint)?;
        Ok(WebhookEndpoint(svc::get(state(ctx)?, actor(ctx)?, id).await?))
    }
    /// The delivery log of one endpoint, newest event first.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint whose delivery log is listed.")] endpoint_id: ID,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<Page<WebhookDelivery>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let id = parse_id(&endpoint_id, EntityKind::WebhookEndpoint)?;
        let rows = svc::deliveries(state(ctx)?, actor(ctx)?, id, &window).await?;
        Ok(pagination::page(rows.map(WebhookDelivery), |d| d.0.id))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a receiver for the caller's products' subscription events.
    /// The secret is in this answer only.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The https address events are posted to.")] url: String,
        #[graphql(desc = "The event types to send; all when empty.")] event_types: Vec<EventType>,
    ) -> Result<WebhookEndpointWithSecret> {
        let state = state(ctx)?;
        let allow_private = state.config.events.webhook_allow_private;
        let (endpoint, secret) = svc::create(state, actor(ctx)?, &url, &event_types.map_into(), allow_private).await?;
        Ok(WebhookEndpointWithSecret { endpoint: WebhookEndpoint(endpoint), secret })
    }
    /// A new secret; deliveries are signed with it from now on.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint whose signing secret is replaced.")] endpoint_id: ID,
    ) -> Result<WebhookEndpointWithSecret> {
        let id = parse_id(&endpoint_id, EntityKind::WebhookEndpoint)?;
        let (endpoint, secret) = svc::rotate_secret(state(ctx)?, actor(ctx)?, id).await?;
        Ok(WebhookEndpointWithSecret { endpoint: WebhookEndpoint(endpoint), secret })
    }
    /// Disabled endpoints get no new events; queued ones are sent when enabled again.
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint to change.")] endpoint_id: ID,
        #[graphql(desc = "False to stop sending to it, true to resume.")] enabled: bool,
    ) -> Result<WebhookEndpoint> {
        let id = parse_id(&endpoint_id, EntityKind::WebhookEndpoint)?;
        let state = state(ctx)?;
        let endpoint = svc::set_enabled(state, actor(ctx)?, id, enabled).await?;
        if enabled {
            state.events.wake_webhooks();
        }
        Ok(WebhookEndpoint(endpoint))
    }
    /// Deletes the endpoint and its delivery log; returns its ID.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint to delete.")] endpoint_id: ID,
    ) -> Result<ID> {
        let id = parse_id(&endpoint_id, EntityKind::WebhookEndpoint)?;
        svc::delete(state(ctx)?, actor(ctx)?, id).await?;
        Ok(endpoint_id)
    }
    /// Sends one of the caller's events to the endpoint again, with the same event ID.
    async fn redeliver_webhook_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint to send it to again.")] endpoint_id: ID,
        #[graphql(desc = "The event to send again, as in the delivery log.")] event_id: ID,
    ) -> Result<WebhookDelivery> {
        let endpoint = parse_id(&endpoint_id, EntityKind::WebhookEndpoint)?;
        let event = parse_id(&event_id, EntityKind::Event)?;
        let state = state(ctx)?;
        let delivery = svc::redeliver(state, actor(ctx)?, endpoint, event).await?;
        state.events.wake_webhooks();
        Ok(WebhookDelivery(delivery))
    }
}
