//! Fault injection for the process tests (issue 12): with
//! `LICENSEDESK_TEST_CRASH_AT=<point>[:<n>]` the process aborts — like
//! `kill -9`, no destructors, no rollback — the n-th time (default 1st) it
//! reaches `<point>`. Unset (always, outside tests) it costs one lookup.

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
