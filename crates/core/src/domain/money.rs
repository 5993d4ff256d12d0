//! Exact money (R7): amounts are integer minor units of an ISO 4217 currency,
//! never floats. Rounding happens once per line, half to even (R30).

use std::fmt;

/// Supported currencies and their ISO 4217 minor units (digits after the
/// decimal point). The one table: everything else derives from it.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("ARS", 2),
    ("CLP", 0),
    ("ZAR", 2),
    ("SEK", 2),
    ("DKK", 2),
    ("NOK", 2),
    ("CHF", 2),
    ("ISK", 0),
    ("JPY", 0),
    ("TWD", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("NZD", 2),
    ("MXN", 2),
    ("BRL", 2),
];

/// A supported ISO 4217 currency. Only constructible through [`Currency::parse`],
/// so every value is guaranteed to be in [`CURRENCIES`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

impl Currency {
    /// Looks up a currency by code, case-insensitively ("usd" → USD).
    /// Surrounding whitespace is not accepted.
    pub fn parse(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|&(code, minor_units)| Currency { code, minor_units })
    }

    /// Upper-case ISO 4217 code, e.g. "USD".
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Number of decimal digits in the minor unit (USD 2, CLP 0).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }

    /// 10^minor_units; at most 100 for the table above, so it cannot overflow.
    fn scale(&self) -> u64 {
        10u64.pow(self.minor_units)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Formats minor units as a plain decimal string without currency symbol or
/// grouping: USD 1234 → "12.34", USD -5 → "-0.05", CLP 1500 → "1500".
pub fn format_minor(amount_minor: i64, currency: Currency) -> String {
    // unsigned_abs so that i64::MIN does not overflow.
    let magnitude = amount_minor.unsigned_abs();
    let sign = if amount_minor < 0 { "-" } else { "" };
    let digits = currency.minor_units() as usize;
    if digits == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = currency.scale();
    let whole = magnitude / scale;
    let frac = magnitude % scale;
    format!("{sign}{whole}.{frac:0digits$}")
}

/// Parses a plain decimal string into minor units, exactly.
///
/// Accepts an optional leading '-', at least one integer digit, and an
/// optional '.' followed by 1..=minor_units digits ("12", "12.3", "12.34" for
/// USD). Rejects anything else: empty input, '+', spaces, exponents, grouping
/// separators, more decimals than the currency has (no silent rounding, R7),
/// a decimal point for zero-decimal currencies, and values outside i64.
pub fn parse_decimal(text: &str, currency: Currency) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let minor_units = currency.minor_units() as usize;
    if let Some(f) = frac {
        // A '.' must be followed by 1..=minor_units digits ("12." is rejected,
        // and zero-decimal currencies accept no '.' at all).
        if f.is_empty() || f.len() > minor_units || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    let frac = frac.unwrap_or("");

    // Accumulate the magnitude in i128 with checked math; i64 range is
    // enforced at the end so that i64::MIN itself is representable.
    let mut magnitude: i128 = 0;
    for b in whole.bytes() {
        magnitude = magnitude.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    // Pad the fraction to exactly minor_units digits ("12.3" → 1230).
    for i in 0..minor_units {
        let digit = frac.as_bytes().get(i).map_or(0, |b| b - b'0');
        magnitude = magnitude.checked_mul(10)?.checked_add(i128::from(digit))?;
    }
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).ok()
}

/// Upper bound of a unit price, in minor units (10^12: USD 10,000,000,000.00).
/// With [`MAX_QUANTITY`] a line is at most 10^18, inside i64 (≈ 9.2 × 10^18).
pub const MAX_UNIT_PRICE_MINOR: i64 = 1_000_000_000_000;
/// Upper bound of a license quantity (R18).
pub const MAX_QUANTITY: i64 = 1_000_000;

/// An amount left the range of exact integer minor units (i64). Money is
/// never clipped: the operation that would overflow fails instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("money arithmetic overflowed the exact range of minor units")
    }
}

impl std::error::Error for Overflow {}

impl From<Overflow> for crate::error::AppError {
    fn from(e: Overflow) -> Self {
        crate::error::AppError::internal(e)
    }
}

/// unit × quantity, checked (R30: "a full term costs unit price × quantity").
pub fn line_amount(unit_minor: i64, quantity: i64) -> Result<i64, Overflow> {
    unit_minor.checked_mul(quantity).ok_or(Overflow)
}

/// a + b, checked.
pub fn add(a: i64, b: i64) -> Result<i64, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// a − b, checked.
pub fn sub(a: i64, b: i64) -> Result<i64, Overflow> {
    a.checked_sub(b).ok_or(Overflow)
}

/// The exact sum of amounts, or [`Overflow`].
pub fn sum(amounts: impl IntoIterator<Item = i64>) -> Result<i64, Overflow> {
    amounts.into_iter().try_fold(0i64, add)
}

