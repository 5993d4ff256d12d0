//! OpenID Connect, the protocol side (R48): the provider's metadata and
//! keys, what the server asks of the network (the [`ProviderHttp`] the
//! server implements over HTTP), PKCE, and the verification of an ID token
//! against the provider's keys: signature (RS256 or ES256), `iss`, `aud`
//! (and `azp` when there are several audiences), `exp`, `iat` and `nonce`.

use std::{future::Future, pin::Pin, sync::Arc};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
pub use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind, jwk::KeyAlgorithm};
use serde::Deserialize;

use crate::error::AppResult;

/// What `/.well-known/openid-configuration` says (the fields used here).
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// The token endpoint's answer (the fields used here).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenAnswer {
    pub id_token: Option<String>,
}

/// An authorization-code exchange (RFC 6749 §4.1.3 with PKCE, RFC 7636).
pub struct CodeExchange<'a> {
    pub token_endpoint: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
}

pub type HttpFuture<'a, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'a>>;

/// What single sign-on needs from the network; the server implements it
/// over HTTP (with caches), the core decides what to do with the answers.
/// A provider that cannot be reached or answers nonsense is an `Internal`
/// error whose cause is logged.
pub trait ProviderHttp: Send + Sync {
    /// The provider's metadata from `{issuer}/.well-known/openid-configuration`.
    fn metadata<'a>(&'a self, issuer: &'a str) -> HttpFuture<'a, Arc<ProviderMetadata>>;
    /// The provider's signing keys; `refresh` fetches them again instead of
    /// answering from the cache (a token names a key the cache lacks).
    fn keys<'a>(&'a self, jwks_uri: &'a str, refresh: bool) -> HttpFuture<'a, Arc<JwkSet>>;
    /// Exchanges an authorization code at the token endpoint.
    fn exchange<'a>(&'a self, request: CodeExchange<'a>) -> HttpFuture<'a, TokenAnswer>;
}

/// The keys of a JWKS document that can be read; others (keys for
/// encryption, algorithms not known here) are left out instead of failing
/// the whole set.
pub fn key_set(document: &serde_json::Value) -> JwkSet {
    let keys = document
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .map(|keys| keys.iter().filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok()).collect())
        .unwrap_or_default();
    JwkSet { keys }
}

/// A random URL-safe value of 32 bytes (state, nonce, PKCE verifier, exchange code).
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(super::random_bytes::<32>())
}

/// The PKCE S256 challenge of `verifier`: BASE64URL(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// The claims of a verified ID token that sign-in uses.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    /// Absent when the provider does not say.
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    aud: Audience,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    // Before `One`: an untagged `IgnoredAny` would take an array too.
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

/// Why an ID token was refused (logged; the client is told ID_TOKEN_INVALID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenError {
    /// The header names no key the provider publishes (after refetching).
    UnknownKey,
    /// An algorithm other than RS256 and ES256, or one the key is not for.
    Algorithm,
    Signature,
    Issuer,
    Audience,
    Expired,
    Nonce,
    Malformed(String),
}

