//! R34: the card processor is behind one interface. The built-in offline
//! processor approves valid, unexpired cards and declines the documented test
//! numbers (see `domain::card::DECLINED_TEST_NUMBERS`), with no network.

use chrono::NaiveDate;

use crate::domain::card;

/// What the processor sees of a stored card: never the number.
#[derive(Debug, Clone)]
pub struct StoredCard {
    pub fingerprint: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Approved { reference: String },
    Declined { reason: &'static str },
}

pub trait CardProcessor: Send + Sync {
    /// Charges `amount_minor` in `currency` to the card on `today`.
    fn charge(&self, card: &StoredCard, amount_minor: i64, currency: &str, today: NaiveDate) -> ChargeOutcome;
}

pub struct OfflineCardProcessor {
    fingerprint_key: Vec<u8>,
}

impl OfflineCardProcessor {
    pub fn new(fingerprint_key: Vec<u8>) -> Self {
        OfflineCardProcessor { fingerprint_key }
    }
}

impl CardProcessor for OfflineCardProcessor {
    fn charge(&self, card: &StoredCard, amount_minor: i64, _currency: &str, today: NaiveDate) -> ChargeOutcome {
        if card::validate_expiry(card.exp_month, card.exp_year, today).is_err() {
            return ChargeOutcome::Declined { reason: "expired" };
        }
        if card::is_declined_test_fingerprint(&card.fingerprint, &self.fingerprint_key) {
            return ChargeOutcome::Declined { reason: "declined" };
        }
        ChargeOutcome::Approved {
            reference: format!("offline-{}-{amount_minor}", &card.fingerprint[..card.fingerprint.len().min(8)]),
        }
    }
}
