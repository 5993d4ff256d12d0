//! HS256 access tokens. The algorithm is pinned and every claim we rely on
//! (`exp`, `iat`, `iss`, `aud`, `sub`, and `sid`, the session the token
//! belongs to, R47) is required and checked.
//!
//! `jsonwebtoken` is built without a crypto backend (issue 24 item 5): its
//! `rust_crypto` backend compiles in RSA (`rsa` 0.9, RUSTSEC-2023-0071),
//! P-256/384 and Ed25519. [`PROVIDER`] is a `CryptoProvider` that signs
//! HS256 alone (on `hmac` + `sha2`) and verifies HS256 plus, for the ID
//! tokens of single sign-on (R48), RS256 and ES256 on `ring` (already here
//! for rustls): verification only, no RSA private-key code. Any other
//! algorithm is refused as `InvalidAlgorithm`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ISSUER: &str = "licensedesk";
pub const AUDIENCE: &str = "licensedesk-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The session (R47): the token works only while it is not ended.
    pub sid: String,
}

/// What a valid access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessToken {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// Unix seconds.
    pub expires_at: i64,
}

mod provider {
    use hmac::{Hmac, Mac};
    use jsonwebtoken::{
        Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, EncodingKey,
        crypto::{CryptoProvider, JwkUtils, JwtSigner, JwtVerifier},
        errors::{ErrorKind, Result},
        signature::{self, Signer, Verifier},
    };
    use sha2::Sha256;

    type HmacSha256 = Hmac<Sha256>;

    pub struct Hs256(HmacSha256);

    fn hs256(secret: &[u8]) -> Result<Hs256> {
        Ok(Hs256(HmacSha256::new_from_slice(secret).map_err(|_| ErrorKind::InvalidKeyFormat)?))
    }

    impl Signer<Vec<u8>> for Hs256 {
        fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
            let mut mac = self.0.clone();
            mac.update(msg);
            Ok(mac.finalize().into_bytes().to_vec())
        }
    }

    impl JwtSigner for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    impl Verifier<Vec<u8>> for Hs256 {
        fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
            let mut mac = self.0.clone();
            mac.update(msg);
            // Constant-time comparison (hmac's verify_slice).
            mac.verify_slice(signature).map_err(signature::Error::from_source)
        }
    }

    impl JwtVerifier for Hs256 {
        fn algorithm(&self) -> Algorithm {
            Algorithm::HS256
        }
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 to 8192 bits) or
    /// ES256 (ECDSA P-256 with SHA-256) public-key verification on `ring`.
    pub struct PublicKey {
        algorithm: Algorithm,
        key: DecodingKey,
    }

    impl Verifier<Vec<u8>> for PublicKey {
        fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
            use ring::signature as ring_sig;
            let verified = match (self.algorithm, self.key.kind()) {
                (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => {
                    ring_sig::RsaPublicKeyComponents { n, e }.verify(
                        &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                        msg,
                        signature,
                    )
                }
                (Algorithm::RS256, DecodingKeyKind::SecretOrDer(der)) => {
                    ring_sig::UnparsedPublicKey::new(&ring_sig::RSA_PKCS1_2048_8192_SHA256, der).verify(msg, signature)
                }
                // From a JWK's x and y: the uncompressed point (0x04 ‖ x ‖ y).
                (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => {
                    ring_sig::UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_FIXED, point).verify(msg, signature)
                }
                _ => return Err(signature::Error::new()),
            };
            verified.map_err(|_| signature::Error::new())
        }
    }

    impl JwtVerifier for PublicKey {
        fn algorithm(&self) -> Algorithm {
            self.algorithm
        }
    }

    fn public_key(algorithm: Algorithm, family: AlgorithmFamily, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
        if key.family() != family {
            return Err(ErrorKind::InvalidKeyFormat.into());
        }
        Ok(Box::new(PublicKey { algorithm, key: key.clone() }))
    }

    fn signer(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
        match algorithm {
            Algorithm::HS256 => Ok(Box::new(hs256(key.try_get_hmac_secret()?)?)),
            _ => Err(ErrorKind::InvalidAlgorithm.into()),
        }
    }

    fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
        match algorithm {
            Algorithm::HS256 => Ok(Box::new(hs256(key.try_get_hmac_secret()?)?)),
            Algorithm::RS256 => public_key(Algorithm::RS256, AlgorithmFamily::Rsa, key),
            Algorithm::ES256 => public_key(Algorithm::ES256, AlgorithmFamily::Ec, key),
            _ => Err(ErrorKind::InvalidAlgorithm.into()),
        }
    }

    /// Signs HS256 and nothing else; verifies HS256, RS256 and ES256. No
    /// JWK utilities (thumbprints, keys from private DER): none is used.
    pub static PROVIDER: CryptoProvider =
        CryptoProvider { signer_factory: signer, verifier_factory: verifier, jwk_utils: JwkUtils::new_unimplemented() };
}

