//! Failed sign-ins per e-mail address are limited (RATE_LIMITED), so a
//! password cannot be guessed at the speed of the server. The window is per
//! instance: with N instances an attacker gets at most N × the limit, which
//! still turns guessing into a crawl, and no coordination is needed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub const MAX_FAILURES: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Default)]
pub struct LoginLimiter {
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

impl LoginLimiter {
    /// True when `email` has used up its failed attempts in the current window.
    pub fn is_blocked(&self, email: &str) -> bool {
        let Ok(map) = self.failures.lock() else { return false };
        map.get(email).is_some_and(|(count, since)| *count >= MAX_FAILURES && since.elapsed() < WINDOW)
    }

    pub fn record_failure(&self, email: &str) {
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() > 100_000 {
            // Bound the memory an attacker can make us spend.
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(email.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(email);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_success_resets() {
        let limiter = LoginLimiter::default();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.record_failure("a@example.test");
        }
        assert!(!limiter.is_blocked("a@example.test"));
        limiter.record_failure("a@example.test");
        assert!(limiter.is_blocked("a@example.test"));
        assert!(!limiter.is_blocked("b@example.test"), "per address");
        limiter.record_success("a@example.test");
        assert!(!limiter.is_blocked("a@example.test"));
    }
}
