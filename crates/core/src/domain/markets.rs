//! R8: the 12 markets where third-party apps are sold, and the one country
//! table mapping ISO 3166-1 alpha-2 countries to a market and currency.

/// A sales market. GraphQL names (and DB codes) are SCREAMING_SNAKE_CASE,
/// e.g. `PUERTO_RICO`, `WESTERN_EUROPE`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Market {
    Argentina,
    Australia,
    Canada,
    Chile,
    France,
    Germany,
    Greece,
    PuertoRico,
    SouthAfrica,
    UnitedKingdom,
    UnitedStates,
    WesternEurope,
}

impl Market {
    pub const ALL: [Market; 12] = [
        Market::Argentina,
        Market::Australia,
        Market::Canada,
        Market::Chile,
        Market::France,
        Market::Germany,
        Market::Greece,
        Market::PuertoRico,
        Market::SouthAfrica,
        Market::UnitedKingdom,
        Market::UnitedStates,
        Market::WesternEurope,
    ];

    /// Stable storage code; identical to the GraphQL enum value name.
    pub fn code(self) -> &'static str {
        match self {
            Market::Argentina => "ARGENTINA",
            Market::Australia => "AUSTRALIA",
            Market::Canada => "CANADA",
            Market::Chile => "CHILE",
            Market::France => "FRANCE",
            Market::Germany => "GERMANY",
            Market::Greece => "GREECE",
            Market::PuertoRico => "PUERTO_RICO",
            Market::SouthAfrica => "SOUTH_AFRICA",
            Market::UnitedKingdom => "UNITED_KINGDOM",
            Market::UnitedStates => "UNITED_STATES",
            Market::WesternEurope => "WESTERN_EUROPE",
        }
    }

    /// Inverse of [`Market::code`]; exact match only (storage codes are canonical).
    pub fn from_code(code: &str) -> Option<Market> {
        Market::ALL.into_iter().find(|m| m.code() == code)
    }

    /// English name for display, e.g. "United Kingdom".
    pub fn display_name(self) -> &'static str {
        match self {
            Market::Argentina => "Argentina",
            Market::Australia => "Australia",
            Market::Canada => "Canada",
            Market::Chile => "Chile",
            Market::France => "France",
            Market::Germany => "Germany",
            Market::Greece => "Greece",
            Market::PuertoRico => "Puerto Rico",
            Market::SouthAfrica => "South Africa",
            Market::UnitedKingdom => "United Kingdom",
            Market::UnitedStates => "United States",
            Market::WesternEurope => "Western Europe",
        }
    }

    /// ISO alpha-2 codes of the countries in this market, in table order.
    pub fn countries(self) -> Vec<&'static str> {
        COUNTRIES.iter().filter(|row| row.2 == self).map(|row| row.0).collect()
    }
}

