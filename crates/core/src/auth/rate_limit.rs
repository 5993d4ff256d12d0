//! Sign-in throttling without lock-out (issue 12), kept in the database so
//! every instance sharing it agrees.
//!
//! Failures are counted per address *and client* (the caller's IP address):
//! after `FREE_FAILURES` failures from one client, each further failure
//! doubles the wait before that client may try that address again (1 s, 2 s,
//! 4 s … capped at `MAX_DELAY`). Another client — the real owner on their own
//! device — is not slowed down by someone else's guessing. Failures are also
//! counted per address across all clients: once an address has had
//! `ADDRESS_FAILURES` failures, any client that has itself failed on it waits
//! the address's delay too, so rotating a few addresses does not reset the
//! crawl; a client with no failures still gets straight in. Counters reset
//! after `WINDOW` without failures; a success clears the client's counter.

use chrono::{DateTime, Utc};
use entity::sign_in_throttle;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::{
    db,
    error::{AppError, AppResult},
};

pub const FREE_FAILURES: i32 = 5;
pub const ADDRESS_FAILURES: i32 = 20;
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Kept for the tests that count attempts: failures allowed before the first wait.
pub const MAX_FAILURES: u32 = FREE_FAILURES as u32;

/// The wait after `failures` failures when `free` are allowed: 0, then 1 s, 2 s, 4 s …
pub fn delay_seconds(failures: i32, free: i32) -> i64 {
    if failures < free {
        return 0;
    }
    let exponent = u32::try_from(failures - free).unwrap_or(0).min(20);
    (1i64 << exponent).min(MAX_DELAY_SECONDS)
}

/// Addresses are hashed into the key: any length of input gives a short, fixed-size key.
fn digest(email: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(email.as_bytes()))
}

fn client_key(email: &str, client: Option<std::net::IpAddr>) -> String {
    match client {
        Some(ip) => format!("client:{ip}|{}", digest(email)),
        None => format!("client:-|{}", digest(email)),
    }
}

fn address_key(email: &str) -> String {
    format!("address:{}", digest(email))
}

#[derive(Clone, Default)]
pub struct LoginLimiter;

impl LoginLimiter {
    /// RATE_LIMITED while this client must wait before trying `email` again.
    pub async fn check(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mine = sign_in_throttle::Entity::find_by_id(client_key(email, client)).one(db).await?;
        let Some(mine) = mine.filter(|row| !expired(row, now)) else {
            // A client that has not failed on this address gets in.
            return Ok(());
        };
        if mine.blocked_until > now {
            return Err(AppError::RateLimited);
        }
        let address = sign_in_throttle::Entity::find_by_id(address_key(email)).one(db).await?;
        if address.is_some_and(|row| !expired(&row, now) && row.blocked_until > now) {
            return Err(AppError::RateLimited);
        }
        Ok(())
    }

    pub async fn record_failure(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        bump(db, client_key(email, client), FREE_FAILURES, now).await?;
        bump(db, address_key(email), ADDRESS_FAILURES, now).await
    }

    pub async fn record_success(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
    ) -> AppResult<()> {
        sign_in_throttle::Entity::delete_by_id(client_key(email, client)).exec(db).await?;
        Ok(())
    }
}

fn expired(row: &sign_in_throttle::Model, now: DateTime<Utc>) -> bool {
    (now - row.last_failure_at).num_seconds() >= WINDOW_SECONDS && row.blocked_until <= now
}

/// One more failure for `key`, in one write transaction (row-locked on
/// PostgreSQL, the write lock on SQLite) so racing instances count every one.
async fn bump(db: &DatabaseConnection, key: String, free: i32, now: DateTime<Utc>) -> AppResult<()> {
    let txn = db::begin_write(db).await?;
    let existing = {
        use sea_orm::QuerySelect;
        sign_in_throttle::Entity::find_by_id(key.clone()).lock_exclusive().one(&txn).await?
    };
    let failures = match &existing {
        Some(row) if !expired(row, now) => row.failures.saturating_add(1),
        _ => 1,
    };
    let blocked_until = now + chrono::Duration::seconds(delay_seconds(failures, free));
    match existing {
        Some(row) => {
            let mut model: sign_in_throttle::ActiveModel = row.into();
            model.failures = Set(failures);
            model.last_failure_at = Set(now);
            model.blocked_until = Set(blocked_until);
            model.update(&txn).await?;
        }
        None => {
            let inserted = sign_in_throttle::ActiveModel {
                key: Set(key),
                failures: Set(failures),
                last_failure_at: Set(now),
                blocked_until: Set(blocked_until),
            }
            .insert(&txn)
            .await;
            match inserted {
                Ok(_) => {}
                // Another instance inserted it first: its count stands, ours is one attempt.
                Err(e) if db::is_unique_violation(&e) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_after_the_free_failures_and_is_capped() {
        assert_eq!(delay_seconds(4, 5), 0);
        assert_eq!(delay_seconds(5, 5), 1);
        assert_eq!(delay_seconds(6, 5), 2);
        assert_eq!(delay_seconds(9, 5), 16);
        assert_eq!(delay_seconds(40, 5), MAX_DELAY_SECONDS);
    }
}
