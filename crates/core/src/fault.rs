//! Fault injection for the process tests (issue 12): with
//! `LICENSEDESK_TEST_CRASH_AT=<point>[:<n>]` the process aborts — like
//! `kill -9`, no destructors, no rollback — the n-th time (default 1st) it
//! reaches `<point>`. Unset (always, outside tests) it costs one lookup.
//!
//! Compiled only with the `test-hooks` feature, which `cargo test` turns on
//! (a dev-dependency of the server) and release builds leave off: there
//! every point is an empty function.

#[cfg(feature = "test-hooks")]
mod hooks {
    use std::sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    };

    static TARGET: OnceLock<Option<(String, u32)>> = OnceLock::new();
    static HITS: AtomicU32 = AtomicU32::new(0);

    fn target() -> &'static Option<(String, u32)> {
        TARGET.get_or_init(|| {
            let value = std::env::var("LICENSEDESK_TEST_CRASH_AT").ok()?;
            let (point, nth) = match value.split_once(':') {
                Some((point, n)) => (point.to_owned(), n.parse().unwrap_or(1)),
                None => (value, 1),
            };
            Some((point, nth))
        })
    }

    /// Aborts the process here when the test asked for it.
    pub fn crash_point(point: &str) {
        if let Some((target, nth)) = target()
            && target == point
            && HITS.fetch_add(1, Ordering::SeqCst) + 1 >= *nth
        {
            eprintln!("fault injection: aborting at {point}");
            std::process::abort();
        }
    }

    static DELAY: OnceLock<Option<(String, u64, u32)>> = OnceLock::new();
    static DELAY_HITS: AtomicU32 = AtomicU32::new(0);

    /// With `LICENSEDESK_TEST_DELAY_AT=<point>:<ms>[:<times>]` the first `times`
    /// (default: every) visits of `<point>` wait `ms` milliseconds: a process
    /// test uses it to hold a write transaction open while its client hangs up
    /// or its request times out (issue 12 §5). Unset it costs one lookup.
    pub async fn delay_point(point: &str) {
        let target = DELAY.get_or_init(|| {
            let value = std::env::var("LICENSEDESK_TEST_DELAY_AT").ok()?;
            let mut parts = value.split(':');
            let name = parts.next()?.to_owned();
            let ms = parts.next()?.parse().ok()?;
            let times = parts.next().and_then(|t| t.parse().ok()).unwrap_or(u32::MAX);
            Some((name, ms, times))
        });
        if let Some((name, ms, times)) = target
            && name == point
            && DELAY_HITS.fetch_add(1, Ordering::SeqCst) < *times
        {
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
        }
    }
}

#[cfg(feature = "test-hooks")]
pub use hooks::{crash_point, delay_point};

/// Without the `test-hooks` feature: nothing.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn crash_point(_point: &str) {}

/// Without the `test-hooks` feature: nothing.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub async fn delay_point(_point: &str) {}