/// Verifies `token` against the provider's `keys`: the algorithm is RS256
/// or ES256 and agrees with the key, the signature holds, `iss` is
/// `issuer`, `aud` holds `client_id` (and `azp` is it when there are several
/// audiences), `exp` is in the future and `iat` present (60 s of clock
/// skew), and `nonce` is the one this sign-in sent.
pub fn verify_id_token(
    token: &str,
    keys: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<IdClaims, IdTokenError> {
    super::jwt::install_provider();
    let header = decode_header(token).map_err(|e| IdTokenError::Malformed(e.to_string()))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(IdTokenError::Algorithm);
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        // Without a `kid`, the provider must publish exactly one key.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(IdTokenError::UnknownKey)?;
    if let Some(alg) = jwk.common.key_algorithm
        && !matches!(
            (alg, header.alg),
            (KeyAlgorithm::RS256, Algorithm::RS256) | (KeyAlgorithm::ES256, Algorithm::ES256)
        )
    {
        return Err(IdTokenError::Algorithm);
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| IdTokenError::Algorithm)?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    validation.leeway = 60;
    let data = decode::<IdClaims>(token, &key, &validation).map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => IdTokenError::Signature,
        ErrorKind::InvalidIssuer => IdTokenError::Issuer,
        ErrorKind::InvalidAudience => IdTokenError::Audience,
        ErrorKind::ExpiredSignature => IdTokenError::Expired,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => IdTokenError::Algorithm,
        _ => IdTokenError::Malformed(e.to_string()),
    })?;
    let claims = data.claims;
    // OpenID Connect Core §3.1.3.7: with several audiences, azp must be us.
    if let Audience::Many(many) = &claims.aud
        && many.len() > 1
        && claims.azp.as_deref() != Some(client_id)
    {
        return Err(IdTokenError::Audience);
    }
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(IdTokenError::Nonce);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r48_pkce_challenge_is_rfc_7636_s256() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn r48_a_key_set_keeps_the_keys_it_can_read() {
        let document = serde_json::json!({"keys": [
            {"kty": "future-kind", "kid": "x"},
            {"kty": "RSA", "kid": "r1", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"},
            "not a key"
        ]});
        let keys = key_set(&document);
        assert_eq!(keys.keys.len(), 1);
        assert!(keys.find("r1").is_some());
        assert!(key_set(&serde_json::json!({"nothing": []})).keys.is_empty());
    }

    /// A token signed with ES256 by `ring`, and the JWK of its key.
    fn es256_token(claims: serde_json::Value) -> (String, JwkSet) {
        use ring::{rand::SystemRandom, signature as sig};
        let rng = SystemRandom::new();
        let pkcs8 = sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair =
            sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("pair");
        use ring::signature::KeyPair;
        let point = pair.public_key().as_ref();
        let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..33]), URL_SAFE_NO_PAD.encode(&point[33..65]));
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{header}.{body}");
        let signature = pair.sign(&rng, input.as_bytes()).expect("sign");
        let jwks: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": "k1", "alg": "ES256", "use": "sig"}
        ]}))
        .expect("jwks");
        (format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())), jwks)
    }

    fn claims(aud: serde_json::Value, exp_in: i64, nonce: &str) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({"iss": "https://idp.example", "sub": "u1", "aud": aud, "iat": now, "exp": now + exp_in,
            "nonce": nonce, "email": "ada@example.com", "email_verified": true})
    }

    #[test]
    fn r48_id_tokens_are_checked_for_signature_issuer_audience_expiry_and_nonce() {
        let verify = |token: &str, keys: &JwkSet| verify_id_token(token, keys, "https://idp.example", "client", "n1");
        let (good, keys) = es256_token(claims(serde_json::json!("client"), 300, "n1"));
        let verified = verify(&good, &keys).expect("a good token");
        assert_eq!(verified.email.as_deref(), Some("ada@example.com"));
        let (other_aud, keys2) = es256_token(claims(serde_json::json!("someone-else"), 300, "n1"));
        assert_eq!(verify(&other_aud, &keys2).err(), Some(IdTokenError::Audience));
        let (expired, keys3) = es256_token(claims(serde_json::json!("client"), -3600, "n1"));
        assert_eq!(verify(&expired, &keys3).err(), Some(IdTokenError::Expired));
        let (wrong_nonce, keys4) = es256_token(claims(serde_json::json!("client"), 300, "n2"));
        assert_eq!(verify(&wrong_nonce, &keys4).err(), Some(IdTokenError::Nonce));
        let (many, keys5) = es256_token(claims(serde_json::json!(["client", "other"]), 300, "n1"));
        assert_eq!(verify(&many, &keys5).err(), Some(IdTokenError::Audience), "several audiences without azp");
        assert_eq!(verify(&good, &keys2).err(), Some(IdTokenError::Signature), "another key with the same kid");
        assert_eq!(
            verify_id_token(&good, &keys, "https://other.example", "client", "n1").err(),
            Some(IdTokenError::Issuer)
        );
        // alg none and HS256 (a provider's public key used as an HMAC secret) are refused.
        let body = good.split('.').nth(1).unwrap_or_default();
        for alg in ["none", "HS256"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","kid":"k1"}}"#));
            assert!(verify(&format!("{header}.{body}."), &keys).is_err(), "{alg}");
        }
        let unknown = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":"k9"}"#);
        let sig = good.split('.').nth(2).unwrap_or_default();
        assert_eq!(verify(&format!("{unknown}.{body}.{sig}"), &keys).err(), Some(IdTokenError::UnknownKey));
    }
}
