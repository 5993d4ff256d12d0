//! R53: what a publisher's portal does with a delegated token. Every call
//! acts as the consenting admin with their rights now (through the admin
//! center's own services: `subscriptions`, `identity::search_users`,
//! `licenses::assign` / `unassign`, so R19–R21 and the seat count hold the
//! same way), narrowed to the grant's organization, the publisher's products
//! (`access::portal_consent::portal_subscriptions`) and the granted scopes
//! (FORBIDDEN otherwise). Changes are audited with the portal as the channel
//! (`"channel": "PORTAL"`, the API client and the consent), and their events
//! carry the same.

use entity::{product, subscription, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::{PortalActor, Scope},
    error::{AppError, AppResult, EntityKind},
    paging::{Direction, KeyKind, Keyset, Page, Window},
    service::{
        Services, audit, identity,
        licenses::{self, AssignOutcome, UnassignOutcome},
        subscriptions,
    },
};

const NOT_FOUND: AppError = AppError::NotFound { entity: EntityKind::Subscription };

/// A subscription as the portal sees it, with its product.
pub struct PortalSubscription {
    pub subscription: Visible<subscription::Model>,
    pub product: product::Model,
}

/// The portal's subscriptions (scope `licenses.read`): the organization's
/// subscriptions of the publisher's products that the admin may see, oldest first.
pub async fn subscriptions(
    state: &Services,
    portal: &PortalActor,
    window: &Window,
) -> AppResult<Page<PortalSubscription>> {
    portal.require(Scope::LicensesRead)?;
    let order = Keyset::new("portal_subscriptions")
        .key(subscription::Column::CreatedAt.into_expr(), Direction::Asc, KeyKind::Time)
        .id(subscription::Column::Id.into_expr(), Direction::Asc);
    let query = subscription::Entity::find().filter(access::portal_consent::portal_subscriptions(portal));
    let page = access::subscription::page(&state.db, &portal.admin, query, &order, window).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|s| s.product_id).collect();
    let products: std::collections::HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut page = page;
    let items = std::mem::take(&mut page.items);
    let items = items
        .into_iter()
        .filter_map(|s| {
            let product = products.get(&s.product_id)?.clone();
            access::portal_consent::portal_reaches(portal, &s, &product)
                .then_some(PortalSubscription { subscription: s, product })
        })
        .collect();
    Ok(page.with_items(items))
}

/// One subscription under the admin's rule and the portal's narrowing;
/// NOT_FOUND for another organization's or another publisher's, like an unknown ID.
pub async fn subscription(state: &Services, portal: &PortalActor, id: Uuid) -> AppResult<PortalSubscription> {
    portal.require(Scope::LicensesRead)?;
    reach(state, portal, id).await
}

async fn reach(state: &Services, portal: &PortalActor, id: Uuid) -> AppResult<PortalSubscription> {
    let sub = subscriptions::get(state, &portal.admin, id).await.map_err(|e| match e {
        AppError::Forbidden => NOT_FOUND,
        other => other,
    })?;
    let product = product::Entity::find_by_id(sub.product_id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    if !access::portal_consent::portal_reaches(portal, &sub, &product) {
        return Err(NOT_FOUND);
    }
    Ok(PortalSubscription { subscription: sub, product })
}

/// The holders of a subscription's licenses (scope `licenses.read`).
pub async fn holders(state: &Services, portal: &PortalActor, id: Uuid) -> AppResult<Vec<user::Model>> {
    let reached = subscription(state, portal, id).await?;
    let rows = subscriptions::holders_of(&state.db, &[reached.subscription.id]).await?;
    Ok(rows.into_iter().map(|(_, user)| user).collect())
}

/// The organization's active people, by name, found by any word of their
/// name or the start of their e-mail (R23; scope `licenses.read`).
pub async fn people(
    state: &Services,
    portal: &PortalActor,
    search: Option<&str>,
    window: &Window,
) -> AppResult<Page<user::Model>> {
    portal.require(Scope::LicensesRead)?;
    identity::search_users(state, &portal.admin, search, false, Direction::Asc, window).await
}

fn channel(portal: &PortalActor) -> serde_json::Value {
    json!({"channel": "PORTAL", "apiClientId": portal.api_client_id, "portalConsentId": portal.grant_id})
}

/// Assigns licenses to up to 20 people (R19–R21; scope `licenses.assign`),
/// through `licenses::assign`, audited as the portal's.
pub async fn assign(state: &Services, portal: &PortalActor, id: Uuid, user_ids: &[&str]) -> AppResult<AssignOutcome> {
    portal.require(Scope::LicensesAssign)?;
    reach(state, portal, id).await?;
    audit::through_channel(channel(portal), licenses::assign(state, &portal.admin, id, user_ids)).await
}

/// Unassigns licenses from up to 20 people (R19–R21; scope `licenses.assign`).
pub async fn unassign(
    state: &Services,
    portal: &PortalActor,
    id: Uuid,
    user_ids: &[&str],
) -> AppResult<UnassignOutcome> {
    portal.require(Scope::LicensesAssign)?;
    reach(state, portal, id).await?;
    audit::through_channel(channel(portal), licenses::unassign(state, &portal.admin, id, user_ids)).await
}
