//! Time comes from a clock so that tests (and the billing run) control it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The process's clock: the system's; with the `test-hooks` feature (never
/// in release builds) and `LICENSEDESK_TEST_TODAY=YYYY-MM-DD`, noon of that
/// day, so process tests run the real binary on the days of a scenario
/// (issue 26: a CLI billing run after a gap).
pub fn from_environment() -> Arc<dyn Clock> {
    #[cfg(feature = "test-hooks")]
    if let Some(date) = std::env::var("LICENSEDESK_TEST_TODAY").ok().and_then(|d| d.parse::<NaiveDate>().ok()) {
        return Arc::new(ManualClock::at_date(date));
    }
    Arc::new(SystemClock)
}

/// A clock the tests set and move forward.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn at_date(date: NaiveDate) -> Self {
        Self::new(date.and_hms_opt(12, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = now;
        }
    }

    pub fn set_date(&self, date: NaiveDate) {
        if let Some(t) = date.and_hms_opt(12, 0, 0) {
            self.set(t.and_utc());
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|g| *g).unwrap_or_else(|_| Utc::now())
    }
}