/// The one country table (R8): (ISO 3166-1 alpha-2, English name, market,
/// ISO 4217 currency). Countries not listed belong to no market.
pub const COUNTRIES: &[(&str, &str, Market, &str)] = &[
    ("AR", "Argentina", Market::Argentina, "ARS"),
    ("AU", "Australia", Market::Australia, "AUD"),
    ("CA", "Canada", Market::Canada, "CAD"),
    ("CL", "Chile", Market::Chile, "CLP"),
    ("FR", "France", Market::France, "EUR"),
    ("DE", "Germany", Market::Germany, "EUR"),
    ("GR", "Greece", Market::Greece, "EUR"),
    ("PR", "Puerto Rico", Market::PuertoRico, "USD"),
    ("ZA", "South Africa", Market::SouthAfrica, "ZAR"),
    ("GB", "United Kingdom", Market::UnitedKingdom, "GBP"),
    ("US", "United States", Market::UnitedStates, "USD"),
    ("AD", "Andorra", Market::WesternEurope, "EUR"),
    ("AT", "Austria", Market::WesternEurope, "EUR"),
    ("BE", "Belgium", Market::WesternEurope, "EUR"),
    ("CH", "Switzerland", Market::WesternEurope, "CHF"),
    ("CY", "Cyprus", Market::WesternEurope, "EUR"),
    ("DK", "Denmark", Market::WesternEurope, "DKK"),
    ("ES", "Spain", Market::WesternEurope, "EUR"),
    ("FI", "Finland", Market::WesternEurope, "EUR"),
    ("IE", "Ireland", Market::WesternEurope, "EUR"),
    ("IS", "Iceland", Market::WesternEurope, "ISK"),
    ("IT", "Italy", Market::WesternEurope, "EUR"),
    ("LI", "Liechtenstein", Market::WesternEurope, "CHF"),
    ("LU", "Luxembourg", Market::WesternEurope, "EUR"),
    ("MC", "Monaco", Market::WesternEurope, "EUR"),
    ("MT", "Malta", Market::WesternEurope, "EUR"),
    ("NL", "Netherlands", Market::WesternEurope, "EUR"),
    ("NO", "Norway", Market::WesternEurope, "NOK"),
    ("PT", "Portugal", Market::WesternEurope, "EUR"),
    ("SE", "Sweden", Market::WesternEurope, "SEK"),
    ("SM", "San Marino", Market::WesternEurope, "EUR"),
    ("VA", "Vatican City", Market::WesternEurope, "EUR"),
];

fn find_country(country: &str) -> Option<&'static (&'static str, &'static str, Market, &'static str)> {
    COUNTRIES.iter().find(|row| row.0.eq_ignore_ascii_case(country))
}

/// Market of a country (case-insensitive); None outside the table.
pub fn market_for_country(country: &str) -> Option<Market> {
    find_country(country).map(|row| row.2)
}

/// ISO 4217 currency of a country in the table (case-insensitive).
pub fn currency_for_country(country: &str) -> Option<&'static str> {
    find_country(country).map(|row| row.3)
}

/// Whether the country is in the table (i.e. belongs to a market).
#[cfg(test)]
pub fn is_known_country(country: &str) -> bool {
    find_country(country).is_some()
}

/// Canonical upper-case code from the table ("gb" → "GB"); None if absent.
#[cfg(test)]
pub fn normalize_country(country: &str) -> Option<&'static str> {
    find_country(country).map(|row| row.0)
}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted. User-assigned
/// codes ("ZZ", "XX", "AA", "QM"–"QZ") and reserved ones are not countries
/// (issue 24: sign-up accepted "ZZ").
pub const ISO_3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA",
    "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
    "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
    "ZM", "ZW",
];

/// Whether `code` (any case) is an officially assigned ISO 3166-1 alpha-2 country.
pub fn is_iso_country(code: &str) -> bool {
    is_iso_alpha2_shape(code) && ISO_3166_ALPHA2.binary_search(&code.to_ascii_uppercase().as_str()).is_ok()
}

