//! How invoice numbers are shown (R31): used by invoices and the credit
//! balance alike, so neither imports the other for it.

/// The number as people read it: "LD-000042".
pub fn display_number(number: i64) -> String {
    format!("LD-{number:06}")
}
