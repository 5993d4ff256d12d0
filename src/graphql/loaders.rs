//! The one way to load relations: DataLoaders with typed keys, one batched
//! query per relation per request (no N+1).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    billing_profile, enums::OrgRole, organization, payment_method, product, product_market, product_price, publisher,
    subscription, user, user_role,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    auth::{Actor, Caller},
    error::AppError,
    service::identity::CallerRows,
    state::AppState,
};

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub struct DbLoader {
    db: DatabaseConnection,
}

pub fn new_loaders(state: &AppState) -> Loaders {
    // Cached per request: a key is loaded at most once, whatever asks for it.
    // With no delay (the default) a batch is what is already requested: the
    // load task yields to the runtime a few times first, so every sibling
    // resolver of the level (polled together by the request's task) has added
    // its key, and no fixed timer is waited on. A delay in milliseconds
    // restores the timed window.
    let delay = state.config.dataloader_delay_ms;
    DataLoader::with_cache(DbLoader { db: state.db.clone() }, spawn_after_siblings, HashMapCache::default())
        .delay(std::time::Duration::from_millis(delay))
}

/// Seeds the request's cache with the caller's own row, roles and
/// organization, already read to resolve the token, so `me { roles
/// organization }` costs no statement of its own (issue 14).
pub async fn prime_with_caller(loaders: &Loaders, caller: &Caller, rows: Option<CallerRows>) {
    let (Caller::Authenticated(actor), Some(rows)) = (caller, rows) else { return };
    if let Actor::Org(org) = actor {
        loaders.feed_one(RolesOfUser(rows.user.id), org.roles.clone()).await;
    }
    if let Some(organization) = rows.organization {
        loaders.feed_one(OrganizationId(organization.id), organization).await;
    }
    loaders.feed_one(UserId(rows.user.id), rows.user).await;
}

/// Spawns a batch load after letting the requesting task finish its poll.
fn spawn_after_siblings(
    load: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
) -> tokio::task::JoinHandle<()> {
    // In the span of the request that asked first (its trace shows the batch's statements).
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        for _ in 0..YIELDS_BEFORE_LOAD {
            tokio::task::yield_now().await;
        }
        load.await
    }))
}

const YIELDS_BEFORE_LOAD: usize = 16;

macro_rules! key {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub Uuid);
    };
}

key!(UserId);
key!(OrganizationId);
key!(PublisherId);
key!(ProductId);
key!(BillingProfileId);
key!(PaymentMethodId);
key!(RolesOfUser);
key!(PricesOfProduct);
key!(MarketsOfProduct);
key!(SubscriptionId);

macro_rules! by_id_loader {
    ($key:ident, $entity:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = AppError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $entity::Entity::find().filter($entity::Column::Id.is_in(ids)).all(&self.db).await?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }
    };
}

by_id_loader!(UserId, user);
by_id_loader!(OrganizationId, organization);
by_id_loader!(PublisherId, publisher);
by_id_loader!(ProductId, product);
by_id_loader!(BillingProfileId, billing_profile);
by_id_loader!(PaymentMethodId, payment_method);
by_id_loader!(SubscriptionId, subscription);

/// Groups child rows by a parent key; every requested key gets an entry (maybe empty).
fn group<K: Copy + Eq + std::hash::Hash, V>(keys: &[K], rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (key, value) in rows {
        map.entry(key).or_default().push(value);
    }
    map
}

impl Loader<RolesOfUser> for DbLoader {
    type Value = Vec<OrgRole>;
    type Error = AppError;

    async fn load(&self, keys: &[RolesOfUser]) -> Result<HashMap<RolesOfUser, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = user_role::Entity::find().filter(user_role::Column::UserId.is_in(ids)).all(&self.db).await?;
        Ok(group(keys, rows.into_iter().map(|r| (RolesOfUser(r.user_id), r.role))))
    }
}

impl Loader<PricesOfProduct> for DbLoader {
    type Value = Vec<product_price::Model>;
    type Error = AppError;

    async fn load(&self, keys: &[PricesOfProduct]) -> Result<HashMap<PricesOfProduct, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows =
            product_price::Entity::find().filter(product_price::Column::ProductId.is_in(ids)).all(&self.db).await?;
        Ok(group(keys, rows.into_iter().map(|r| (PricesOfProduct(r.product_id), r))))
    }
}

impl Loader<MarketsOfProduct> for DbLoader {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[MarketsOfProduct]) -> Result<HashMap<MarketsOfProduct, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows =
            product_market::Entity::find().filter(product_market::Column::ProductId.is_in(ids)).all(&self.db).await?;
        Ok(group(keys, rows.into_iter().map(|r| (MarketsOfProduct(r.product_id), r.market))))
    }
}

