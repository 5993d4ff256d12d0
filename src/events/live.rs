//! R45/R37: the feeds behind GraphQL subscriptions. Every event is checked
//! with the same visibility rules as fetching its object directly; the one
//! place that does so is `may_see`.

use std::sync::Arc;

use async_graphql::futures_util::{Stream, stream};
use entity::outbox_event;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::EventType;
use crate::{app::AppState, auth::Actor, service};

#[derive(Debug, Clone, Copy)]
pub enum Feed {
    /// Events of one subscription.
    Subscription(Uuid),
    /// Every subscription event the caller may see.
    Subscriptions,
    /// License assignments and unassignments the caller may see.
    Licenses,
    /// Invoice events the caller may see (billing: never a LICENSE_ADMIN).
    Invoices,
    /// Licenses given to or taken from the caller.
    MyLicenses,
}

fn event_type(event: &outbox_event::Model) -> Option<EventType> {
    EventType::parse(&event.event_type)
}

fn about_user(event: &outbox_event::Model, user_id: Uuid) -> bool {
    serde_json::from_str::<Vec<Uuid>>(&event.user_ids).is_ok_and(|ids| ids.contains(&user_id))
}

impl Feed {
    fn matches(self, event: &outbox_event::Model, actor: &Actor) -> bool {
        let is_license = event_type(event).is_some_and(EventType::is_license_event);
        match self {
            Feed::Subscription(id) => event.subscription_id == Some(id),
            Feed::Subscriptions => event.object_type == "subscription",
            Feed::Licenses => is_license,
            Feed::Invoices => event.object_type == "invoice",
            Feed::MyLicenses => is_license && about_user(event, actor.user_id()),
        }
    }
}

/// R37: may `actor` see this event? The same rules as fetching its object.
pub async fn may_see(state: &AppState, actor: &Actor, event: &outbox_event::Model) -> bool {
    match actor {
        // A publisher sees its products' subscriptions, never billing events.
        Actor::Publisher(p) => event.publisher_id == Some(p.publisher_id) && !event.billing,
        Actor::Org(org) => {
            if org.organization_id != event.organization_id {
                return false;
            }
            match event.object_type.as_str() {
                "subscription" => match service::subscriptions::get(state, actor, event.object_id).await {
                    Ok(sub) => !event.billing || org.is_billing_manager() || sub.purchaser_id == org.user_id,
                    Err(_) => false,
                },
                "invoice" => service::invoices::get(state, actor, event.object_id).await.is_ok(),
                _ => false,
            }
        }
    }
}

/// A user always may learn that they got or lost a license (their own `myLicenses`).
async fn passes(state: &AppState, actor: &Actor, feed: Feed, event: &outbox_event::Model) -> bool {
    match (feed, actor) {
        (Feed::MyLicenses, Actor::Org(org)) => org.organization_id == event.organization_id,
        (Feed::MyLicenses, Actor::Publisher(_)) => false,
        _ => may_see(state, actor, event).await,
    }
}

/// The events of `feed` that `actor` may see, from now on.
pub fn stream(state: AppState, actor: Actor, feed: Feed) -> impl Stream<Item = Arc<outbox_event::Model>> {
    let receiver = state.events.subscribe();
    stream::unfold((receiver, state, actor), move |(mut receiver, state, actor)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => {
                    if feed.matches(&event, &actor) && passes(&state, &actor, feed, &event).await {
                        return Some((event, (receiver, state, actor)));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a live subscriber fell behind; events were skipped");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// R3: a feed on one subscription starts only if the caller may see it;
/// otherwise NOT_FOUND, like an ID that does not exist.
pub async fn check_subscription(state: &AppState, actor: &Actor, id: Uuid) -> crate::error::AppResult<()> {
    use sea_orm::EntityTrait;
    match actor {
        Actor::Org(_) => service::subscriptions::get(state, actor, id).await.map(|_| ()),
        Actor::Publisher(p) => {
            let not_found = crate::error::AppError::NotFound { entity: "subscription" };
            let sub = entity::subscription::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found.clone())?;
            let product = entity::product::Entity::find_by_id(sub.product_id).one(&state.db).await?;
            if product.is_some_and(|p2| p2.publisher_id == p.publisher_id) { Ok(()) } else { Err(not_found) }
        }
    }
}
