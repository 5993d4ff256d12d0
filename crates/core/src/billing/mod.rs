//! Money that moves, below the services: the card processor behind a trait,
//! cards on file, invoice numbers. The billing run that uses them is
//! `service::billing_run`.

pub mod cards;
pub mod numbers;
pub mod processor;