/// unit × quantity × numerator / denominator, computed exactly in u128 and
/// rounded half to even once (R30: "round half to even once per line").
///
/// Negative values are handled symmetrically: the magnitude is rounded half to
/// even and the sign kept, so prorate(-5, 1, 1, 2) = -2. Returns 0 when
/// `denominator_days <= 0`. A result outside i64 is [`Overflow`], never a
/// clipped value.
pub fn prorate(unit_minor: i64, quantity: i64, numerator_days: i64, denominator_days: i64) -> Result<i64, Overflow> {
    if denominator_days <= 0 {
        return Ok(0);
    }
    let negative = (unit_minor < 0) ^ (quantity < 0) ^ (numerator_days < 0);
    // Magnitudes in u128: |i64| ≤ 2^63, so the first product fits; the second
    // may not, hence checked.
    let product = u128::from(unit_minor.unsigned_abs())
        .checked_mul(u128::from(quantity.unsigned_abs()))
        .and_then(|p| p.checked_mul(u128::from(numerator_days.unsigned_abs())))
        .ok_or(Overflow)?;
    let den = u128::from(denominator_days.unsigned_abs());
    let mut quotient = product / den;
    let remainder = product % den;
    // Compare 2r with den instead of r with den/2 to stay exact for odd den.
    let twice = remainder * 2; // remainder < den < 2^63, no overflow
    if twice > den || (twice == den && quotient % 2 == 1) {
        quotient += 1;
    }
    let q = i128::try_from(quotient).map_err(|_| Overflow)?;
    let signed = if negative { -q } else { q };
    i64::try_from(signed).map_err(|_| Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        match Currency::parse(code) {
            Some(c) => c,
            None => panic!("unknown test currency {code}"),
        }
    }

    #[test]
    fn currency_table_minor_units() {
        // ISO 4217 spot checks (R7): two decimals for most, none for CLP, JPY, ISK.
        for (code, units) in [("USD", 2), ("EUR", 2), ("GBP", 2), ("SEK", 2), ("CLP", 0), ("JPY", 0), ("ISK", 0)] {
            assert_eq!(Currency::parse(code).map(|c| c.minor_units()), Some(units), "{code}");
        }
    }

    #[test]
    fn currency_table_has_no_duplicates_and_is_upper_case() {
        for (i, (a, _)) in CURRENCIES.iter().enumerate() {
            assert_eq!(a.len(), 3);
            assert!(a.bytes().all(|b| b.is_ascii_uppercase()), "{a}");
            for (b, _) in &CURRENCIES[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn currency_parse_is_case_insensitive_and_strict() {
        assert_eq!(Currency::parse("usd"), Currency::parse("USD"));
        assert_eq!(cur("uSd").code(), "USD");
        assert_eq!(Currency::parse("XXX"), None);
        assert_eq!(Currency::parse(""), None);
        assert_eq!(Currency::parse(" USD"), None);
        assert_eq!(Currency::parse("US"), None);
        assert_eq!(cur("eur").to_string(), "EUR");
    }

    #[test]
    fn format_minor_examples() {
        let usd = cur("USD");
        let clp = cur("CLP");
        assert_eq!(format_minor(1234, usd), "12.34");
        assert_eq!(format_minor(-5, usd), "-0.05");
        assert_eq!(format_minor(0, usd), "0.00");
        assert_eq!(format_minor(100, usd), "1.00");
        assert_eq!(format_minor(7, usd), "0.07");
        assert_eq!(format_minor(-123_456, usd), "-1234.56");
        assert_eq!(format_minor(1500, clp), "1500");
        assert_eq!(format_minor(-1500, clp), "-1500");
        assert_eq!(format_minor(0, clp), "0");
        assert_eq!(format_minor(i64::MAX, usd), "92233720368547758.07");
        assert_eq!(format_minor(i64::MIN, usd), "-92233720368547758.08");
        assert_eq!(format_minor(i64::MIN, cur("ISK")), "-9223372036854775808");
    }

    #[test]
    fn parse_decimal_accepts() {
        let usd = cur("USD");
        let clp = cur("CLP");
        assert_eq!(parse_decimal("12.34", usd), Some(1234));
        assert_eq!(parse_decimal("12", usd), Some(1200));
        assert_eq!(parse_decimal("12.3", usd), Some(1230));
        assert_eq!(parse_decimal("0.05", usd), Some(5));
        assert_eq!(parse_decimal("-0.05", usd), Some(-5));
        assert_eq!(parse_decimal("-12", usd), Some(-1200));
        assert_eq!(parse_decimal("-0", usd), Some(0));
        assert_eq!(parse_decimal("007.10", usd), Some(710));
        assert_eq!(parse_decimal("1500", clp), Some(1500));
        assert_eq!(parse_decimal("92233720368547758.07", usd), Some(i64::MAX));
        assert_eq!(parse_decimal("-92233720368547758.08", usd), Some(i64::MIN));
    }

    #[test]
    fn parse_decimal_rejects() {
        let usd = cur("USD");
        let clp = cur("CLP");
        for bad in [
            "",
            "-",
            ".",
            ".5",
            "12.",
            "12.345",
            "+12",
            "--1",
            "1-2",
            " 12",
            "12 ",
            "1 2",
            "1e3",
            "1E3",
            "1,000",
            "1_000",
            "12.3.4",
            "12.-3",
            "12.+3",
            "abc",
            "١٢",
            "0x10",
            "NaN",
            "inf",
            "92233720368547758.08",
            "-92233720368547758.09",
            "99999999999999999999999999999999999999999999999999",
        ] {
            assert_eq!(parse_decimal(bad, usd), None, "{bad:?}");
        }
        assert_eq!(parse_decimal("1.5", clp), None);
        assert_eq!(parse_decimal("1.0", clp), None);
        assert_eq!(parse_decimal("1.", clp), None);
    }

    #[test]
    fn parse_format_round_trip() {
        let usd = cur("USD");
        for v in [0, 1, -1, 99, 100, -100, 1234, -123_456, i64::MAX, i64::MIN] {
            assert_eq!(parse_decimal(&format_minor(v, usd), usd), Some(v));
        }
    }

    #[test]
    fn prorate_half_to_even() {
        assert_eq!(prorate(1, 1, 1, 2), Ok(0)); // 0.5 → 0
        assert_eq!(prorate(3, 1, 1, 2), Ok(2)); // 1.5 → 2
        assert_eq!(prorate(5, 1, 1, 2), Ok(2)); // 2.5 → 2
        assert_eq!(prorate(7, 1, 1, 2), Ok(4)); // 3.5 → 4
        assert_eq!(prorate(1, 1, 1, 3), Ok(0)); // 0.333 → 0
        assert_eq!(prorate(2, 1, 1, 3), Ok(1)); // 0.667 → 1
        assert_eq!(prorate(1000, 3, 21, 31), Ok(2032)); // 2032.258
        assert_eq!(prorate(12_000, 1, 265, 365), Ok(8712)); // 8712.328
        assert_eq!(prorate(1000, 7, 31, 31), Ok(7000));
        assert_eq!(prorate(1000, 7, 0, 31), Ok(0));
    }

    #[test]
    fn prorate_negative_is_symmetric() {
        assert_eq!(prorate(-1, 1, 1, 2), Ok(0));
        assert_eq!(prorate(-3, 1, 1, 2), Ok(-2));
        assert_eq!(prorate(-5, 1, 1, 2), Ok(-2));
        assert_eq!(prorate(5, -1, 1, 2), Ok(-2));
        assert_eq!(prorate(5, 1, -1, 2), Ok(-2));
        assert_eq!(prorate(-5, -1, 1, 2), Ok(2));
        assert_eq!(prorate(-1000, 3, 21, 31), Ok(-2032));
        assert_eq!(prorate(-2, 1, 1, 3), Ok(-1));
    }

    #[test]
    fn prorate_degenerate_and_extreme() {
        assert_eq!(prorate(1000, 1, 1, 0), Ok(0));
        assert_eq!(prorate(1000, 1, 1, -5), Ok(0));
        // Large but exact: the intermediate exceeds i64 but the result fits.
        assert_eq!(prorate(i64::MAX, 365, 1, 365), Ok(i64::MAX));
        assert_eq!(prorate(i64::MIN, 1, 1, 1), Ok(i64::MIN));
        // Issue 11: beyond i64 is an error, never a clipped value.
        assert_eq!(prorate(i64::MAX, 2, 1, 1), Err(Overflow));
        assert_eq!(prorate(i64::MIN, 2, 1, 1), Err(Overflow));
        assert_eq!(prorate(i64::MAX, i64::MAX, i64::MAX, 1), Err(Overflow));
        assert_eq!(prorate(i64::MAX, i64::MAX, i64::MIN, 1), Err(Overflow));
    }

    #[test]
    fn checked_sums_and_products_refuse_overflow() {
        // Issue 11: every sum and product of amounts is checked.
        assert_eq!(line_amount(MAX_UNIT_PRICE_MINOR, MAX_QUANTITY), Ok(1_000_000_000_000_000_000));
        assert_eq!(line_amount(i64::MAX, 2), Err(Overflow));
        assert_eq!(sum([1, 2, -3, 10]), Ok(10));
        assert_eq!(sum([i64::MAX, 1]), Err(Overflow));
        assert_eq!(sum([i64::MIN, -1]), Err(Overflow));
        assert_eq!(sum([i64::MAX, 1, -1]), Err(Overflow)); // no clipping, even if later terms would bring it back
        assert_eq!(sub(0, i64::MIN), Err(Overflow));
        assert_eq!(add(5, -7), Ok(-2));
    }
}
