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

/// One charge request. `idempotency_key` (the invoice's ID) lets a real
/// processor recognise a retry of the same charge and not take the money twice.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub card: &'a StoredCard,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub today: NaiveDate,
    pub idempotency_key: String,
}

/// A refund of a billing profile's credit balance to its card (R44).
/// `idempotency_key` names the refund request, so a retried request is one refund.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub card: &'a StoredCard,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub today: NaiveDate,
    pub idempotency_key: String,
}

pub trait CardProcessor: Send + Sync {
    /// Charges the amount to the card.
    fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome;
    /// Pays the amount back to the card (R44). Same outcomes as a charge.
    fn refund(&self, request: &RefundRequest<'_>) -> ChargeOutcome;
}

pub struct OfflineCardProcessor {
    fingerprint_key: Vec<u8>,
    /// Test hook (`LICENSEDESK_TEST_PROCESSOR_LEDGER`): a file where each
    /// charge taken is appended as `<idempotency key> <amount>`, and where a
    /// key already present is answered like a real processor answers a retry:
    /// with the first result, not a second charge. It lets the process tests
    /// count charges across `kill -9` of the server.
    ledger: Option<std::path::PathBuf>,
}

impl OfflineCardProcessor {
    pub fn new(fingerprint_key: Vec<u8>) -> Self {
        // Only builds with the `test-hooks` feature read the variable.
        let ledger = if cfg!(feature = "test-hooks") {
            std::env::var_os("LICENSEDESK_TEST_PROCESSOR_LEDGER").map(std::path::PathBuf::from)
        } else {
            None
        };
        OfflineCardProcessor { fingerprint_key, ledger }
    }

    fn take(&self, request: &ChargeRequest<'_>) {
        use std::io::Write;
        let Some(path) = &self.ledger else { return };
        let key = &request.idempotency_key;
        let seen = std::fs::read_to_string(path).unwrap_or_default();
        if seen.lines().any(|line| line.split(' ').next() == Some(key.as_str())) {
            return;
        }
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| writeln!(file, "{key} {}", request.amount_minor).and_then(|()| file.sync_all()));
        if let Err(e) = written {
            tracing::error!(error = %e, "cannot write the test processor ledger");
        }
    }
}

impl CardProcessor for OfflineCardProcessor {
    fn charge(&self, request: &ChargeRequest<'_>) -> ChargeOutcome {
        let (card, today) = (request.card, request.today);
        if card::validate_expiry(card.exp_month, card.exp_year, today).is_err() {
            return ChargeOutcome::Declined { reason: "expired" };
        }
        if card::is_declined_test_fingerprint(&card.fingerprint, &self.fingerprint_key) {
            return ChargeOutcome::Declined { reason: "declined" };
        }
        self.take(request);
        ChargeOutcome::Approved { reference: format!("offline-{}", request.idempotency_key) }
    }

    /// Refunds go to valid, unexpired cards; the declined test numbers decline them too.
    fn refund(&self, request: &RefundRequest<'_>) -> ChargeOutcome {
        let (card, today) = (request.card, request.today);
        if card::validate_expiry(card.exp_month, card.exp_year, today).is_err() {
            return ChargeOutcome::Declined { reason: "expired" };
        }
        if card::is_declined_test_fingerprint(&card.fingerprint, &self.fingerprint_key) {
            return ChargeOutcome::Declined { reason: "declined" };
        }
        ChargeOutcome::Approved { reference: format!("offline-refund-{}", request.idempotency_key) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{APPROVED_TEST_NUMBERS, CardNumber, DECLINED_TEST_NUMBERS};

    fn attempt(number: &str, exp_year: i32) -> ChargeOutcome {
        let key = b"fingerprint-key".to_vec();
        let fingerprint = CardNumber::parse(number).expect("valid number").fingerprint(&key);
        let card = StoredCard { fingerprint, exp_month: 6, exp_year };
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
        OfflineCardProcessor::new(key).charge(&ChargeRequest {
            card: &card,
            amount_minor: 1000,
            currency: "USD",
            today,
            idempotency_key: "invoice-1".into(),
        })
    }

    #[test]
    fn r34_offline_processor_approves_valid_cards_and_declines_test_numbers_and_expired_cards() {
        for number in APPROVED_TEST_NUMBERS {
            assert!(matches!(attempt(number, 2030), ChargeOutcome::Approved { .. }), "{number}");
        }
        for number in DECLINED_TEST_NUMBERS {
            assert_eq!(attempt(number, 2030), ChargeOutcome::Declined { reason: "declined" }, "{number}");
        }
        assert_eq!(attempt(APPROVED_TEST_NUMBERS[0], 2025), ChargeOutcome::Declined { reason: "expired" });
    }
}
