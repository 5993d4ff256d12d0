//! Who is calling: tokens, passwords, and the `Actor` with its capabilities.

pub mod actor;
pub mod jwt;
pub mod password;
pub mod rate_limit;

pub use actor::{Actor, Caller, CurrentSession, OperatorActor, OrgActor, PartnerActor, PublisherActor};
