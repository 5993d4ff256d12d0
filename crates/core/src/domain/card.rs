//! R29 card validation. The full number and security code are never stored
//! or logged: `CardNumber` has no `Display` and its `Debug` shows only the
//! last four digits; persistence keeps last4, brand and a keyed fingerprint.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Test numbers the offline processor always declines (all Luhn-valid).
pub const DECLINED_TEST_NUMBERS: &[&str] = &["4000000000000002", "4000000000009995", "5105105105105100"];

/// Test numbers the offline processor approves (all Luhn-valid).
#[cfg(test)]
pub const APPROVED_TEST_NUMBERS: &[&str] = &["4242424242424242", "5555555555554444", "378282246310005"];

/// Validation failures. Messages never contain card data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardError {
    /// Not 12–19 digits after removing spaces/dashes, or fails Luhn.
    Number,
    /// Security code is not 3–4 digits.
    SecurityCode,
    /// Expiry month not 1–12, or expiry year implausibly far in the future.
    ExpiryMonth,
    /// Expiry month is before the current month.
    Expired,
}

impl fmt::Display for CardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardError::Number => "card number is invalid",
            CardError::SecurityCode => "security code must be 3 or 4 digits",
            CardError::ExpiryMonth => "card expiry date is invalid",
            CardError::Expired => "card has expired",
        })
    }
}

impl std::error::Error for CardError {}

/// Card network, detected from the IIN prefix.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    DinersClub,
    Jcb,
    Unknown,
}

impl CardBrand {
    pub const ALL: [CardBrand; 7] = [
        CardBrand::Visa,
        CardBrand::Mastercard,
        CardBrand::Amex,
        CardBrand::Discover,
        CardBrand::DinersClub,
        CardBrand::Jcb,
        CardBrand::Unknown,
    ];

    /// Stable storage code; identical to the GraphQL enum value name.
    pub fn code(self) -> &'static str {
        match self {
            CardBrand::Visa => "VISA",
            CardBrand::Mastercard => "MASTERCARD",
            CardBrand::Amex => "AMEX",
            CardBrand::Discover => "DISCOVER",
            CardBrand::DinersClub => "DINERS_CLUB",
            CardBrand::Jcb => "JCB",
            CardBrand::Unknown => "UNKNOWN",
        }
    }

    /// Inverse of [`CardBrand::code`]; exact match only.
    pub fn from_code(code: &str) -> Option<CardBrand> {
        CardBrand::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// A syntactically valid (12–19 digits, Luhn) card number, digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl fmt::Debug for CardNumber {
    // R29: never print the full number, even in debug logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(****{})", self.last4())
    }
}

impl CardNumber {
    /// Strips spaces and dashes, then requires 12–19 ASCII digits passing Luhn.
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let digits: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::Number);
        }
        if !luhn_valid(&digits) {
            return Err(CardError::Number);
        }
        Ok(CardNumber(digits))
    }

    /// Last four digits (the only part that may be stored or shown).
    pub fn last4(&self) -> String {
        // ASCII digits and len ≥ 12, so byte slicing is safe.
        self.0[self.0.len().saturating_sub(4)..].to_string()
    }

    /// Brand by IIN prefix.
    pub fn brand(&self) -> CardBrand {
        brand_for_digits(&self.0)
    }

    /// Lower-case hex HMAC-SHA256 of the digits under `key`; lets us detect
    /// the same card again without storing the number.
    pub fn fingerprint(&self, key: &[u8]) -> String {
        fingerprint_digits(&self.0, key)
    }

    /// The full digits, only for handing to the payment processor. Never
    /// store or log the result.
    #[cfg(test)]
    pub fn digits(&self) -> &str {
        &self.0
    }
}

fn fingerprint_digits(digits: &str, key: &[u8]) -> String {
    // HMAC accepts keys of any length (RFC 2104), so this never fails; the
    // empty fallback can never equal a real 64-hex-digit fingerprint.
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return String::new();
    };
    mac.update(digits.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Luhn (mod 10) check over ASCII digits.
fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Numeric value of the first `n` digits (callers guarantee ≥ 12 digits).
fn prefix(digits: &str, n: usize) -> u32 {
    digits.bytes().take(n).fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

fn brand_for_digits(digits: &str) -> CardBrand {
    let p1 = prefix(digits, 1);
    let p2 = prefix(digits, 2);
    let p3 = prefix(digits, 3);
    let p4 = prefix(digits, 4);
    if p1 == 4 {
        CardBrand::Visa
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        CardBrand::Mastercard
    } else if p2 == 34 || p2 == 37 {
        CardBrand::Amex
    } else if p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) {
        CardBrand::Discover
    } else if (3528..=3589).contains(&p4) {
        CardBrand::Jcb
    } else if p2 == 36 || p2 == 38 || (300..=305).contains(&p3) {
        CardBrand::DinersClub
    } else {
        CardBrand::Unknown
    }
}

/// Security code (CVC/CVV/CID): 3–4 ASCII digits. Never store it (R29).
pub fn validate_security_code(code: &str) -> Result<(), CardError> {
    if (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CardError::SecurityCode)
    }
}

