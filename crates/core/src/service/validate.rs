//! Parse, don't validate: turn client input into clean values or a
//! `VALIDATION_FAILED` naming the field.

use crate::error::{AppError, AppResult, Invalid};

/// Trimmed, non-empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::validation(field, Invalid::Required));
    }
    if value.chars().count() > max {
        return Err(AppError::validation(field, Invalid::TooLong { max }));
    }
    Ok(value.to_owned())
}

/// None for absent or blank input; otherwise like `required_text`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => required_text(field, v, max).map(Some),
    }
}

/// A plausible e-mail address, lower-cased.
pub fn email(field: &str, value: &str) -> AppResult<String> {
    let value = required_text(field, value, 254)?.to_lowercase();
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c == ',')
                && !domain.contains('@')
        }
        None => false,
    };
    if valid { Ok(value) } else { Err(AppError::validation(field, Invalid::BadFormat)) }
}

pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 128;

pub fn password(field: &str, value: &str) -> AppResult<String> {
    let length = value.chars().count();
    if length < MIN_PASSWORD {
        return Err(AppError::validation(
            field,
            Invalid::OutOfRange { min: MIN_PASSWORD as i64, max: MAX_PASSWORD as i64 },
        ));
    }
    if length > MAX_PASSWORD {
        return Err(AppError::validation(field, Invalid::TooLong { max: MAX_PASSWORD }));
    }
    Ok(value.to_owned())
}

/// An officially assigned ISO 3166-1 alpha-2 code, upper-cased ("ZZ" and
/// other user-assigned codes are refused; issue 24).
pub fn country(field: &str, value: &str) -> AppResult<String> {
    let value = value.trim().to_ascii_uppercase();
    if crate::domain::markets::is_iso_country(&value) {
        Ok(value)
    } else {
        Err(AppError::validation(field, Invalid::BadFormat))
    }
}

/// An absolute http(s) URL.
pub fn url(field: &str, value: &str) -> AppResult<String> {
    let value = required_text(field, value, 2048)?;
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.chars().any(char::is_whitespace) => {
            Ok(value)
        }
        _ => Err(AppError::validation(field, Invalid::BadFormat)),
    }
}

/// Escapes `%`, `_` and `\\` so a search box matches them literally (used with `ESCAPE '\\'`).
pub fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The one ID rule (issue 19): an object ID from a client. Anything that is
/// not a UUID cannot name an object, so it is NOT_FOUND like any other
/// unknown or foreign ID (R3) — on every query and mutation that takes one.
pub fn id(entity: crate::error::EntityKind, value: &str) -> AppResult<uuid::Uuid> {
    uuid::Uuid::parse_str(value.trim()).map_err(|_| AppError::NotFound { entity })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(required_text("name", "  Ada  ", 10).ok().as_deref(), Some("Ada"));
        assert!(matches!(
            required_text("name", "   ", 10),
            Err(AppError::Validation { reason: Invalid::Required, .. })
        ));
        assert!(matches!(
            required_text("name", "abcdefghijk", 10),
            Err(AppError::Validation { reason: Invalid::TooLong { max: 10 }, .. })
        ));
    }

    #[test]
    fn email_rules() {
        assert_eq!(email("email", "Ada@Example.COM").ok().as_deref(), Some("ada@example.com"));
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "a@b@c.com"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_and_country_rules() {
        assert!(url("portalUrl", "https://portal.example.com/setup").is_ok());
        assert!(url("portalUrl", "javascript:alert(1)").is_err());
        assert!(url("portalUrl", "https://").is_err());
        assert_eq!(country("country", "se").ok().as_deref(), Some("SE"));
        assert!(country("country", "SWE").is_err());
    }
}
