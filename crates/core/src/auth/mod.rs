//! Who is calling: tokens, passwords, and the `Actor` with its capabilities.

pub mod actor;
pub mod jwt;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod sealing;

pub use actor::{Actor, Caller, CurrentSession, OperatorActor, OrgActor, PartnerActor, PublisherActor};
