//! Sign-in throttling without lock-out (issue 12), kept in the database so
//! every instance sharing it agrees.
//!
//! Attempts are counted per address *and client* (the caller's IP address):
//! after `FREE_FAILURES` failures from one client, each further failure
//! doubles the wait before that client may try that address again (1 s, 2 s,
//! 4 s … capped at `MAX_DELAY`). Another client — the real owner on their own
//! device — is not slowed down by someone else's guessing. Attempts are also
//! counted per address across all clients: once an address has had
//! `ADDRESS_FAILURES` failures, any client that has itself failed on it waits
//! the address's delay too, so rotating a few addresses does not reset the
//! crawl; a client with no failures still gets straight in. Counters reset
//! after `WINDOW` without failures; a success clears the client's counter.
//!
//! Issue 20 item 5: an attempt is counted *before* the password is checked
//! ([`LoginLimiter::begin`]: check and count in one write transaction, rows
//! locked), so parallel guesses cannot all pass the check before any of them
//! is recorded: the sixth concurrent guess already sees five counted
//! attempts and waits. [`LoginLimiter::failed`] then starts the wait from the
//! moment the check answered; [`LoginLimiter::succeeded`] takes the attempt
//! back off the address's count and clears the client's.

use chrono::{DateTime, Utc};
use entity::sign_in_throttle;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Set};

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

/// One counted attempt: the counts it brought each key to, so the outcome
/// sets the wait those counts call for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub client_failures: i32,
    pub address_failures: i32,
}

#[derive(Clone, Default)]
pub struct LoginLimiter;

impl LoginLimiter {
    /// Checks and counts one attempt, in one write transaction (rows locked
    /// on PostgreSQL, the single writer on SQLite), before the password is
    /// checked: RATE_LIMITED while this client must wait before trying
    /// `email` again; otherwise the attempt counts as a failure until
    /// [`succeeded`](Self::succeeded) says otherwise.
    pub async fn begin(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
        now: DateTime<Utc>,
    ) -> AppResult<Attempt> {
        let (client_key, address_key) = (client_key(email, client), address_key(email));
        let txn = db::begin_write(db).await?;
        // Both rows exist from here on (a racing instance's insert waits for
        // ours, then does nothing), so the locking reads below see every
        // counted attempt. Locked in one order (client, then address): no deadlock.
        for key in [&client_key, &address_key] {
            let fresh = sign_in_throttle::ActiveModel {
                key: Set(key.clone()),
                failures: Set(0),
                last_failure_at: Set(now),
                blocked_until: Set(now),
            };
            sign_in_throttle::Entity::insert(fresh)
                .on_conflict_do_nothing_on([sign_in_throttle::Column::Key])
                .exec_without_returning(&txn)
                .await?;
        }
        let mine = locked(&txn, &client_key).await?;
        let address = locked(&txn, &address_key).await?;
        let mine_failures = current(&mine, now);
        let address_failures = current(&address, now);
        if mine_failures > 0 {
            // A client that has not failed on this address gets in; one that
            // has waits its own delay, and the address's.
            let waiting = |row: &Option<sign_in_throttle::Model>| row.as_ref().is_some_and(|r| r.blocked_until > now);
            if waiting(&mine) || (address_failures > 0 && waiting(&address)) {
                return Err(AppError::RateLimited); // the transaction rolls back: nothing counted
            }
        }
        let attempt = Attempt {
            client_failures: mine_failures.saturating_add(1),
            address_failures: address_failures.saturating_add(1),
        };
        count(&txn, mine, client_key, attempt.client_failures, FREE_FAILURES, now).await?;
        count(&txn, address, address_key, attempt.address_failures, ADDRESS_FAILURES, now).await?;
        txn.commit().await?;
        Ok(attempt)
    }

    /// The attempt failed: the wait its count calls for starts now, when the
    /// check answered (a slow check does not eat into the wait).
    pub async fn failed(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
        attempt: Attempt,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let waits = [
            (client_key(email, client), delay_seconds(attempt.client_failures, FREE_FAILURES)),
            (address_key(email), delay_seconds(attempt.address_failures, ADDRESS_FAILURES)),
        ];
        if waits.iter().all(|(_, delay)| *delay == 0) {
            return Ok(()); // a free failure: `begin` counted it already
        }
        let txn = db::begin_write(db).await?;
        for (key, delay) in waits {
            let until = now + chrono::Duration::seconds(delay);
            match locked(&txn, &key).await? {
                Some(row) if delay > 0 && row.blocked_until < until => {
                    let mut model: sign_in_throttle::ActiveModel = row.into();
                    model.blocked_until = Set(until);
                    model.update(&txn).await?;
                }
                // Cleared by a success meanwhile, or already waiting longer.
                _ => {}
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// The attempt succeeded: the client's counter is cleared, and the attempt
    /// `begin` counted on the address is taken back (it was not a failure).
    pub async fn succeeded(
        &self,
        db: &DatabaseConnection,
        email: &str,
        client: Option<std::net::IpAddr>,
    ) -> AppResult<()> {
        let txn = db::begin_write(db).await?;
        sign_in_throttle::Entity::delete_by_id(client_key(email, client)).exec(&txn).await?;
        if let Some(row) = locked(&txn, &address_key(email)).await? {
            let failures = row.failures.saturating_sub(1).max(0);
            let mut model: sign_in_throttle::ActiveModel = row.into();
            model.failures = Set(failures);
            model.update(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn expired(row: &sign_in_throttle::Model, now: DateTime<Utc>) -> bool {
    (now - row.last_failure_at).num_seconds() >= WINDOW_SECONDS && row.blocked_until <= now
}

/// The failures that still count: none once the window has passed.
fn current(row: &Option<sign_in_throttle::Model>, now: DateTime<Utc>) -> i32 {
    row.as_ref().filter(|r| !expired(r, now)).map_or(0, |r| r.failures.max(0))
}

/// Reads one row for update (`FOR UPDATE` on PostgreSQL; SQLite's write
/// transaction already excludes other writers).
async fn locked(txn: &DatabaseTransaction, key: &str) -> AppResult<Option<sign_in_throttle::Model>> {
    use sea_orm::QuerySelect;
    Ok(sign_in_throttle::Entity::find_by_id(key.to_owned()).lock_exclusive().one(txn).await?)
}

/// Writes `failures` for `key`; the wait it calls for starts now (and never shortens).
async fn count(
    txn: &DatabaseTransaction,
    row: Option<sign_in_throttle::Model>,
    key: String,
    failures: i32,
    free: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let until = now + chrono::Duration::seconds(delay_seconds(failures, free));
    match row {
        Some(row) => {
            let blocked_until = row.blocked_until.max(until);
            let mut model: sign_in_throttle::ActiveModel = row.into();
            model.failures = Set(failures);
            model.last_failure_at = Set(now);
            model.blocked_until = Set(blocked_until);
            model.update(txn).await?;
        }
        None => {
            sign_in_throttle::ActiveModel {
                key: Set(key),
                failures: Set(failures),
                last_failure_at: Set(now),
                blocked_until: Set(until),
            }
            .insert(txn)
            .await?;
        }
    }
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
