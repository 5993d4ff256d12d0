//! R34: the card processor is behind one async interface with typed
//! outcomes: an approval carries the processor's reference, a decline its
//! reason as a `DeclineReason` — never a string to match. The built-in
//! offline processor approves valid, unexpired cards and declines the
//! documented test numbers (see `domain::card::DECLINED_TEST_NUMBERS`), with
//! no network.
//!
//! Every payment (pay now, the credit refund, the billing run's charge at
//! issue) calls it the same way: claim (committed) → call the processor with
//! the claim's idempotency key → record the outcome. A crash between the
//! claim and the record leaves the claim open; finishing it calls the
//! processor again with the same key, which a processor answers with the
//! first result, so money moves at most once.

use std::{future::Future, pin::Pin};

use chrono::NaiveDate;

use crate::domain::card;

/// What the processor sees of a stored card: never the number.
#[derive(Debug, Clone)]
pub struct StoredCard {
    pub fingerprint: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

/// Why the processor refused (R34).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineReason {
    /// The card's expiry date has passed.
    Expired,
    /// The issuer refused it (the declined test numbers).
    Refused,
}

impl DeclineReason {
    /// The word kept in audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::Expired => "expired",
            DeclineReason::Refused => "declined",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Approved { reference: String },
    Declined { reason: DeclineReason },
}

/// Whether money moves to or from the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Takes the amount from the card.
    Charge,
    /// Pays the amount back to the card (R44).
    Refund,
}

/// One request to the processor. `idempotency_key` names the payment (the
/// claim's key), so a real processor recognises a retry of the same payment
/// and does not move the money twice.
#[derive(Debug, Clone)]
pub struct PaymentRequest<'a> {
    pub direction: Direction,
    pub card: &'a StoredCard,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub today: NaiveDate,
    pub idempotency_key: String,
}

/// The future a processor call returns.
pub type ProcessorFuture<'a> = Pin<Box<dyn Future<Output = ChargeOutcome> + Send + 'a>>;

pub trait CardProcessor: Send + Sync {
    /// Charges or refunds the amount (see `PaymentRequest::direction`).
    /// Called outside any database transaction.
    fn process<'a>(&'a self, request: &'a PaymentRequest<'a>) -> ProcessorFuture<'a>;
}

pub struct OfflineCardProcessor {
    fingerprint_key: Vec<u8>,
    /// Test hook (`LICENSEDESK_TEST_PROCESSOR_LEDGER`): a file where each
    /// payment taken is appended as `<idempotency key> <amount>`, and where a
    /// key already present is answered like a real processor answers a retry:
    /// with the first result, not a second payment. It lets the process tests
    /// count charges and refunds across `kill -9` of the server.
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

    fn take(&self, request: &PaymentRequest<'_>) {
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

    /// The offline rules, the same both ways: valid, unexpired cards are
    /// approved; the declined test numbers are refused.
    fn decide(&self, request: &PaymentRequest<'_>) -> ChargeOutcome {
        let (card, today) = (request.card, request.today);
        if card::validate_expiry(card.exp_month, card.exp_year, today).is_err() {
            return ChargeOutcome::Declined { reason: DeclineReason::Expired };
        }
        if card::is_declined_test_fingerprint(&card.fingerprint, &self.fingerprint_key) {
            return ChargeOutcome::Declined { reason: DeclineReason::Refused };
        }
        self.take(request);
        let reference = match request.direction {
            Direction::Charge => format!("offline-{}", request.idempotency_key),
            Direction::Refund => format!("offline-refund-{}", request.idempotency_key),
        };
        ChargeOutcome::Approved { reference }
    }
}

impl CardProcessor for OfflineCardProcessor {
    fn process<'a>(&'a self, request: &'a PaymentRequest<'a>) -> ProcessorFuture<'a> {
        Box::pin(async move { self.decide(request) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{APPROVED_TEST_NUMBERS, CardNumber, DECLINED_TEST_NUMBERS};

    async fn attempt(direction: Direction, number: &str, exp_year: i32) -> ChargeOutcome {
        let key = b"fingerprint-key".to_vec();
        let fingerprint = CardNumber::parse(number).expect("valid number").fingerprint(&key);
        let card = StoredCard { fingerprint, exp_month: 6, exp_year };
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).expect("date");
        let request = PaymentRequest {
            direction,
            card: &card,
            amount_minor: 1000,
            currency: "USD",
            today,
            idempotency_key: "invoice-1".into(),
        };
        OfflineCardProcessor::new(key).process(&request).await
    }

    #[tokio::test]
    async fn r34_offline_processor_approves_valid_cards_and_declines_test_numbers_and_expired_cards() {
        for direction in [Direction::Charge, Direction::Refund] {
            for number in APPROVED_TEST_NUMBERS {
                assert!(matches!(attempt(direction, number, 2030).await, ChargeOutcome::Approved { .. }), "{number}");
            }
            for number in DECLINED_TEST_NUMBERS {
                assert_eq!(
                    attempt(direction, number, 2030).await,
                    ChargeOutcome::Declined { reason: DeclineReason::Refused },
                    "{number}"
                );
            }
            assert_eq!(
                attempt(direction, APPROVED_TEST_NUMBERS[0], 2025).await,
                ChargeOutcome::Declined { reason: DeclineReason::Expired }
            );
        }
    }
}
