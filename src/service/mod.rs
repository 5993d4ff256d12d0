//! Business rules, one module per area. Every function takes the caller and
//! checks it against the object it touches (R1–R3); resolvers only translate.

pub mod audit;
pub mod identity;
pub mod settings;
pub mod validate;
