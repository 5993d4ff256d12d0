//! R13: repeating a purchase with the same key and input returns the first
//! result and charges once; the same key with other input is a conflict. The
//! key row is inserted first in the purchase's own transaction, so a racing
//! repeat (on any instance) waits on the unique index and then sees the
//! committed result.

use entity::idempotency_key;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    db,
    error::{AppError, AppResult, Invalid},
};

pub const MAX_KEY_LENGTH: usize = 200;

/// SHA-256 of the canonical input (serde_json orders object keys).
pub fn request_hash(input: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(input.to_string().as_bytes()))
}

pub fn parse_key(key: Option<&str>) -> AppResult<Option<String>> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.chars().count() > MAX_KEY_LENGTH => {
            Err(AppError::validation("idempotencyKey", Invalid::TooLong { max: MAX_KEY_LENGTH }))
        }
        Some(k) => Ok(Some(k.to_owned())),
    }
}

/// Tries to claim `key` inside `txn`. On a duplicate the transaction is spoiled
/// (PostgreSQL aborts it), so the caller must roll back and call `lookup`.
pub async fn claim(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    operation: &str,
    key: &str,
    hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Uuid, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    idempotency_key::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        operation: Set(operation.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(hash.to_owned()),
        result: Set("[]".to_owned()),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// The first request's result for `key`, or IDEMPOTENCY_CONFLICT for other input.
pub async fn lookup(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    operation: &str,
    key: &str,
    hash: &str,
) -> AppResult<Vec<Uuid>> {
    let row = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Operation.eq(operation))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("idempotency key vanished after a unique violation"))?;
    if row.request_hash != hash {
        return Err(AppError::IdempotencyConflict);
    }
    let ids: Vec<Uuid> = serde_json::from_str(&row.result).map_err(AppError::internal)?;
    Ok(ids)
}

pub async fn complete(txn: &impl ConnectionTrait, claim_id: Uuid, result: &[Uuid]) -> AppResult<()> {
    let row = idempotency_key::ActiveModel {
        id: Set(claim_id),
        result: Set(serde_json::to_string(result).map_err(AppError::internal)?),
        ..Default::default()
    };
    row.update(txn).await?;
    Ok(())
}

/// Runs `work` once per (user, operation, key, input). Without a key it just runs.
pub async fn run_once<F, Fut>(
    state: &crate::service::Services,
    user_id: Uuid,
    operation: &str,
    key: Option<&str>,
    input: &serde_json::Value,
    work: F,
) -> AppResult<Vec<Uuid>>
where
    F: FnOnce(sea_orm::DatabaseTransaction) -> Fut,
    Fut: std::future::Future<Output = AppResult<(sea_orm::DatabaseTransaction, Vec<Uuid>)>>,
{
    let hash = request_hash(input);
    let txn = db::begin_write(&state.db).await?;
    let claim_id = match key {
        None => None,
        Some(key) => match claim(&txn, user_id, operation, key, &hash, state.clock.now()).await {
            Ok(id) => Some(id),
            Err(e) if db::is_unique_violation(&e) => {
                txn.rollback().await?;
                // A request with the same key and input already finished: its results.
                return lookup(&state.db, user_id, operation, key, &hash).await;
            }
            Err(e) => return Err(e.into()),
        },
    };
    let (txn, ids) = work(txn).await?;
    if let Some(claim_id) = claim_id {
        complete(&txn, claim_id, &ids).await?;
    }
    txn.commit().await?;
    Ok(ids)
}
