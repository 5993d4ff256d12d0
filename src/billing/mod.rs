//! Money leaving the organization: cards, the processor, invoice PDFs.

pub mod cards;
pub mod http;
pub mod processor;
pub mod run;