key!(AssignedUsersOfSubscription);

impl Loader<AssignedUsersOfSubscription> for DbLoader {
    type Value = Vec<user::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[AssignedUsersOfSubscription],
    ) -> Result<HashMap<AssignedUsersOfSubscription, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = crate::service::subscriptions::holders_of(&self.db, &ids).await?;
        Ok(group(
            keys,
            rows.into_iter().map(|(subscription_id, holder)| (AssignedUsersOfSubscription(subscription_id), holder)),
        ))
    }
}

/// Whether the organization allows self-service purchase of a product
/// (`service::catalog::allowed_by_policy`: the one default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SelfServicePolicyKey {
    pub organization_id: Uuid,
    pub product_id: Uuid,
}

impl Loader<SelfServicePolicyKey> for DbLoader {
    type Value = bool;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[SelfServicePolicyKey],
    ) -> Result<HashMap<SelfServicePolicyKey, Self::Value>, Self::Error> {
        use entity::self_service_policy;
        let products: Vec<Uuid> = keys.iter().map(|k| k.product_id).collect();
        let orgs: Vec<Uuid> = keys.iter().map(|k| k.organization_id).collect();
        let rows = self_service_policy::Entity::find()
            .filter(self_service_policy::Column::ProductId.is_in(products))
            .filter(self_service_policy::Column::OrganizationId.is_in(orgs))
            .all(&self.db)
            .await?;
        Ok(keys
            .iter()
            .map(|k| {
                let policy =
                    rows.iter().find(|r| r.organization_id == k.organization_id && r.product_id == k.product_id);
                let allowed = crate::service::catalog::allowed_by_policy(policy);
                (*k, allowed)
            })
            .collect())
    }
}

/// A product's list price for one term and currency in force on a day
/// (`service::catalog::prices_in_force`): a subscription's next renewal
/// price, one query for every subscription of the request level.
impl Loader<crate::service::catalog::PriceAsked> for DbLoader {
    type Value = Option<i64>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[crate::service::catalog::PriceAsked],
    ) -> Result<HashMap<crate::service::catalog::PriceAsked, Self::Value>, Self::Error> {
        let prices = crate::service::catalog::prices_in_force(&self.db, keys).await?;
        Ok(keys.iter().cloned().zip(prices).collect())
    }
}

/// The first page (`first` entries) of a billing profile's role assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleAssignmentsOfProfile {
    pub profile_id: Uuid,
    pub first: u64,
}

impl Loader<RoleAssignmentsOfProfile> for DbLoader {
    type Value = Vec<entity::billing_role_assignment::Model>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[RoleAssignmentsOfProfile],
    ) -> Result<HashMap<RoleAssignmentsOfProfile, Self::Value>, Self::Error> {
        // One statement per page size asked for (a request rarely asks two).
        let mut sizes: Vec<u64> = keys.iter().map(|k| k.first).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let mut pages = Vec::new();
        for first in sizes {
            let ids: Vec<Uuid> = keys.iter().filter(|k| k.first == first).map(|k| k.profile_id).collect();
            let rows = crate::service::role_assignments::first_pages(&self.db, &ids, first).await?;
            pages.extend(
                rows.into_iter().map(|r| (RoleAssignmentsOfProfile { profile_id: r.billing_profile_id, first }, r)),
            );
        }
        Ok(group(keys, pages))
    }
}

/// The roles one user holds on one billing profile: what the billing-profile
/// rule needs to decide a nested profile, one query per request level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RolesOnProfile {
    pub user_id: Uuid,
    pub profile_id: Uuid,
}

impl Loader<RolesOnProfile> for DbLoader {
    type Value = Vec<entity::enums::BillingRole>;
    type Error = AppError;

    async fn load(&self, keys: &[RolesOnProfile]) -> Result<HashMap<RolesOnProfile, Self::Value>, Self::Error> {
        use entity::billing_role_assignment as bra;
        let users: Vec<Uuid> = keys.iter().map(|k| k.user_id).collect();
        let profiles: Vec<Uuid> = keys.iter().map(|k| k.profile_id).collect();
        let rows = bra::Entity::find()
            .filter(bra::Column::UserId.is_in(users))
            .filter(bra::Column::BillingProfileId.is_in(profiles))
            .all(&self.db)
            .await?;
        Ok(group(
            keys,
            rows.into_iter().map(|r| (RolesOnProfile { user_id: r.user_id, profile_id: r.billing_profile_id }, r.role)),
        ))
    }
}
