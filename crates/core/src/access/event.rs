//! R45/R37: which live events a caller may receive. Every event is checked
//! with the same visibility rules as fetching its object directly; the one
//! place that does so is `may_see`. The server's live feeds call it for each
//! event they send.

use entity::{billing_profile, outbox_event, product, subscription};
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::{
    access::{self, subscription::Access},
    auth::Actor,
    domain::events::EventType,
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
    pub fn matches(self, event: &outbox_event::Model, actor: &Actor) -> bool {
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
pub async fn may_see(db: &DatabaseConnection, actor: &Actor, event: &outbox_event::Model) -> bool {
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
                    let Ok(sub) = access::subscription::load(db, actor, event.object_id, Access::View, false).await
                    else {
                        return false;
                    };
                    if !event.billing {
                        return true;
                    }
                    match billing_profile::Entity::find_by_id(sub.billing_profile_id).one(db).await {
                        Ok(Some(profile)) => {
                            access::billing_profile::rights(db, actor, &profile).await.is_ok_and(|rights| rights.view)
                        }
                        _ => false,
                    }
                }
                "invoice" => access::invoice::load(db, actor, event.object_id, false).await.is_ok(),
                _ => false,
            }
        }
    }
}

/// A user always may learn that they got or lost a license (their own `myLicenses`).
pub async fn passes(db: &DatabaseConnection, actor: &Actor, feed: Feed, event: &outbox_event::Model) -> bool {
    match (feed, actor) {
        (Feed::MyLicenses, Actor::Org(org)) => org.organization_id == event.organization_id,
        (Feed::MyLicenses, Actor::Publisher(_)) => false,
        (Feed::MyLicenses, Actor::Operator(_)) => false,
        (Feed::MyLicenses, Actor::Partner(_)) => false,
        _ => may_see(db, actor, event).await,
    }
}

/// R3: a feed on one subscription starts only if the caller may see it;
/// otherwise NOT_FOUND, like an ID that does not exist.
pub async fn check_subscription(db: &DatabaseConnection, actor: &Actor, id: Uuid) -> crate::error::AppResult<()> {
    match actor {
        Actor::Org(_) => access::subscription::load(db, actor, id, Access::View, false).await.map(|_| ()),
        Actor::Partner(_) => Err(access::subscription::NOT_FOUND),
        Actor::Publisher(_) => {
            let not_found = access::subscription::NOT_FOUND;
            let sub = subscription::Entity::find_by_id(id).one(db).await?.ok_or(not_found.clone())?;
            let product = product::Entity::find_by_id(sub.product_id).one(db).await?.ok_or(not_found)?;
            access::subscription::check_for_publisher(actor, sub, &product).map(|_| ())
        }
        Actor::Operator(_) => Err(access::subscription::NOT_FOUND),
    }
}