/// Expiry check. `year` is a four-digit year. The card is valid through the
/// last day of its expiry month, so it is expired only when
/// (year, month) < (today.year, today.month). Years more than 20 years ahead
/// are rejected as implausible (reported as `ExpiryMonth`, i.e. bad date).
pub fn validate_expiry(month: u32, year: i32, today: NaiveDate) -> Result<(), CardError> {
    if !(1..=12).contains(&month) {
        return Err(CardError::ExpiryMonth);
    }
    if year > today.year().saturating_add(20) {
        return Err(CardError::ExpiryMonth);
    }
    if (year, month) < (today.year(), today.month()) {
        return Err(CardError::Expired);
    }
    Ok(())
}

/// True when `fingerprint` is the fingerprint (under `key`) of one of
/// [`DECLINED_TEST_NUMBERS`]; the offline processor only sees fingerprints.
pub fn is_declined_test_fingerprint(fingerprint: &str, key: &[u8]) -> bool {
    !fingerprint.is_empty()
        && DECLINED_TEST_NUMBERS.iter().any(|n| fingerprint_digits(n, key).eq_ignore_ascii_case(fingerprint))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-fingerprint-key";

    fn card(s: &str) -> CardNumber {
        match CardNumber::parse(s) {
            Ok(c) => c,
            Err(e) => panic!("test card {s} rejected: {e}"),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, day) {
            Some(date) => date,
            None => panic!("bad test date"),
        }
    }

    #[test]
    fn test_numbers_are_luhn_valid() {
        for n in DECLINED_TEST_NUMBERS.iter().chain(APPROVED_TEST_NUMBERS) {
            assert!(luhn_valid(n), "{n}");
            assert_eq!(card(n).digits(), *n);
        }
    }

    #[test]
    fn parse_strips_spaces_and_dashes() {
        let c = card("4242 4242-4242 4242");
        assert_eq!(c.digits(), "4242424242424242");
        assert_eq!(c.last4(), "4242");
        assert_eq!(card(" 3782-822463-10005 ").digits(), "378282246310005");
    }

    #[test]
    fn parse_rejects() {
        for bad in [
            "",
            "4242424242424241",                 // Luhn
            "4242\t4242424242424242",           // tab not stripped
            "4242.4242.4242.4242",              // dots
            "424242424242424a",                 // letter
            "42424242424",                      // 11 digits
            "42424242424242424242",             // 20 digits
            "４２４２４２４２４２４２４２４２", // full-width digits
            "+4242424242424242",
        ] {
            assert_eq!(CardNumber::parse(bad), Err(CardError::Number), "{bad:?}");
        }
        // 12 and 19 digit boundaries (Luhn-valid).
        assert!(CardNumber::parse("000000000000").is_ok());
        assert!(CardNumber::parse("4000000000000000006").is_ok());
        assert_eq!(CardNumber::parse("4000000000000000007"), Err(CardError::Number));
    }

    #[test]
    fn debug_hides_digits() {
        let c = card("4242424242424242");
        assert_eq!(format!("{c:?}"), "CardNumber(****4242)");
        let e = card("378282246310005");
        assert_eq!(format!("{e:?}"), "CardNumber(****0005)");
        assert!(!format!("{:?}", Ok::<_, ()>(c)).contains("42424242"));
    }

    #[test]
    fn brands() {
        let cases = [
            ("4242424242424242", CardBrand::Visa),
            ("4000000000000002", CardBrand::Visa),
            ("5555555555554444", CardBrand::Mastercard),
            ("5105105105105100", CardBrand::Mastercard),
            ("2223003122003222", CardBrand::Mastercard),
            ("378282246310005", CardBrand::Amex),
            ("371449635398431", CardBrand::Amex),
            ("6011111111111117", CardBrand::Discover),
            ("6500000000000002", CardBrand::Discover),
            ("30569309025904", CardBrand::DinersClub),
            ("36227206271667", CardBrand::DinersClub),
            ("3530111333300000", CardBrand::Jcb),
            ("3566002020360505", CardBrand::Jcb),
        ];
        for (n, brand) in cases {
            assert_eq!(card(n).brand(), brand, "{n}");
        }
        // Prefix boundaries, checked on raw digits (Luhn is irrelevant here).
        let raw = [
            ("2220990000000000", CardBrand::Unknown),
            ("2221000000000000", CardBrand::Mastercard),
            ("2720990000000000", CardBrand::Mastercard),
            ("2721000000000000", CardBrand::Unknown),
            ("5000000000000000", CardBrand::Unknown),
            ("5600000000000000", CardBrand::Unknown),
            ("6440000000000000", CardBrand::Discover),
            ("6430000000000000", CardBrand::Unknown),
            ("6490000000000000", CardBrand::Discover),
            ("6012000000000000", CardBrand::Unknown),
            ("3000000000000000", CardBrand::DinersClub),
            ("3050000000000000", CardBrand::DinersClub),
            ("3060000000000000", CardBrand::Unknown),
            ("3800000000000000", CardBrand::DinersClub),
            ("3527000000000000", CardBrand::Unknown),
            ("3528000000000000", CardBrand::Jcb),
            ("3589000000000000", CardBrand::Jcb),
            ("3590000000000000", CardBrand::Unknown),
            ("3400000000000000", CardBrand::Amex),
            ("9999000000000000", CardBrand::Unknown),
        ];
        for (n, brand) in raw {
            assert_eq!(brand_for_digits(n), brand, "{n}");
        }
    }

    #[test]
    fn brand_codes_round_trip() {
        for b in CardBrand::ALL {
            assert_eq!(CardBrand::from_code(b.code()), Some(b));
        }
        assert_eq!(CardBrand::from_code("visa"), None);
        assert_eq!(CardBrand::DinersClub.code(), "DINERS_CLUB");
    }

    #[test]
    fn fingerprint_is_keyed_hmac_sha256() {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        assert_eq!(
            fingerprint_digits("what do ya want for nothing?", b"Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let c = card("4242 4242 4242 4242");
        let fp = c.fingerprint(KEY);
        assert_eq!(fp.len(), 64);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(fp, card("4242424242424242").fingerprint(KEY));
        assert_ne!(fp, c.fingerprint(b"other key"));
        assert_ne!(fp, card("5555555555554444").fingerprint(KEY));
        assert!(!fp.contains("4242"));
        // Empty and long keys are valid HMAC keys.
        assert_eq!(c.fingerprint(b"").len(), 64);
        assert_eq!(c.fingerprint(&[7u8; 200]).len(), 64);
    }

    #[test]
    fn declined_test_fingerprints() {
        for n in DECLINED_TEST_NUMBERS {
            let fp = card(n).fingerprint(KEY);
            assert!(is_declined_test_fingerprint(&fp, KEY), "{n}");
            assert!(is_declined_test_fingerprint(&fp.to_uppercase(), KEY));
            // Under a different key the same fingerprint no longer matches.
            assert!(!is_declined_test_fingerprint(&fp, b"another key"));
        }
        for n in APPROVED_TEST_NUMBERS {
            let fp = card(n).fingerprint(KEY);
            assert!(!is_declined_test_fingerprint(&fp, KEY), "{n}");
        }
        assert!(!is_declined_test_fingerprint("", KEY));
        assert!(!is_declined_test_fingerprint("4000000000000002", KEY));
    }

    #[test]
    fn security_codes() {
        assert_eq!(validate_security_code("123"), Ok(()));
        assert_eq!(validate_security_code("1234"), Ok(()));
        assert_eq!(validate_security_code("000"), Ok(()));
        for bad in ["", "12", "12345", "12a", " 123", "123 ", "１２３", "-12"] {
            assert_eq!(validate_security_code(bad), Err(CardError::SecurityCode), "{bad:?}");
        }
    }

    #[test]
    fn expiry() {
        let today = d(2026, 3, 31);
        assert_eq!(validate_expiry(3, 2026, today), Ok(())); // valid through month end
        assert_eq!(validate_expiry(4, 2026, today), Ok(()));
        assert_eq!(validate_expiry(1, 2027, today), Ok(()));
        assert_eq!(validate_expiry(2, 2026, today), Err(CardError::Expired));
        assert_eq!(validate_expiry(12, 2025, today), Err(CardError::Expired));
        assert_eq!(validate_expiry(12, 26, today), Err(CardError::Expired));
        assert_eq!(validate_expiry(0, 2027, today), Err(CardError::ExpiryMonth));
        assert_eq!(validate_expiry(13, 2027, today), Err(CardError::ExpiryMonth));
        assert_eq!(validate_expiry(12, 2046, today), Ok(()));
        assert_eq!(validate_expiry(1, 2047, today), Err(CardError::ExpiryMonth));
        assert_eq!(validate_expiry(1, i32::MAX, today), Err(CardError::ExpiryMonth));
        assert_eq!(validate_expiry(1, i32::MIN, today), Err(CardError::Expired));
        // First day of the month after expiry: now expired.
        assert_eq!(validate_expiry(3, 2026, d(2026, 4, 1)), Err(CardError::Expired));
    }

    #[test]
    fn error_messages_have_no_card_data() {
        assert_eq!(CardError::Number.to_string(), "card number is invalid");
        assert_eq!(CardError::Expired.to_string(), "card has expired");
    }
}
