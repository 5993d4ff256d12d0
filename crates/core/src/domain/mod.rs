//! Value types that parse and validate: cards, markets, money, terms, the seller.

pub mod card;
pub mod markets;
pub mod money;
pub mod seller;
pub mod terms;
