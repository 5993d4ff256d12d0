//! R45/R37: the feeds behind GraphQL subscriptions. Every event is checked
//! with the same visibility rules as fetching its object directly; the one
//! place that does so is `may_see`.

use std::sync::Arc;

use async_graphql::futures_util::{Stream, stream};
use entity::{billing_profile, outbox_event, product, subscription};
use sea_orm::EntityTrait;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::EventType;
use crate::{
    access::{self, subscription::Access},
    app::AppState,
    auth::Actor,
};

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

/// R37: may `actor` see this event? The same rules (`crate::access`) as
/// fetching its object directly; a billing event also needs the right to see
/// the billing profile (so never a LICENSE_ADMIN without a role on it).
pub async fn may_see(state: &AppState, actor: &Actor, event: &outbox_event::Model) -> bool {
    match actor {
        // A publisher sees its products' subscriptions, never billing events.
        Actor::Publisher(p) => event.publisher_id == Some(p.publisher_id) && !event.billing,
        // R40: operators follow no customer's subscriptions or invoices.
        Actor::Operator(_) => false,
        // R39: live feeds are not offered to partners (yet).
        Actor::Partner(_) => false,
        Actor::Org(org) => {
            if org.organization_id != event.organization_id {
                return false;
            }
            match event.object_type.as_str() {
                "subscription" => {
                    let Ok(sub) =
                        access::subscription::load(&state.db, actor, event.object_id, Access::View, false).await
                    else {
                        return false;
                    };
                    if !event.billing {
                        return true;
                    }
                    match billing_profile::Entity::find_by_id(sub.billing_profile_id).one(&state.db).await {
                        Ok(Some(profile)) => access::billing_profile::rights(&state.db, actor, &profile)
                            .await
                            .is_ok_and(|rights| rights.view),
                        _ => false,
                    }
                }
                "invoice" => access::invoice::load(&state.db, actor, event.object_id, false).await.is_ok(),
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
        (Feed::MyLicenses, Actor::Operator(_)) => false,
        (Feed::MyLicenses, Actor::Partner(_)) => false,
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
    match actor {
        Actor::Org(_) => access::subscription::load(&state.db, actor, id, Access::View, false).await.map(|_| ()),
        Actor::Partner(_) => Err(access::subscription::NOT_FOUND),
        Actor::Publisher(_) => {
            let not_found = access::subscription::NOT_FOUND;
            let sub = subscription::Entity::find_by_id(id).one(&state.db).await?.ok_or(not_found.clone())?;
            let product = product::Entity::find_by_id(sub.product_id).one(&state.db).await?.ok_or(not_found)?;
            access::subscription::check_for_publisher(actor, sub, &product).map(|_| ())
        }
        Actor::Operator(_) => Err(access::subscription::NOT_FOUND),
    }
}
