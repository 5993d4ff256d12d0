//! Issue 11: explicit renewal outcomes (R15, R17). When auto-renew is on but
//! the term cannot renew at a price then in force, the subscription ends with
//! its own reason, NOT_RENEWABLE, and a stored message saying why; its
//! purchaser and the billing profile's owners are named in the audit event.
//! A publisher who withdraws a price that auto-renewing subscriptions use is
//! warned how many will not renew.

use std::collections::{BTreeSet, HashSet};

use entity::{
    billing_role_assignment,
    enums::{BillingRole, SubscriptionStatus},
    product_price, subscription,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::AppResult;

/// Why a subscription with auto-renew on cannot renew, in words stored on it
/// (and exposed as `Subscription.disabledMessage`).
pub async fn why_not_renewable(db: &impl ConnectionTrait, sub: &subscription::Model) -> AppResult<String> {
    let prices: Vec<(entity::enums::BillingTerm, String)> = product_price::Entity::find()
        .select_only()
        .column(product_price::Column::Term)
        .column(product_price::Column::Currency)
        .filter(product_price::Column::ProductId.eq(sub.product_id))
        .into_tuple()
        .all(db)
        .await?;
    let term = sub.term.as_str().to_lowercase();
    Ok(if prices.is_empty() {
        "Not renewed: the publisher has retired the product (it has no prices any more).".to_owned()
    } else if !prices.iter().any(|(t, _)| *t == sub.term) {
        format!("Not renewed: the publisher withdrew the price of the {term} term.")
    } else {
        format!("Not renewed: the product is no longer offered in {} for the {term} term.", sub.currency)
    })
}

/// The people to tell that a subscription ended: its purchaser and the
/// owners of its billing profile (R2).
pub async fn people_to_tell(db: &impl ConnectionTrait, sub: &subscription::Model) -> AppResult<Vec<Uuid>> {
    let owners: Vec<Uuid> = billing_role_assignment::Entity::find()
        .select_only()
        .column(billing_role_assignment::Column::UserId)
        .filter(billing_role_assignment::Column::BillingProfileId.eq(sub.billing_profile_id))
        .filter(billing_role_assignment::Column::Role.eq(BillingRole::Owner))
        .into_tuple()
        .all(db)
        .await?;
    let mut people: BTreeSet<Uuid> = owners.into_iter().collect();
    people.insert(sub.purchaser_id);
    Ok(people.into_iter().collect())
}

/// How many auto-renewing, not disabled subscriptions of the product have
/// no price for their term and currency any more: they will end NOT_RENEWABLE
/// at their term end unless the price comes back.
pub async fn count_not_renewing(db: &impl ConnectionTrait, product_id: Uuid) -> AppResult<u64> {
    let priced: HashSet<(entity::enums::BillingTerm, String)> = product_price::Entity::find()
        .select_only()
        .column(product_price::Column::Term)
        .column(product_price::Column::Currency)
        .filter(product_price::Column::ProductId.eq(product_id))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let renewing: Vec<(entity::enums::BillingTerm, String)> = subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Term)
        .column(subscription::Column::Currency)
        .filter(subscription::Column::ProductId.eq(product_id))
        .filter(subscription::Column::AutoRenew.eq(true))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Disabled))
        .into_tuple()
        .all(db)
        .await?;
    Ok(renewing.into_iter().filter(|key| !priced.contains(key)).count() as u64)
}

/// For the product's own publisher: how many subscriptions will not renew
/// because a price they use was withdrawn; None for everyone else (the count
/// is about other organizations' subscriptions) and when there are none.
pub async fn warning_for_publisher(
    state: &crate::service::Services,
    actor: &crate::auth::Actor,
    product: &entity::product::Model,
) -> AppResult<Option<u64>> {
    let Ok(publisher) = actor.publisher() else { return Ok(None) };
    if publisher.publisher_id != product.publisher_id {
        return Ok(None);
    }
    let count = count_not_renewing(&state.db, product.id).await?;
    Ok((count > 0).then_some(count))
}
