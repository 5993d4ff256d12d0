//! Who is calling: tokens, passwords, and the `Actor` with its capabilities.

pub mod actor;
pub mod jwt;
pub mod oauth;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod scope;
pub mod sealing;

/// `N` bytes from a cryptographically secure generator (the thread-local
/// ChaCha generator seeded from the OS): the one source of every token,
/// secret and salt the server makes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand::RngCore;
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// What the database keeps of a bearer secret the server handed out
/// (refresh, SCIM, API client and purchase tokens, sign-in states): its
/// SHA-256 in hex. The secret itself is never stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

pub use actor::{
    Actor, Caller, CurrentSession, OperatorActor, OrgActor, PartnerActor, PortalActor, PublisherActor,
    PublisherAppActor,
};
pub use scope::{Scope, Scopes};