pub use provider::PROVIDER;

/// Installs [`PROVIDER`] as jsonwebtoken's provider (once per process;
/// later calls find it installed).
pub(crate) fn install_provider() {
    let _ = PROVIDER.install_default();
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        install_provider();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // `sid` is required by `Claims` itself: a token without it does not decode.
        validation.leeway = 5;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// Issues a token for `user_id` in `session_id`; returns the token and its expiry (unix seconds).
    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now_unix: i64,
    ) -> Result<(String, i64), jsonwebtoken::errors::Error> {
        let exp = now_unix + self.ttl_seconds;
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now_unix,
            exp,
            sid: session_id.to_string(),
        };
        Ok((encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?, exp))
    }

    /// What a valid token says, or None for anything forged, expired or malformed.
    pub fn verify(&self, token: &str) -> Option<AccessToken> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some(AccessToken {
            user_id: Uuid::parse_str(&data.claims.sub).ok()?,
            session_id: Uuid::parse_str(&data.claims.sid).ok()?,
            expires_at: data.claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn round_trip() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 600);
        let user = Uuid::new_v4();
        let session = Uuid::new_v4();
        let (token, exp) = keys.issue(user, session, now()).expect("issue");
        assert_eq!(keys.verify(&token), Some(AccessToken { user_id: user, session_id: session, expires_at: exp }));
    }

    #[test]
    fn rejects_expired_forged_and_alg_none() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", 600);
        let other = JwtKeys::new(b"another-secret-another-secret-xx", 600);
        let user = Uuid::new_v4();
        let (expired, _) = keys.issue(user, Uuid::new_v4(), now() - 3600).expect("issue");
        assert_eq!(keys.verify(&expired), None, "expired token accepted");
        let (forged, _) = other.issue(user, Uuid::new_v4(), now()).expect("issue");
        assert_eq!(keys.verify(&forged), None, "token signed with another key accepted");
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = engine.encode(format!(
            r#"{{"sub":"{user}","iss":"{ISSUER}","aud":"{AUDIENCE}","iat":{},"exp":{},"sid":"{user}"}}"#,
            now(),
            now() + 600
        ));
        assert_eq!(keys.verify(&format!("{header}.{body}.")), None, "alg none accepted");
    }

    #[test]
    fn rejects_missing_claims_and_wrong_audience() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = JwtKeys::new(secret, 600);
        let key = EncodingKey::from_secret(secret);
        let no_iat = serde_json::json!({"sub": Uuid::new_v4().to_string(), "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "sid": Uuid::new_v4().to_string()});
        let token = encode(&Header::new(Algorithm::HS256), &no_iat, &key).expect("encode");
        assert_eq!(keys.verify(&token), None, "token without iat accepted");
        let wrong_aud = serde_json::json!({"sub": Uuid::new_v4().to_string(), "iss": ISSUER, "aud": "other", "iat": now(), "exp": now() + 600, "sid": Uuid::new_v4().to_string()});
        let token = encode(&Header::new(Algorithm::HS256), &wrong_aud, &key).expect("encode");
        assert_eq!(keys.verify(&token), None, "token for another audience accepted");
        let no_session = serde_json::json!({"sub": Uuid::new_v4().to_string(), "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600});
        let token = encode(&Header::new(Algorithm::HS256), &no_session, &key).expect("encode");
        assert_eq!(keys.verify(&token), None, "token without a session accepted (R47)");
    }

    #[test]
    fn issue_24_the_hmac_only_provider_signs_hs256_and_nothing_else() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = JwtKeys::new(secret, 600);
        let claims = serde_json::json!({"sub": Uuid::new_v4().to_string(), "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600});
        let key = EncodingKey::from_secret(secret);
        // HS384/HS512 (and RS256 etc.) have no signer in this build.
        for alg in [Algorithm::HS384, Algorithm::HS512, Algorithm::RS256] {
            assert!(encode(&Header::new(alg), &claims, &key).is_err(), "{alg:?} signed");
        }
        // A token whose header claims another algorithm is refused even with our key's MAC.
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (good, _) = keys.issue(Uuid::new_v4(), Uuid::new_v4(), now()).expect("issue");
        let mut parts = good.split('.');
        let (_, body, sig) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let rs = engine.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        assert_eq!(keys.verify(&format!("{rs}.{body}.{sig}")), None);
        // The HS256 signature is the standard one: HMAC-SHA256 over "header.body".
        use hmac::Mac;
        let (header, body, sig) = {
            let mut p = good.split('.');
            (p.next().unwrap_or(""), p.next().unwrap_or(""), p.next().unwrap_or(""))
        };
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
        mac.update(format!("{header}.{body}").as_bytes());
        assert_eq!(engine.encode(mac.finalize().into_bytes()), sig);
    }
}
