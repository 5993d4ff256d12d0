//! Buying, the subscription lifecycle and licenses (SPEC §3–5, §8).

mod licenses;
mod mutation;
pub(crate) mod objects;
mod query;

pub use licenses::*;
pub use mutation::*;
pub use objects::*;
pub use query::*;
