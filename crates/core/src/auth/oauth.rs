//! R50: the OAuth 2.0 token endpoint's refusals (RFC 6749 §5.2). They are
//! not SPEC §10 errors: OAuth clients expect these codes in this shape, so
//! the token endpoint answers `{"error": code, "error_description": …}`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthRefusal {
    /// A parameter is missing, repeated or malformed.
    InvalidRequest,
    /// Unknown client, wrong secret, or a revoked client (HTTP 401).
    InvalidClient,
    /// A code, verifier or refresh token that is unknown, used, expired or not this client's.
    InvalidGrant,
    /// A scope the client may not ask for.
    InvalidScope,
    /// A grant type this endpoint does not serve.
    UnsupportedGrantType,
}

impl OAuthRefusal {
    pub fn code(self) -> &'static str {
        match self {
            OAuthRefusal::InvalidRequest => "invalid_request",
            OAuthRefusal::InvalidClient => "invalid_client",
            OAuthRefusal::InvalidGrant => "invalid_grant",
            OAuthRefusal::InvalidScope => "invalid_scope",
            OAuthRefusal::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    /// A short English description (OAuth's `error_description` is for developers).
    pub fn description(self) -> &'static str {
        match self {
            OAuthRefusal::InvalidRequest => "The request is missing a parameter or has a malformed one.",
            OAuthRefusal::InvalidClient => {
                "Client authentication failed (unknown client, wrong secret or revoked client)."
            }
            OAuthRefusal::InvalidGrant => "The grant is invalid, expired, already used or issued to another client.",
            OAuthRefusal::InvalidScope => "The requested scope is unknown or not allowed for this client.",
            OAuthRefusal::UnsupportedGrantType => "This grant type is not supported here.",
        }
    }
}
