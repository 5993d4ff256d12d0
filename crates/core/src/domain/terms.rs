//! R30 calendar arithmetic for subscription terms. Dates are UTC calendar
//! dates (`NaiveDate`); a term is the half-open range [start, end).

use chrono::{Months, NaiveDate};

use super::money;

/// `start` plus `months` calendar months, clamping the day to the end of the
/// target month: Jan 31 + 1 → Feb 28 (Feb 29 in leap years), + 2 → Mar 31.
///
/// R30: always compute from the ORIGINAL start date (the n-th term ends
/// n·months after start); chaining would drift Jan 31 → Feb 28 → Mar 28.
/// Saturates at `NaiveDate::MAX` outside chrono's range.
pub fn add_months_clamped(start: NaiveDate, months: u32) -> NaiveDate {
    // chrono's checked_add_months clamps the day to the month's last day.
    start.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// Exclusive end of the n-th term (n ≥ 1); n = 0 yields `start`.
pub fn term_end(start: NaiveDate, months_per_term: u32, n: u32) -> NaiveDate {
    add_months_clamped(start, months_per_term.saturating_mul(n))
}

/// The term containing `date`: (n, start_inclusive, end_exclusive), n ≥ 1.
///
/// Dates before `start` report term 1. A zero-month term length is
/// degenerate and reports (1, start, start).
#[cfg(test)]
pub fn term_containing(start: NaiveDate, months_per_term: u32, date: NaiveDate) -> (u32, NaiveDate, NaiveDate) {
    use chrono::Datelike;
    if months_per_term == 0 {
        return (1, start, start);
    }
    if date < start {
        return (1, start, term_end(start, months_per_term, 1));
    }
    // Estimate the 0-based term index from the month difference, then
    // correct for day-of-month clamping by walking at most a step or two.
    let month_diff =
        (i64::from(date.year()) - i64::from(start.year())) * 12 + i64::from(date.month()) - i64::from(start.month());
    let mut k = u32::try_from(month_diff.max(0) / i64::from(months_per_term)).unwrap_or(u32::MAX);
    while k > 0 && term_end(start, months_per_term, k) > date {
        k -= 1;
    }
    while let Some(next) = k.checked_add(1) {
        let next_end = term_end(start, months_per_term, next);
        // Stop also when saturated at NaiveDate::MAX so this always ends.
        if next_end > date || next_end == term_end(start, months_per_term, k) {
            break;
        }
        k = next;
    }
    let n = k.saturating_add(1);
    (n, term_end(start, months_per_term, k), term_end(start, months_per_term, n))
}

/// Amount for the remainder of a term after a change on `change_date`:
/// unit × quantity × (end − change) / (end − start) in days, rounded half to
/// even once (R30). A change on or before the start is the full amount; on or
/// after the end it is 0.
pub fn prorated_amount(
    unit_minor: i64,
    quantity: i64,
    change_date: NaiveDate,
    term_start: NaiveDate,
    term_end: NaiveDate,
) -> Result<i64, money::Overflow> {
    if change_date >= term_end {
        return Ok(0);
    }
    if change_date <= term_start {
        return money::prorate(unit_minor, quantity, 1, 1);
    }
    let remaining = (term_end - change_date).num_days();
    let total = (term_end - term_start).num_days();
    money::prorate(unit_minor, quantity, remaining, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, day) {
            Some(date) => date,
            None => panic!("bad test date {y}-{m}-{day}"),
        }
    }

    #[test]
    fn add_months_clamps_from_original_start() {
        let s = d(2026, 1, 31);
        assert_eq!(add_months_clamped(s, 0), s);
        assert_eq!(add_months_clamped(s, 1), d(2026, 2, 28));
        assert_eq!(add_months_clamped(s, 2), d(2026, 3, 31));
        assert_eq!(add_months_clamped(s, 3), d(2026, 4, 30));
        assert_eq!(add_months_clamped(s, 12), d(2027, 1, 31));
        assert_eq!(add_months_clamped(s, 13), d(2027, 2, 28));
        assert_eq!(add_months_clamped(d(2026, 3, 15), 1), d(2026, 4, 15));
        assert_eq!(add_months_clamped(d(2026, 11, 30), 3), d(2027, 2, 28));
        // Annual from Feb 29 lands on Feb 28 in non-leap years, Feb 29 in 2032.
        assert_eq!(add_months_clamped(d(2028, 2, 29), 12), d(2029, 2, 28));
        assert_eq!(add_months_clamped(d(2028, 2, 29), 48), d(2032, 2, 29));
        assert_eq!(add_months_clamped(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn leap_year_monthly_terms() {
        let s = d(2028, 1, 31);
        assert_eq!(term_end(s, 1, 1), d(2028, 2, 29));
        assert_eq!(term_end(s, 1, 2), d(2028, 3, 31));
        assert_eq!(term_end(s, 1, 3), d(2028, 4, 30));
        assert_eq!(term_end(s, 1, 4), d(2028, 5, 31));
        assert_eq!(term_end(d(2027, 1, 31), 1, 1), d(2027, 2, 28));
        assert_eq!(term_end(d(2027, 1, 31), 1, 2), d(2027, 3, 31));
    }

    #[test]
    fn term_end_quarterly_and_annual() {
        let s = d(2026, 1, 1);
        assert_eq!(term_end(s, 3, 1), d(2026, 4, 1));
        assert_eq!(term_end(s, 12, 1), d(2027, 1, 1));
        assert_eq!(term_end(s, 12, 2), d(2028, 1, 1));
        assert_eq!(term_end(d(2026, 8, 31), 3, 2), d(2027, 2, 28));
        assert_eq!(term_end(s, 1, 0), s);
    }

    #[test]
    fn term_containing_monthly() {
        let s = d(2026, 3, 15);
        assert_eq!(term_containing(s, 1, s), (1, s, d(2026, 4, 15)));
        assert_eq!(term_containing(s, 1, d(2026, 3, 25)), (1, s, d(2026, 4, 15)));
        assert_eq!(term_containing(s, 1, d(2026, 4, 14)), (1, s, d(2026, 4, 15)));
        assert_eq!(term_containing(s, 1, d(2026, 4, 15)), (2, d(2026, 4, 15), d(2026, 5, 15)));
        assert_eq!(term_containing(s, 1, d(2027, 3, 14)), (12, d(2027, 2, 15), d(2027, 3, 15)));
        // Before start → term 1.
        assert_eq!(term_containing(s, 1, d(2020, 1, 1)), (1, s, d(2026, 4, 15)));
    }

    #[test]
    fn term_containing_clamped_month_ends() {
        let s = d(2026, 1, 31);
        // Feb 28 is the end of term 1 (exclusive) and the start of term 2.
        assert_eq!(term_containing(s, 1, d(2026, 2, 27)), (1, s, d(2026, 2, 28)));
        assert_eq!(term_containing(s, 1, d(2026, 2, 28)), (2, d(2026, 2, 28), d(2026, 3, 31)));
        assert_eq!(term_containing(s, 1, d(2026, 3, 30)), (2, d(2026, 2, 28), d(2026, 3, 31)));
        assert_eq!(term_containing(s, 1, d(2026, 3, 31)), (3, d(2026, 3, 31), d(2026, 4, 30)));
        assert_eq!(term_containing(s, 1, d(2026, 4, 30)), (4, d(2026, 4, 30), d(2026, 5, 31)));
    }

    #[test]
    fn term_containing_matches_brute_force() {
        for start in [d(2026, 1, 31), d(2028, 2, 29), d(2026, 3, 15), d(2026, 12, 30)] {
            for m in [1, 3, 12] {
                let mut date = start;
                for _ in 0..800 {
                    let (n, ts, te) = term_containing(start, m, date);
                    assert!(ts <= date && date < te, "{start} {m} {date}");
                    assert_eq!(ts, term_end(start, m, n - 1));
                    assert_eq!(te, term_end(start, m, n));
                    date = date.succ_opt().unwrap_or(date);
                }
            }
        }
    }

    #[test]
    fn term_containing_annual_and_degenerate() {
        let s = d(2026, 1, 1);
        assert_eq!(term_containing(s, 12, d(2026, 12, 31)), (1, s, d(2027, 1, 1)));
        assert_eq!(term_containing(s, 12, d(2030, 6, 1)), (5, d(2030, 1, 1), d(2031, 1, 1)));
        assert_eq!(term_containing(s, 0, d(2030, 6, 1)), (1, s, s));
        // Saturation near the end of chrono's range still terminates.
        let (n, ts, te) = term_containing(s, 12, NaiveDate::MAX);
        assert!(n > 1 && ts <= te && te == NaiveDate::MAX);
    }

    #[test]
    fn per_license_monthly_upgrade() {
        let s = d(2026, 3, 15);
        let (n, ts, te) = term_containing(s, 1, s);
        assert_eq!((n, ts, te), (1, s, d(2026, 4, 15)));
        assert_eq!((te - ts).num_days(), 31);
        // 7 licenses bought at the start: full charge.
        assert_eq!(prorated_amount(1000, 7, s, ts, te), Ok(7000));
        // Raised to 10 on 2026-03-25: 3 × 1000 × 21/31 = 2032.258… → 2032.
        let change = d(2026, 3, 25);
        assert_eq!((te - change).num_days(), 21);
        assert_eq!(prorated_amount(1000, 3, change, ts, te), Ok(2032));
    }

    #[test]
    fn annual_cancellation_credit() {
        let s = d(2026, 1, 1);
        let te = term_end(s, 12, 1);
        assert_eq!((te - s).num_days(), 365);
        let cancel = d(2026, 4, 11);
        assert_eq!((cancel - s).num_days(), 100);
        // 12000 × 265/365 = 8712.328… → 8712.
        assert_eq!(prorated_amount(12_000, 1, cancel, s, te), Ok(8712));
    }

    #[test]
    fn clp_half_to_even_in_leap_bimonthly_term() {
        // 9990 CLP × 3 licenses; 2028-01-01..2028-03-01 is 60 days (leap Feb).
        let s = d(2028, 1, 1);
        let te = term_end(s, 2, 1);
        assert_eq!(te, d(2028, 3, 1));
        assert_eq!((te - s).num_days(), 60);
        // 29970 × 1/60 = 499.5 → 500 (499 is odd).
        assert_eq!(prorated_amount(9990, 3, d(2028, 2, 29), s, te), Ok(500));
        // 29970 × 3/60 = 1498.5 → 1498 (1498 is even).
        assert_eq!(prorated_amount(9990, 3, d(2028, 2, 27), s, te), Ok(1498));
        // 29970 × 5/60 = 2497.5 → 2498.
        assert_eq!(prorated_amount(9990, 3, d(2028, 2, 25), s, te), Ok(2498));
        // 29970 × 2/60 = 999 exactly.
        assert_eq!(prorated_amount(9990, 3, d(2028, 2, 28), s, te), Ok(999));
        // Direct half-to-even checks.
        assert_eq!(money::prorate(1, 1, 1, 2), Ok(0));
        assert_eq!(money::prorate(3, 1, 1, 2), Ok(2));
        assert_eq!(money::prorate(5, 1, 1, 2), Ok(2));
    }

    #[test]
    fn prorated_amount_bounds() {
        let s = d(2026, 3, 15);
        let te = d(2026, 4, 15);
        assert_eq!(prorated_amount(1000, 7, d(2026, 1, 1), s, te), Ok(7000));
        assert_eq!(prorated_amount(1000, 7, te, s, te), Ok(0));
        assert_eq!(prorated_amount(1000, 7, d(2027, 1, 1), s, te), Ok(0));
        assert_eq!(prorated_amount(1000, 7, d(2026, 4, 14), s, te), Ok(226)); // 7000/31 = 225.8
        assert_eq!(prorated_amount(-1000, 3, d(2026, 3, 25), s, te), Ok(-2032));
    }
}
