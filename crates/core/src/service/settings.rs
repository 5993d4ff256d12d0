//! Server-wide settings kept in the database.

use entity::server_setting;
use sea_orm::{DatabaseConnection, EntityTrait, Set, sea_query::OnConflict};

use crate::error::{AppError, AppResult};

const DEV_SECRET_KEY: &str = "development_jwt_secret";

/// The development token secret: generated once, kept in the database, shared
/// by every instance on it. Insert-if-absent, then read, so two instances
/// starting together agree.
pub async fn development_secret(db: &DatabaseConnection) -> AppResult<Vec<u8>> {
    let bytes = crate::auth::random_bytes::<32>();
    let candidate = server_setting::ActiveModel { key: Set(DEV_SECRET_KEY.into()), value: Set(hex::encode(bytes)) };
    server_setting::Entity::insert(candidate)
        .on_conflict(OnConflict::column(server_setting::Column::Key).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let stored = server_setting::Entity::find_by_id(DEV_SECRET_KEY.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("development secret missing after insert"))?;
    Ok(stored.value.into_bytes())
}
