//! HS256 access tokens. The algorithm is pinned and every claim we rely on
//! (`exp`, `iat`, `iss`, `aud`, `sub`, and `sid`, the session the token
//! belongs to, R47) is required and checked.

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

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
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
}
