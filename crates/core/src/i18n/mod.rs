//! Error messages in the caller's language (SPEC §10): English, Swedish,
//! Danish, Dutch and Traditional Chinese, chosen from `Accept-Language`,
//! English otherwise. One catalogue file per language (`en`, `sv`, `da`,
//! `nl`, `zh_tw`), each with its messages, its entity nouns (NOT_FOUND) and
//! its state reasons (INVALID_STATE); the tests below fail when one of them
//! is missing, empty, shared or left in English (issue 19).

mod da;
mod en;
mod nl;
mod sv;
mod zh_tw;

use crate::error::AppError;

/// A language the server writes messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Sv,
    Da,
    Nl,
    ZhTw,
}

impl Lang {
    /// Every supported language, in order of preference when the client
    /// accepts any language (`*`).
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Sv, Lang::Da, Lang::Nl, Lang::ZhTw];

    /// The BCP 47 tag, e.g. for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
            Lang::Da => "da",
            Lang::Nl => "nl",
            Lang::ZhTw => "zh-TW",
        }
    }

    /// The supported language a single language tag asks for, if any.
    /// `zh` without a Traditional script or region is not Traditional Chinese,
    /// and Norwegian (`nb`, `no`, `nn`) is not Danish.
    fn from_tag(tag: &str) -> Option<Lang> {
        let lower = tag.to_ascii_lowercase();
        let mut subtags = lower.split(['-', '_']);
        let primary = subtags.next()?;
        match primary {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            "da" => Some(Lang::Da),
            "nl" => Some(Lang::Nl),
            "zh" => {
                let rest: Vec<&str> = subtags.collect();
                if rest.contains(&"hant") {
                    Some(Lang::ZhTw)
                } else if rest.contains(&"hans") {
                    None
                } else if rest.iter().any(|s| matches!(*s, "tw" | "hk" | "mo")) {
                    // Taiwan, Hong Kong and Macau write Traditional characters.
                    Some(Lang::ZhTw)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// One entry of an `Accept-Language` header.
struct Range<'a> {
    tag: &'a str,
    q: f32,
}

/// Parses one comma-separated entry; `None` for anything malformed.
fn parse_range(entry: &str) -> Option<Range<'_>> {
    let mut parts = entry.split(';');
    let tag = parts.next()?.trim();
    let tag_ok = !tag.is_empty()
        && tag.len() <= 64
        && (tag == "*" || tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if !tag_ok {
        return None;
    }
    let mut q = 1.0_f32;
    for param in parts {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (key, value) = param.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("q") {
            let value: f32 = value.trim().parse().ok()?;
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return None;
            }
            q = value;
        }
    }
    Some(Range { tag, q })
}

/// Picks the supported language the client prefers most (highest q; on a tie
/// the earliest in the header), English when none is acceptable.
pub fn from_accept_language(header: &str) -> Lang {
    let ranges: Vec<Range<'_>> = header.split(',').filter_map(parse_range).collect();
    let mut best: Option<(Lang, f32)> = None;
    let mut consider = |lang: Lang, q: f32| {
        if q > 0.0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((lang, q));
        }
    };
    for range in &ranges {
        if range.tag == "*" {
            // `*` stands for every language not named elsewhere in the header.
            let named = |lang: Lang| ranges.iter().any(|r| r.tag != "*" && Lang::from_tag(r.tag) == Some(lang));
            if let Some(lang) = Lang::ALL.into_iter().find(|l| !named(*l)) {
                consider(lang, range.q);
            }
        } else if let Some(lang) = Lang::from_tag(range.tag) {
            consider(lang, range.q);
        }
    }
    best.map_or(Lang::En, |(lang, _)| lang)
}

/// The message for `err` in `lang`. `Internal` errors never reveal their cause.
pub fn message(err: &AppError, lang: Lang) -> String {
    match lang {
        Lang::En => en::message(err),
        Lang::Sv => sv::message(err),
        Lang::Da => da::message(err),
        Lang::Nl => nl::message(err),
        Lang::ZhTw => zh_tw::message(err),
    }
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{EntityKind, Invalid, StateReason};

    fn all_errors() -> Vec<AppError> {
        let reasons = [
            Invalid::Required,
            Invalid::TooLong { max: 100 },
            Invalid::OutOfRange { min: 1, max: 100 },
            Invalid::BadFormat,
            Invalid::CardNumber,
            Invalid::CardExpired,
            Invalid::NotAllowed,
            Invalid::Duplicate,
            Invalid::RangeOrder,
            Invalid::RangeTooLong { max_months: 24 },
        ];
        let mut errors: Vec<AppError> = reasons.into_iter().map(|r| AppError::validation("quantity", r)).collect();
        errors.extend([
            AppError::Unauthenticated,
            AppError::Forbidden,
            AppError::UntrustedDocument,
            AppError::IntrospectionDisabled,
            AppError::SsoRequired,
            AppError::AgreementRequired,
            AppError::RegionNotSupported,
            AppError::CurrencyNotSupported { currency: "JPY".into() },
            AppError::NotSelfServiceEligible,
            AppError::SelfServiceNotAllowed,
            AppError::SubscriptionNotActive,
            AppError::SubscriptionDisabled,
            AppError::LastOwner,
            AppError::CurrencyFixedForTerm { currency: "USD".into(), target: "CLP".into() },
            AppError::NoCreditBalance,
            AppError::LastGlobalAdmin,
            AppError::NotSeatBased,
            AppError::QuantityBelowAssigned { assigned: 7, to_unassign: 2 },
            AppError::TooManyUsers { max: 20 },
            AppError::UserNotInOrganization,
            AppError::InsufficientLicenses { available: 3 },
            AppError::PaymentDeclined,
            AppError::IdempotencyConflict,
            AppError::RateLimited,
            AppError::QueryTooComplex { limit: crate::error::ComplexityLimit::Cost, actual: 30_000, max: 25_000 },
            AppError::internal("SELECT * FROM secret; driver said no"),
        ]);
        errors.extend(EntityKind::ALL.iter().map(|&entity| AppError::NotFound { entity }));
        errors.extend(crate::error::SignInRefusal::ALL.iter().map(|&reason| AppError::SignInRefused { reason }));
        errors.extend(
            StateReason::ALL
                .iter()
                .filter(|r| {
                    !matches!(r, StateReason::LastOwner | StateReason::LastGlobalAdmin | StateReason::NoCreditBalance)
                })
                .map(|&reason| AppError::InvalidState { reason }),
        );
        errors
    }

    #[test]
    fn quantity_below_assigned_in_every_language() {
        let err = AppError::QuantityBelowAssigned { assigned: 7, to_unassign: 2 };
        assert_eq!(
            message(&err, Lang::En),
            "The new total is below the 7 licenses assigned now; unassign 2 licenses first."
        );
        assert_eq!(
            message(&err, Lang::Sv),
            "Det nya antalet är lägre än de 7 licenser som är tilldelade nu; ta först bort tilldelningen av 2 licenser."
        );
        assert_eq!(
            message(&err, Lang::Da),
            "Det nye antal er lavere end de 7 licenser, der er tildelt nu; fjern først tildelingen af 2 licenser."
        );
        assert_eq!(
            message(&err, Lang::Nl),
            "Het nieuwe totaal is lager dan de 7 licenties die nu zijn toegewezen; trek eerst 2 licenties in."
        );
        assert_eq!(message(&err, Lang::ZhTw), "新的總數低於目前已指派的 7 個授權；請先取消指派 2 個授權。");
    }

    #[test]
    fn singular_license_counts() {
        let err = AppError::QuantityBelowAssigned { assigned: 1, to_unassign: 1 };
        assert_eq!(
            message(&err, Lang::En),
            "The new total is below the 1 license assigned now; unassign 1 license first."
        );
        assert_eq!(
            message(&err, Lang::Sv),
            "Det nya antalet är lägre än den 1 licens som är tilldelad nu; ta först bort tilldelningen av 1 licens."
        );
        assert_eq!(
            message(&err, Lang::Nl),
            "Het nieuwe totaal is lager dan de 1 licentie die nu is toegewezen; trek eerst 1 licentie in."
        );
    }

    #[test]
    fn validation_in_every_language_keeps_the_field_name() {
        let err = AppError::validation("quantity", Invalid::OutOfRange { min: 1, max: 100 });
        assert_eq!(message(&err, Lang::En), "Field `quantity`: must be between 1 and 100.");
        assert_eq!(message(&err, Lang::Sv), "Fältet `quantity`: måste vara mellan 1 och 100.");
        assert_eq!(message(&err, Lang::Da), "Feltet `quantity`: skal være mellem 1 og 100.");
        assert_eq!(message(&err, Lang::Nl), "Veld `quantity`: moet tussen 1 en 100 liggen.");
        assert_eq!(message(&err, Lang::ZhTw), "欄位 `quantity`：必須介於 1 到 100 之間。");
    }

    #[test]
    fn every_invalid_reason_has_its_own_wording() {
        let reasons = [
            Invalid::Required,
            Invalid::TooLong { max: 100 },
            Invalid::OutOfRange { min: 1, max: 100 },
            Invalid::BadFormat,
            Invalid::CardNumber,
            Invalid::CardExpired,
            Invalid::NotAllowed,
            Invalid::Duplicate,
            Invalid::RangeOrder,
            Invalid::RangeTooLong { max_months: 24 },
        ];
        for lang in Lang::ALL {
            let texts: Vec<String> =
                reasons.iter().map(|r| message(&AppError::validation("name", r.clone()), lang)).collect();
            for (i, a) in texts.iter().enumerate() {
                assert!(a.contains("`name`"), "{a}");
                for b in &texts[i + 1..] {
                    assert_ne!(a, b, "{lang:?}");
                }
            }
        }
    }

    #[test]
    fn every_message_is_distinct_and_nonempty_in_every_language() {
        let errors = all_errors();
        for lang in Lang::ALL {
            let texts: Vec<String> = errors.iter().map(|e| message(e, lang)).collect();
            for (i, a) in texts.iter().enumerate() {
                assert!(!a.trim().is_empty());
                for b in &texts[i + 1..] {
                    assert_ne!(a, b, "{lang:?}");
                }
            }
        }
    }

    #[test]
    fn translations_differ_from_english() {
        for err in all_errors() {
            let en = message(&err, Lang::En);
            for lang in [Lang::Sv, Lang::Da, Lang::Nl, Lang::ZhTw] {
                assert_ne!(message(&err, lang), en, "{err:?} {lang:?}");
            }
        }
    }

    #[test]
    fn data_is_interpolated() {
        for lang in Lang::ALL {
            let m = message(&AppError::InsufficientLicenses { available: 3 }, lang);
            assert!(m.contains('3'), "{m}");
            let m = message(&AppError::CurrencyNotSupported { currency: "JPY".into() }, lang);
            assert!(m.contains("JPY"), "{m}");
            let m = message(&AppError::TooManyUsers { max: 20 }, lang);
            assert!(m.contains("20"), "{m}");
            let m = message(&AppError::validation("email", Invalid::TooLong { max: 254 }), lang);
            assert!(m.contains("254") && m.contains("`email`"), "{m}");
        }
        assert_eq!(
            message(&AppError::InsufficientLicenses { available: 3 }, Lang::En),
            "Not enough licenses: only 3 available."
        );
    }

    #[test]
    fn not_found_names_the_entity() {
        let err = AppError::NotFound { entity: EntityKind::Subscription };
        assert_eq!(message(&err, Lang::En), "The subscription was not found.");
        assert_eq!(message(&err, Lang::Sv), "Prenumerationen hittades inte.");
        assert_eq!(message(&err, Lang::Da), "Abonnementet blev ikke fundet.");
        assert_eq!(message(&err, Lang::Nl), "Het abonnement is niet gevonden.");
        assert_eq!(message(&err, Lang::ZhTw), "找不到指定的訂閱。");
    }

    /// The wording of a noun or state reason in one language.
    fn noun(lang: Lang, entity: EntityKind) -> &'static str {
        match lang {
            Lang::En => en::noun(entity),
            Lang::Sv => sv::noun(entity),
            Lang::Da => da::noun(entity),
            Lang::Nl => nl::noun(entity),
            Lang::ZhTw => zh_tw::noun(entity),
        }
    }

    fn state(lang: Lang, reason: StateReason) -> &'static str {
        match lang {
            Lang::En => en::state(reason),
            Lang::Sv => sv::state(reason),
            Lang::Da => da::state(reason),
            Lang::Nl => nl::state(reason),
            Lang::ZhTw => zh_tw::state(reason),
        }
    }

    /// Issue 19: every entity noun is translated in every catalogue: present,
    /// distinct from the other nouns, named in the NOT_FOUND message, and
    /// (outside English) not the English noun left in place.
    #[test]
    fn issue_19_every_noun_is_translated_in_every_language() {
        for lang in Lang::ALL {
            let mut seen = std::collections::HashSet::new();
            for &entity in EntityKind::ALL {
                let word = noun(lang, entity);
                assert!(!word.trim().is_empty(), "{lang:?} {entity:?}");
                assert!(seen.insert(word), "{lang:?}: {word} names two entities");
                let m = message(&AppError::NotFound { entity }, lang);
                assert!(m.contains(word), "{lang:?}: {m}");
                if lang != Lang::En {
                    assert_ne!(word, en::noun(entity), "{lang:?} {entity:?} is still English");
                    assert_ne!(m, message(&AppError::NotFound { entity }, Lang::En), "{lang:?}");
                }
            }
        }
    }

    /// Issue 19, issue 24: every INVALID_STATE reason is said in words in
    /// every language (never the raw code such as IN_USE or EXPIRED), and
    /// every error with that code carries a reason.
    #[test]
    fn issue_24_every_state_reason_is_worded_in_every_language() {
        for lang in Lang::ALL {
            let mut seen = std::collections::HashSet::new();
            for &reason in StateReason::ALL {
                let text = state(lang, reason);
                assert!(text.trim().len() > 10, "{lang:?} {reason:?}");
                assert!(seen.insert(text), "{lang:?}: {reason:?} shares its wording");
                assert!(!text.contains(reason.code()), "{lang:?}: {text}");
                if lang != Lang::En {
                    assert_ne!(text, en::state(reason), "{lang:?} {reason:?}");
                }
                let m = message(&AppError::InvalidState { reason }, lang);
                assert_eq!(m, text);
            }
        }
        for err in all_errors() {
            assert_eq!(err.code() == "INVALID_STATE", err.state_reason().is_some(), "{err:?}");
        }
    }

    #[test]
    fn internal_never_reveals_its_cause() {
        let err = AppError::internal("database: relation \"users\" does not exist");
        for lang in Lang::ALL {
            let m = message(&err, lang);
            assert!(!m.contains("database"), "{m}");
            assert!(!m.contains("users"), "{m}");
            assert!(!m.contains("relation"), "{m}");
        }
        assert_eq!(message(&err, Lang::En), "An internal error occurred.");
        // Display (logs only) names the code, never the cause.
        assert_eq!(err.to_string(), "INTERNAL");
    }

    #[test]
    fn tags() {
        let tags: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
        assert_eq!(tags, ["en", "sv", "da", "nl", "zh-TW"]);
        assert_eq!(Lang::default(), Lang::En);
    }

    #[test]
    fn accept_language_cases() {
        let cases = [
            ("da-DK,da;q=0.9,en;q=0.8", Lang::Da),
            ("zh-TW", Lang::ZhTw),
            ("zh-Hant-TW", Lang::ZhTw),
            ("zh-Hant", Lang::ZhTw),
            ("zh-hk", Lang::ZhTw),
            ("nl-BE;q=0.5, fr", Lang::Nl),
            ("sv", Lang::Sv),
            ("*", Lang::En),
            ("", Lang::En),
            ("fr-FR, de;q=0.9", Lang::En),
            ("en-US,en;q=0.9,sv;q=0.8", Lang::En),
            ("fr;q=0.9, sv;q=0.2, nl;q=0.7", Lang::Nl),
            ("sv;q=0.8, da;q=0.8", Lang::Sv),
            ("da;q=0.8, sv;q=0.8", Lang::Da),
            ("sv;q=0.5, da", Lang::Da),
            ("SV-se", Lang::Sv),
            ("sv_SE", Lang::Sv),
            ("en;q=0, sv;q=0.1", Lang::Sv),
            ("sv;q=0", Lang::En),
        ];
        for (header, want) in cases {
            assert_eq!(from_accept_language(header), want, "{header:?}");
        }
    }

    #[test]
    fn simplified_chinese_is_not_traditional() {
        assert_eq!(from_accept_language("zh"), Lang::En);
        assert_eq!(from_accept_language("zh-CN"), Lang::En);
        assert_eq!(from_accept_language("zh-Hans"), Lang::En);
        assert_eq!(from_accept_language("zh-Hans-TW"), Lang::En);
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,sv;q=0.5"), Lang::Sv);
        assert_eq!(from_accept_language("zh, zh-TW;q=0.8, en;q=0.5"), Lang::ZhTw);
    }

    #[test]
    fn norwegian_is_not_danish() {
        assert_eq!(from_accept_language("nb"), Lang::En);
        assert_eq!(from_accept_language("no"), Lang::En);
        assert_eq!(from_accept_language("nb-NO,no;q=0.9,nn;q=0.8,da;q=0.5"), Lang::Da);
    }

    #[test]
    fn wildcard_means_languages_not_named() {
        assert_eq!(from_accept_language("fr, *;q=0.5"), Lang::En);
        assert_eq!(from_accept_language("en;q=0, *"), Lang::Sv);
        assert_eq!(from_accept_language("*;q=0.1, nl;q=0.5"), Lang::Nl);
    }

    #[test]
    fn garbage_does_not_panic() {
        let junk = [
            ",,,;;;",
            ";q=1",
            "sv;q=abc",
            "sv;q=2",
            "sv;q=NaN, da",
            "sv;q=inf",
            "sv;=",
            "\u{0}\u{ffff}ä,ö;q=0.9",
            "da;;q=0.5;;",
            "-,--,_",
            "zh-",
            "🙂;q=0.5",
            "en;q=-1",
        ];
        for header in junk {
            let _ = from_accept_language(header);
        }
        assert_eq!(from_accept_language("sv;q=abc, da;q=0.1"), Lang::Da);
        assert_eq!(from_accept_language("sv;q=NaN, da"), Lang::Da);
        assert_eq!(from_accept_language("da;;q=0.5;;"), Lang::Da);
        let long = "x-".repeat(10_000);
        assert_eq!(from_accept_language(&long), Lang::En);
    }
}
