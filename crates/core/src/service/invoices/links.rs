//! Signed invoice PDF links: `Invoice.pdfUrl` returns a short-lived link
//! (`?expires=<unix seconds>&signature=<hex>`, an HMAC-SHA256 of the invoice
//! ID and the expiry under a key derived from the server secret), so a plain
//! browser can download the PDF without a token.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::service::invoices;

/// The key of signed PDF links, derived from the server secret.
pub fn link_key(server_secret: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(server_secret) else {
        return server_secret.to_vec();
    };
    mac.update(b"licensedesk invoice pdf link v1");
    mac.finalize().into_bytes().to_vec()
}

fn link_mac(key: &[u8], invoice_id: Uuid, expires: i64) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("invoice-pdf:{invoice_id}:{expires}").as_bytes());
    Some(mac)
}

/// The download path of an invoice with a signature valid until `expires`
/// (unix seconds).
pub fn signed_pdf_url(key: &[u8], invoice_id: Uuid, expires: i64) -> String {
    let signature =
        link_mac(key, invoice_id, expires).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default();
    format!("{}?expires={expires}&signature={signature}", invoices::pdf_path(invoice_id))
}

/// True when `signature` is this server's signature of the invoice and expiry
/// and `now` (unix seconds) is before the expiry. Compared in constant time.
pub fn verify_pdf_link(key: &[u8], invoice_id: Uuid, expires: i64, signature: &str, now: i64) -> bool {
    if now >= expires {
        return false;
    }
    let (Ok(signature), Some(mac)) = (hex::decode(signature), link_mac(key, invoice_id, expires)) else {
        return false;
    };
    mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_links_expire_and_resist_tampering() {
        let key = link_key(b"a server secret of some length, 32+");
        let id = Uuid::new_v4();
        let url = signed_pdf_url(&key, id, 1_000);
        let signature = url.rsplit_once("signature=").map(|(_, s)| s.to_owned()).unwrap_or_default();
        assert!(url.starts_with(&format!("/invoices/{id}.pdf?expires=1000&signature=")));
        assert!(verify_pdf_link(&key, id, 1_000, &signature, 999));
        assert!(!verify_pdf_link(&key, id, 1_000, &signature, 1_000), "expired");
        assert!(!verify_pdf_link(&key, id, 2_000, &signature, 999), "other expiry");
        assert!(!verify_pdf_link(&key, Uuid::new_v4(), 1_000, &signature, 999), "other invoice");
        assert!(!verify_pdf_link(&link_key(b"another secret"), id, 1_000, &signature, 999), "other key");
        assert!(!verify_pdf_link(&key, id, 1_000, "zz", 999));
    }
}
