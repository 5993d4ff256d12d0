//! The one way to load relations: DataLoaders with typed keys, one batched
//! query per relation per request (no N+1).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    billing_profile, enums::OrgRole, organization, payment_method, product, product_market, product_price, publisher,
    user, user_role,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{app::AppState, error::AppError};

pub type Loaders = DataLoader<DbLoader>;

pub struct DbLoader {
    db: DatabaseConnection,
}

pub fn new_loaders(state: &AppState) -> Loaders {
    DataLoader::new(DbLoader { db: state.db.clone() }, tokio::spawn)
}

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
