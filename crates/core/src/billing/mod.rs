//! Money that moves: the card processor behind a trait, cards on file,
//! invoice numbers, signed PDF links, and the billing run (R33) that issues,
//! charges and renews as of a date.

pub mod cards;
pub mod numbers;
pub mod pdf_links;
pub mod processor;
pub mod run;
