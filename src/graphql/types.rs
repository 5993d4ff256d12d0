//! Small output types shared by every area.

use async_graphql::SimpleObject;

use crate::domain::money::{self, Currency};

/// An exact amount: a decimal string in the currency's minor unit.
#[derive(SimpleObject, Debug, Clone)]
pub struct Money {
    /// e.g. "12.50" (USD) or "1500" (CLP).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Money {
        let amount = match Currency::parse(currency) {
            Some(c) => money::format_minor(amount_minor, c),
            None => amount_minor.to_string(),
        };
        Money { amount, currency: currency.to_owned() }
    }
}
