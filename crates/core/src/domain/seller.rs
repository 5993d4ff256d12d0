//! Who sells: the block printed at the top of every invoice, configured by the operator.

/// The seller block of invoices.
#[derive(Debug, Clone, Default)]
pub struct Seller {
    pub name: String,
    pub address: Vec<String>,
    pub tax_id: Option<String>,
}
