//! SeaORM entities, one file per table. Money is integer minor units + currency (R7).

pub mod audit_event;
pub mod billing_profile;
pub mod billing_role_assignment;
pub mod billing_run;
pub mod charge;
pub mod credit_refund;
pub mod customer_agreement;
pub mod enums;
pub mod idempotency_key;
pub mod invoice;
pub mod invoice_line;
pub mod job_lease;
pub mod license_assignment;
pub mod organization;
pub mod payment_method;
pub mod product;
pub mod product_market;
pub mod product_price;
pub mod proposal;
pub mod proposal_line;
pub mod publisher;
pub mod self_service_policy;
pub mod server_setting;
pub mod subscription;
pub mod user;
pub mod user_role;
