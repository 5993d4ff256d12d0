//! Who is calling: tokens, passwords, and the `Actor` with its capabilities.

pub mod actor;
pub mod jwt;
pub mod oauth;
pub mod password;
pub mod rate_limit;
pub mod scope;

pub use actor::{
    Actor, Caller, CurrentSession, OperatorActor, OrgActor, PartnerActor, PublisherActor, PublisherAppActor,
};
pub use scope::{Scope, Scopes};
