//! Value types that parse and validate: cards, event types, markets, money, terms, the seller.

pub mod card;
pub mod events;
pub mod markets;
pub mod money;
pub mod notices;
pub mod seller;
pub mod terms;
