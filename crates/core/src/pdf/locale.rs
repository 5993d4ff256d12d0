//! Numbers, amounts and dates as a finance team reading the invoice's
//! language writes them (issue 24 item 3): "1,234.56" in English and
//! Chinese, "1 234,56" in Swedish, "1.234,56" in Danish and Dutch; dates
//! "1 Feb 2025", "2025-02-01", "01.02.2025", "01-02-2025", "2025年2月1日".
//! Exact: amounts are regrouped from the integer minor units, never floats.

use chrono::{Datelike, NaiveDate};

use crate::domain::money::{Currency, format_minor};
use crate::i18n::Lang;

/// No-break space: Swedish groups thousands with a space that must not wrap.
const NBSP: char = '\u{a0}';

fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::En | Lang::ZhTw => (',', '.'),
        Lang::Sv => (NBSP, ','),
        Lang::Da | Lang::Nl => ('.', ','),
    }
}

/// "-1234567" grouped by thousands: "-1,234,567".
fn group(digits: &str, separator: char) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A count (licenses), grouped by thousands.
pub fn number(value: i64, lang: Lang) -> String {
    group(&value.to_string(), separators(lang).0)
}

/// An amount in minor units of `currency`, without the currency: "1 234,56".
/// Unknown currency codes print the minor units as they are, grouped.
pub fn amount(amount_minor: i64, currency: &str, lang: Lang) -> String {
    let (thousands, decimal) = separators(lang);
    let Some(currency) = Currency::parse(currency) else {
        return group(&amount_minor.to_string(), thousands);
    };
    let plain = format_minor(amount_minor, currency);
    match plain.split_once('.') {
        Some((whole, fraction)) => format!("{}{decimal}{fraction}", group(whole, thousands)),
        None => group(&plain, thousands),
    }
}

/// An amount with its currency code where the language puts it:
/// "SEK 1,234.56", "1 234,56 SEK", "1.234,56 DKK", "EUR 1.234,56".
pub fn amount_with_currency(amount_minor: i64, currency: &str, lang: Lang) -> String {
    let value = amount(amount_minor, currency, lang);
    match lang {
        Lang::Sv | Lang::Da => format!("{value}{NBSP}{currency}"),
        Lang::En | Lang::Nl | Lang::ZhTw => format!("{currency}{NBSP}{value}"),
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_SV: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_DA: [&str; 12] = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

fn month_name(lang: Lang, month0: u32) -> &'static str {
    let names = match lang {
        Lang::Sv => &MONTHS_SV,
        Lang::Da => &MONTHS_DA,
        Lang::Nl => &MONTHS_NL,
        Lang::En | Lang::ZhTw => &MONTHS_EN,
    };
    names.get(month0 as usize).copied().unwrap_or("")
}

/// A calendar date: "1 Feb 2025", "2025-02-01", "01.02.2025", "01-02-2025", "2025年2月1日".
pub fn date(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::En => {
            let month: String = month_name(lang, day.month0()).chars().take(3).collect();
            format!("{} {month} {}", day.day(), day.year())
        }
        Lang::Sv => day.format("%Y-%m-%d").to_string(),
        Lang::Da => day.format("%d.%m.%Y").to_string(),
        Lang::Nl => day.format("%d-%m-%Y").to_string(),
        Lang::ZhTw => format!("{}年{}月{}日", day.year(), day.month(), day.day()),
    }
}

/// From one date to another, both included: "1 Feb 2025 – 28 Feb 2025", "2025年2月1日至2025年2月28日".
pub fn date_range(from: NaiveDate, to: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::ZhTw => format!("{}至{}", date(from, lang), date(to, lang)),
        _ => format!("{} – {}", date(from, lang), date(to, lang)),
    }
}

/// The calendar month a date falls in: "February 2025", "februari 2025", "2025年2月".
pub fn month(day: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::ZhTw => format!("{}年{}月", day.year(), day.month()),
        _ => format!("{} {}", month_name(lang, day.month0()), day.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// Issue 24 item 3: each language's separators, exactly, up to i64's bounds.
    #[test]
    fn amounts_use_the_languages_separators() {
        assert_eq!(amount(8000, "SEK", Lang::Sv), "80,00");
        assert_eq!(amount(8000, "DKK", Lang::Da), "80,00");
        assert_eq!(amount(8000, "EUR", Lang::Nl), "80,00");
        assert_eq!(amount(8000, "USD", Lang::En), "80.00");
        assert_eq!(amount(8000, "TWD", Lang::ZhTw), "80.00");
        assert_eq!(amount(123_456_789, "SEK", Lang::Sv), "1\u{a0}234\u{a0}567,89");
        assert_eq!(amount(123_456_789, "EUR", Lang::Nl), "1.234.567,89");
        assert_eq!(amount(123_456_789, "USD", Lang::En), "1,234,567.89");
        assert_eq!(amount(-100_000, "DKK", Lang::Da), "-1.000,00");
        assert_eq!(amount(-5, "USD", Lang::En), "-0.05");
        assert_eq!(amount(150_000, "JPY", Lang::En), "150,000");
        assert_eq!(amount(i64::MAX, "USD", Lang::En), "92,233,720,368,547,758.07");
        assert_eq!(amount(i64::MIN, "EUR", Lang::Nl), "-92.233.720.368.547.758,08");
        assert_eq!(amount(100, "XXX?", Lang::En), "100");
        assert_eq!(amount_with_currency(8000, "SEK", Lang::Sv), "80,00\u{a0}SEK");
        assert_eq!(amount_with_currency(8000, "EUR", Lang::Nl), "EUR\u{a0}80,00");
        assert_eq!(amount_with_currency(8000, "USD", Lang::En), "USD\u{a0}80.00");
        assert_eq!(number(12_345, Lang::Da), "12.345");
        assert_eq!(number(-7, Lang::Sv), "-7");
        assert_eq!(number(999, Lang::En), "999");
    }

    #[test]
    fn dates_and_months_follow_the_language() {
        let d = day(2025, 2, 1);
        assert_eq!(date(d, Lang::En), "1 Feb 2025");
        assert_eq!(date(d, Lang::Sv), "2025-02-01");
        assert_eq!(date(d, Lang::Da), "01.02.2025");
        assert_eq!(date(d, Lang::Nl), "01-02-2025");
        assert_eq!(date(d, Lang::ZhTw), "2025年2月1日");
        assert_eq!(month(d, Lang::En), "February 2025");
        assert_eq!(month(d, Lang::Sv), "februari 2025");
        assert_eq!(month(d, Lang::Da), "februar 2025");
        assert_eq!(month(d, Lang::Nl), "februari 2025");
        assert_eq!(month(d, Lang::ZhTw), "2025年2月");
        assert_eq!(date_range(d, day(2025, 2, 28), Lang::Nl), "01-02-2025 – 28-02-2025");
        assert_eq!(date_range(d, day(2025, 2, 28), Lang::ZhTw), "2025年2月1日至2025年2月28日");
    }
}