/// Two ASCII letters (any case). Organizations may register with any
/// ISO alpha-2 country, not only those in a market, so this is the shape
/// check for countries outside [`COUNTRIES`].
pub fn is_iso_alpha2_shape(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::super::money::Currency;
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn all_markets_are_distinct_and_round_trip() {
        let set: HashSet<Market> = Market::ALL.into_iter().collect();
        assert_eq!(set.len(), 12);
        for m in Market::ALL {
            assert_eq!(Market::from_code(m.code()), Some(m));
        }
        assert_eq!(Market::from_code("united_kingdom"), None);
        assert_eq!(Market::from_code(""), None);
        assert_eq!(Market::from_code("JAPAN"), None);
    }

    #[test]
    fn display_names() {
        assert_eq!(Market::UnitedKingdom.display_name(), "United Kingdom");
        assert_eq!(Market::PuertoRico.display_name(), "Puerto Rico");
        assert_eq!(Market::SouthAfrica.display_name(), "South Africa");
        assert_eq!(Market::WesternEurope.display_name(), "Western Europe");
        assert_eq!(Market::UnitedStates.display_name(), "United States");
    }

    #[test]
    fn country_lookups() {
        assert_eq!(market_for_country("AR"), Some(Market::Argentina));
        assert_eq!(market_for_country("pr"), Some(Market::PuertoRico));
        assert_eq!(market_for_country("Gb"), Some(Market::UnitedKingdom));
        assert_eq!(market_for_country("CH"), Some(Market::WesternEurope));
        assert_eq!(market_for_country("JP"), None);
        assert_eq!(market_for_country("XX"), None);
        assert_eq!(market_for_country(""), None);
        assert_eq!(market_for_country(" US"), None);
        assert_eq!(currency_for_country("cl"), Some("CLP"));
        assert_eq!(currency_for_country("PR"), Some("USD"));
        assert_eq!(currency_for_country("ZA"), Some("ZAR"));
        assert_eq!(currency_for_country("IS"), Some("ISK"));
        assert_eq!(currency_for_country("LI"), Some("CHF"));
        assert_eq!(currency_for_country("DE"), Some("EUR"));
        assert_eq!(currency_for_country("JP"), None);
        assert!(is_known_country("se"));
        assert!(!is_known_country("JP"));
        assert_eq!(normalize_country("gb"), Some("GB"));
        assert_eq!(normalize_country("nO"), Some("NO"));
        assert_eq!(normalize_country("XX"), None);
    }

    #[test]
    fn market_countries() {
        assert_eq!(Market::UnitedStates.countries(), ["US"]);
        assert_eq!(Market::PuertoRico.countries(), ["PR"]);
        assert_eq!(Market::France.countries(), ["FR"]);
        assert_eq!(
            Market::WesternEurope.countries(),
            [
                "AD", "AT", "BE", "CH", "CY", "DK", "ES", "FI", "IE", "IS", "IT", "LI", "LU", "MC", "MT", "NL", "NO",
                "PT", "SE", "SM", "VA",
            ]
        );
        // Every market has at least one country; every country is in one market.
        let total: usize = Market::ALL.into_iter().map(|m| m.countries().len()).sum();
        assert_eq!(total, COUNTRIES.len());
        assert!(Market::ALL.into_iter().all(|m| !m.countries().is_empty()));
    }

    #[test]
    fn country_table_is_consistent() {
        let mut seen = HashSet::new();
        for &(code, name, _, currency) in COUNTRIES {
            assert!(is_iso_alpha2_shape(code), "{code}");
            assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
            assert!(seen.insert(code), "duplicate {code}");
            assert!(!name.is_empty());
            let parsed = Currency::parse(currency).map(|c| c.code());
            assert_eq!(parsed, Some(currency), "{code} currency {currency}");
        }
    }

    #[test]
    fn alpha2_shape() {
        assert!(is_iso_alpha2_shape("JP"));
        // Issue 24: the shape is not enough; the code must be assigned.
        assert_eq!(ISO_3166_ALPHA2.len(), 249);
        assert!(ISO_3166_ALPHA2.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        assert!(is_iso_country("jp") && is_iso_country("TW") && is_iso_country("SE"));
        for fake in ["ZZ", "XX", "AA", "QM", "EU", "UK", "J1", "JPN"] {
            assert!(!is_iso_country(fake), "{fake}");
        }
        for &(code, ..) in COUNTRIES {
            assert!(is_iso_country(code), "{code}");
        }
        assert!(is_iso_alpha2_shape("xx"));
        assert!(!is_iso_alpha2_shape("J"));
        assert!(!is_iso_alpha2_shape("JPN"));
        assert!(!is_iso_alpha2_shape("J1"));
        assert!(!is_iso_alpha2_shape(""));
        assert!(!is_iso_alpha2_shape("É"));
        assert!(!is_iso_alpha2_shape("ÉÉ"));
    }
}
