//! Keys for card fingerprints (R29).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A key for card fingerprints, derived from the server secret with a label so
/// it is never the token-signing key itself.
pub fn fingerprint_key(server_secret: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(server_secret) else {
        return server_secret.to_vec();
    };
    mac.update(b"licensedesk card fingerprint v1");
    mac.finalize().into_bytes().to_vec()
}
