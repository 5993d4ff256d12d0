//! Billing profiles, their roles and payment methods (R2, R28, R29).

mod inputs;
mod operations;
mod payment_methods;
mod profiles;

pub use inputs::*;
pub use operations::*;
pub use payment_methods::*;
pub use profiles::*;
