//! Secrets kept at rest only encrypted (R48: an OIDC client secret):
//! ChaCha20-Poly1305 (`ring::aead`) under a key derived from the server
//! secret, a fresh random nonce per sealing, and the owner's ID as associated
//! data so a sealed value copied to another row does not open there.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;

/// The version tag of the stored form `v1:<base64(nonce ‖ ciphertext ‖ tag)>`.
const VERSION: &str = "v1:";

/// A key for sealing secrets, derived from the server secret for one purpose.
#[derive(Clone)]
pub struct SealingKey(LessSafeKey);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// HMAC-SHA256(server secret, purpose): a 32-byte key of its own per purpose.
    pub fn derive(server_secret: &[u8], purpose: &str) -> Self {
        let bytes = match Hmac::<Sha256>::new_from_slice(server_secret) {
            Ok(mut mac) => {
                mac.update(b"licensedesk sealing v1: ");
                mac.update(purpose.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            // HMAC takes keys of any length; this cannot happen.
            Err(_) => vec![0; 32],
        };
        // 32 bytes is ChaCha20-Poly1305's key length: `new` cannot fail.
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, &bytes).unwrap_or_else(|_| unreachable!("32-byte key"));
        SealingKey(LessSafeKey::new(unbound))
    }

    /// Encrypts `plain` for the row `owner`; the stored text.
    pub fn seal(&self, owner: &[u8], plain: &str) -> String {
        let nonce = super::random_bytes::<NONCE_LEN>();
        let mut buffer = plain.as_bytes().to_vec();
        // Only fails for inputs longer than ChaCha20 allows (256 GiB).
        if self.0.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner), &mut buffer).is_err()
        {
            buffer.clear();
        }
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&buffer);
        format!("{VERSION}{}", STANDARD.encode(stored))
    }

    /// Decrypts what [`seal`](Self::seal) stored for `owner`; None when it was
    /// tampered with, sealed for another row or under another server secret.
    pub fn open(&self, owner: &[u8], stored: &str) -> Option<String> {
        let bytes = STANDARD.decode(stored.strip_prefix(VERSION)?).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = sealed.to_vec();
        let plain = self.0.open_in_place(nonce, Aad::from(owner), &mut buffer).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r48_sealed_secrets_open_only_for_their_row_and_key() {
        let key = SealingKey::derive(b"0123456789abcdef0123456789abcdef", "oidc client secret");
        let sealed = key.seal(b"org-1", "s3cret-value");
        assert!(!sealed.contains("s3cret"), "{sealed}");
        assert_ne!(sealed, key.seal(b"org-1", "s3cret-value"), "a fresh nonce each time");
        assert_eq!(key.open(b"org-1", &sealed).as_deref(), Some("s3cret-value"));
        assert_eq!(key.open(b"org-2", &sealed), None, "another row's associated data");
        let other = SealingKey::derive(b"another-secret-another-secret-xx", "oidc client secret");
        assert_eq!(other.open(b"org-1", &sealed), None, "another server secret");
        let purpose = SealingKey::derive(b"0123456789abcdef0123456789abcdef", "something else");
        assert_eq!(purpose.open(b"org-1", &sealed), None, "another purpose");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open(b"org-1", &tampered), None, "tampered");
    }
}
