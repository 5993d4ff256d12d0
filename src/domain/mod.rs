pub mod card;
pub mod markets;
pub mod money;
pub mod terms;
