//! Error messages in the caller's language (SPEC §10): English, Swedish,
//! Danish, Dutch and Traditional Chinese, chosen from `Accept-Language`,
//! English otherwise.

use crate::error::{AppError, Invalid};

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
        Lang::En => en(err),
        Lang::Sv => sv(err),
        Lang::Da => da(err),
        Lang::Nl => nl(err),
        Lang::ZhTw => zh_tw(err),
    }
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

// ---------------------------------------------------------------- English

fn en(err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => "You are not signed in or your session has expired. Sign in and try again.".into(),
        AppError::Forbidden => {
            "You do not have permission to do this. Ask an administrator of your organization for access.".into()
        }
        AppError::NotFound { entity } => format!("The {entity} was not found."),
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "is required.".to_string(),
                Invalid::TooLong { max } => {
                    format!("is too long (at most {max} characters or items).")
                }
                Invalid::OutOfRange { min, max } => format!("must be between {min} and {max}."),
                Invalid::BadFormat => "is not in the expected format.".into(),
                Invalid::CardNumber => "is not a valid card number. Check the digits and try again.".into(),
                Invalid::CardExpired => "the card has expired; use another card.".into(),
                Invalid::NotAllowed => "this value is not allowed here.".into(),
                Invalid::Duplicate => "this value is already in use.".into(),
                Invalid::RangeOrder => "the start date must not be after the end date.".into(),
                Invalid::RangeTooLong { max_months } => format!("the date range may span at most {max_months} months."),
            };
            format!("Field `{field}`: {why}")
        }
        AppError::AgreementRequired => {
            "Your organization must accept the customer agreement before its first purchase.".into()
        }
        AppError::RegionNotSupported => {
            "This product is not available in your organization's country or region.".into()
        }
        AppError::CurrencyNotSupported { currency } => format!(
            "The product has no price in {currency} for this term. Choose a billing profile with another currency or another term."
        ),
        AppError::NotSelfServiceEligible => {
            "This product cannot be bought through self-service. Ask an administrator or your partner to buy it.".into()
        }
        AppError::SelfServiceNotAllowed => {
            "Self-service purchases are turned off for your organization. Ask an administrator to buy it for you."
                .into()
        }
        AppError::SubscriptionNotActive => {
            "The subscription is not active yet; licenses can be assigned once the app has been activated.".into()
        }
        AppError::SubscriptionDisabled => {
            "The subscription is disabled and can no longer be changed. Buy a new subscription to keep using the app."
                .into()
        }
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "The subscription is billed in {currency}, and a subscription's currency is fixed for its term; it cannot move to a billing profile that bills in {target}. Choose a profile that bills in {currency}."
        ),
        AppError::NoCreditBalance => "This billing profile has no credit balance to refund.".into(),
        AppError::LastOwner => {
            "The last owner of a billing profile cannot be removed. Make someone else an owner first.".into()
        }
        AppError::LastGlobalAdmin => {
            "The organization's last global admin cannot be deactivated, deleted or demoted. Make someone else a global admin first.".into()
        }
        AppError::InvalidState { state } => {
            format!("This is not possible while the status is {state}.")
        }
        AppError::NotSeatBased => {
            "This subscription is not licensed per user, so its license quantity cannot be changed.".into()
        }
        AppError::QuantityBelowAssigned { assigned, to_unassign } => format!(
            "The new total is below the {assigned} {} assigned now; unassign {to_unassign} {} first.",
            plural(*assigned, "license", "licenses"),
            plural(*to_unassign, "license", "licenses"),
        ),
        AppError::TooManyUsers { max } => {
            format!("Too many users in one request: at most {max} at a time. Split the list into smaller batches.")
        }
        AppError::UserNotInOrganization => {
            "The user does not belong to this organization. Add the user to the organization first.".into()
        }
        AppError::InsufficientLicenses { available } => {
            format!("Not enough licenses: only {available} available.")
        }
        AppError::PaymentDeclined => {
            "The payment was declined. Check the payment details or use another payment method.".into()
        }
        AppError::IdempotencyConflict => {
            "This idempotency key was already used for a different request. Use a new key for a new request.".into()
        }
        AppError::RateLimited => "Too many requests. Wait a moment and try again.".into(),
        AppError::QueryTooComplex => {
            "The query is too complex or too deeply nested. Ask for fewer fields or split it into several queries."
                .into()
        }
        AppError::Internal(_) => "An internal error occurred.".into(),
    }
}

// ---------------------------------------------------------------- Swedish

/// The noun in definite form, capitalized to start a sentence.
fn sv_entity(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "subscription" => "Prenumerationen",
        "user" => "Användaren",
        "product" => "Produkten",
        "billing profile" => "Faktureringsprofilen",
        "invoice" => "Fakturan",
        "payment method" => "Betalningsmetoden",
        "organization" => "Organisationen",
        "publisher" => "Utgivaren",
        "proposal" => "Offerten",
        _ => return None,
    })
}

fn sv(err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => "Du är inte inloggad eller så har din session gått ut. Logga in och försök igen.".into(),
        AppError::Forbidden => "Du har inte behörighet att göra detta. Be en administratör i din organisation om åtkomst.".into(),
        AppError::NotFound { entity } => match sv_entity(entity) {
            Some(noun) => format!("{noun} hittades inte."),
            None => format!("Det efterfrågade objektet ({entity}) hittades inte."),
        },
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "måste fyllas i.".to_string(),
                Invalid::TooLong { max } => {
                    format!("är för långt (högst {max} tecken eller poster).")
                }
                Invalid::OutOfRange { min, max } => format!("måste vara mellan {min} och {max}."),
                Invalid::BadFormat => "har fel format.".into(),
                Invalid::CardNumber => {
                    "är inte ett giltigt kortnummer. Kontrollera siffrorna och försök igen.".into()
                }
                Invalid::CardExpired => "kortet har gått ut; använd ett annat kort.".into(),
                Invalid::NotAllowed => "värdet är inte tillåtet här.".into(),
                Invalid::Duplicate => "värdet används redan.".into(),
                Invalid::RangeOrder => "startdatumet får inte vara senare än slutdatumet.".into(),
                Invalid::RangeTooLong { max_months } => format!("datumintervallet får omfatta högst {max_months} månader."),
            };
            format!("Fältet `{field}`: {why}")
        }
        AppError::AgreementRequired => "Din organisation måste godkänna kundavtalet före sitt första köp.".into(),
        AppError::RegionNotSupported => "Produkten är inte tillgänglig i din organisations land eller region.".into(),
        AppError::CurrencyNotSupported { currency } => format!(
            "Produkten har inget pris i {currency} för den här perioden. Välj en faktureringsprofil med en annan valuta eller en annan period."
        ),
        AppError::NotSelfServiceEligible => "Den här produkten kan inte köpas via självbetjäning. Be en administratör eller din partner att köpa den.".into(),
        AppError::SelfServiceNotAllowed => "Köp via självbetjäning är avstängda för din organisation. Be en administratör att köpa åt dig.".into(),
        AppError::SubscriptionNotActive => "Prenumerationen är inte aktiv än; licenser kan tilldelas när appen har aktiverats.".into(),
        AppError::SubscriptionDisabled => "Prenumerationen är inaktiverad och kan inte längre ändras. Köp en ny prenumeration för att fortsätta använda appen.".into(),
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "Prenumerationen faktureras i {currency}, och en prenumerations valuta är fast under dess period; den kan inte flyttas till en faktureringsprofil som fakturerar i {target}. Välj en profil som fakturerar i {currency}."
        ),
        AppError::NoCreditBalance => "Den här faktureringsprofilen har inget tillgodohavande att återbetala.".into(),
        AppError::LastOwner => "Den sista ägaren av en faktureringsprofil kan inte tas bort. Gör någon annan till ägare först.".into(),
        AppError::LastGlobalAdmin => "Organisationens sista globala administratör kan inte inaktiveras, tas bort eller degraderas. Gör någon annan till global administratör först.".into(),
        AppError::InvalidState { state } => {
            format!("Det går inte att göra så länge statusen är {state}.")
        }
        AppError::NotSeatBased => "Den här prenumerationen licensieras inte per användare, så antalet licenser kan inte ändras.".into(),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => format!(
            "Det nya antalet är lägre än {} som är {} nu; ta först bort tilldelningen av {to_unassign} {}.",
            if *assigned == 1 {
                "den 1 licens".to_string()
            } else {
                format!("de {assigned} licenser")
            },
            plural(*assigned, "tilldelad", "tilldelade"),
            plural(*to_unassign, "licens", "licenser"),
        ),
        AppError::TooManyUsers { max } => format!(
            "För många användare i en och samma begäran: högst {max} åt gången. Dela upp listan i mindre omgångar."
        ),
        AppError::UserNotInOrganization => "Användaren tillhör inte den här organisationen. Lägg först till användaren i organisationen.".into(),
        AppError::InsufficientLicenses { available } => format!(
            "Det finns inte tillräckligt med licenser: bara {available} {}.",
            plural(*available, "tillgänglig", "tillgängliga")
        ),
        AppError::PaymentDeclined => "Betalningen avvisades. Kontrollera betalningsuppgifterna eller använd en annan betalningsmetod.".into(),
        AppError::IdempotencyConflict => "Den här idempotensnyckeln har redan använts för en annan begäran. Använd en ny nyckel för en ny begäran.".into(),
        AppError::RateLimited => "För många förfrågningar. Vänta en stund och försök igen.".into(),
        AppError::QueryTooComplex => "Frågan är för komplex eller för djupt nästlad. Begär färre fält eller dela upp den i flera frågor.".into(),
        AppError::Internal(_) => "Ett internt fel uppstod.".into(),
    }
}

// ----------------------------------------------------------------- Danish

fn da_entity(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "subscription" => "Abonnementet",
        "user" => "Brugeren",
        "product" => "Produktet",
        "billing profile" => "Faktureringsprofilen",
        "invoice" => "Fakturaen",
        "payment method" => "Betalingsmetoden",
        "organization" => "Organisationen",
        "publisher" => "Udgiveren",
        "proposal" => "Tilbuddet",
        _ => return None,
    })
}

fn da(err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => "Du er ikke logget ind, eller din session er udløbet. Log ind, og prøv igen.".into(),
        AppError::Forbidden => "Du har ikke tilladelse til at gøre dette. Bed en administrator i din organisation om adgang.".into(),
        AppError::NotFound { entity } => match da_entity(entity) {
            Some(noun) => format!("{noun} blev ikke fundet."),
            None => format!("Det ønskede objekt ({entity}) blev ikke fundet."),
        },
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "skal udfyldes.".to_string(),
                Invalid::TooLong { max } => {
                    format!("er for langt (højst {max} tegn eller elementer).")
                }
                Invalid::OutOfRange { min, max } => format!("skal være mellem {min} og {max}."),
                Invalid::BadFormat => "har ikke det forventede format.".into(),
                Invalid::CardNumber => {
                    "er ikke et gyldigt kortnummer. Kontrollér cifrene, og prøv igen.".into()
                }
                Invalid::CardExpired => "kortet er udløbet; brug et andet kort.".into(),
                Invalid::NotAllowed => "værdien er ikke tilladt her.".into(),
                Invalid::Duplicate => "værdien er allerede i brug.".into(),
                Invalid::RangeOrder => "startdatoen må ikke ligge efter slutdatoen.".into(),
                Invalid::RangeTooLong { max_months } => format!("datointervallet må højst strække sig over {max_months} måneder."),
            };
            format!("Feltet `{field}`: {why}")
        }
        AppError::AgreementRequired => "Din organisation skal acceptere kundeaftalen før sit første køb.".into(),
        AppError::RegionNotSupported => "Produktet er ikke tilgængeligt i din organisations land eller region.".into(),
        AppError::CurrencyNotSupported { currency } => format!(
            "Produktet har ingen pris i {currency} for denne periode. Vælg en faktureringsprofil med en anden valuta eller en anden periode."
        ),
        AppError::NotSelfServiceEligible => "Dette produkt kan ikke købes via selvbetjening. Bed en administrator eller din partner om at købe det.".into(),
        AppError::SelfServiceNotAllowed => "Køb via selvbetjening er slået fra for din organisation. Bed en administrator om at købe det for dig.".into(),
        AppError::SubscriptionNotActive => "Abonnementet er ikke aktivt endnu; licenser kan tildeles, når appen er aktiveret.".into(),
        AppError::SubscriptionDisabled => "Abonnementet er deaktiveret og kan ikke længere ændres. Køb et nyt abonnement for at blive ved med at bruge appen.".into(),
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "Abonnementet faktureres i {currency}, og et abonnements valuta ligger fast i hele perioden; det kan ikke flyttes til en faktureringsprofil, der fakturerer i {target}. Vælg en profil, der fakturerer i {currency}."
        ),
        AppError::NoCreditBalance => "Denne faktureringsprofil har ingen kreditsaldo at refundere.".into(),
        AppError::LastOwner => "Den sidste ejer af en faktureringsprofil kan ikke fjernes. Gør en anden til ejer først.".into(),
        AppError::LastGlobalAdmin => "Organisationens sidste globale administrator kan ikke deaktiveres, slettes eller degraderes. Gør en anden til global administrator først.".into(),
        AppError::InvalidState { state } => {
            format!("Det kan ikke lade sig gøre, så længe status er {state}.")
        }
        AppError::NotSeatBased => "Dette abonnement licenseres ikke pr. bruger, så antallet af licenser kan ikke ændres.".into(),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => format!(
            "Det nye antal er lavere end {}, der er tildelt nu; fjern først tildelingen af {to_unassign} {}.",
            if *assigned == 1 {
                "den 1 licens".to_string()
            } else {
                format!("de {assigned} licenser")
            },
            plural(*to_unassign, "licens", "licenser"),
        ),
        AppError::TooManyUsers { max } => format!(
            "For mange brugere i én anmodning: højst {max} ad gangen. Del listen op i mindre portioner."
        ),
        AppError::UserNotInOrganization => "Brugeren tilhører ikke denne organisation. Tilføj først brugeren til organisationen.".into(),
        AppError::InsufficientLicenses { available } => format!(
            "Der er ikke nok licenser: kun {available} {}.",
            plural(*available, "ledig", "ledige")
        ),
        AppError::PaymentDeclined => "Betalingen blev afvist. Kontrollér betalingsoplysningerne, eller brug en anden betalingsmetode.".into(),
        AppError::IdempotencyConflict => "Denne idempotensnøgle er allerede brugt til en anden anmodning. Brug en ny nøgle til en ny anmodning.".into(),
        AppError::RateLimited => "For mange anmodninger. Vent et øjeblik, og prøv igen.".into(),
        AppError::QueryTooComplex => "Forespørgslen er for kompleks eller for dybt indlejret. Bed om færre felter, eller del den op i flere forespørgsler.".into(),
        AppError::Internal(_) => "Der opstod en intern fejl.".into(),
    }
}

// ------------------------------------------------------------------ Dutch

fn nl_entity(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "subscription" => "Het abonnement",
        "user" => "De gebruiker",
        "product" => "Het product",
        "billing profile" => "Het factureringsprofiel",
        "invoice" => "De factuur",
        "payment method" => "De betaalmethode",
        "organization" => "De organisatie",
        "publisher" => "De uitgever",
        "proposal" => "De offerte",
        _ => return None,
    })
}

fn nl(err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => "U bent niet aangemeld of uw sessie is verlopen. Meld u aan en probeer het opnieuw.".into(),
        AppError::Forbidden => "U hebt geen toestemming om dit te doen. Vraag een beheerder van uw organisatie om toegang.".into(),
        AppError::NotFound { entity } => match nl_entity(entity) {
            Some(noun) => format!("{noun} is niet gevonden."),
            None => format!("Het gevraagde object ({entity}) is niet gevonden."),
        },
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "is verplicht.".to_string(),
                Invalid::TooLong { max } => {
                    format!("is te lang (maximaal {max} tekens of items).")
                }
                Invalid::OutOfRange { min, max } => format!("moet tussen {min} en {max} liggen."),
                Invalid::BadFormat => "heeft niet de verwachte notatie.".into(),
                Invalid::CardNumber => {
                    "is geen geldig kaartnummer. Controleer de cijfers en probeer het opnieuw."
                        .into()
                }
                Invalid::CardExpired => "de kaart is verlopen; gebruik een andere kaart.".into(),
                Invalid::NotAllowed => "deze waarde is hier niet toegestaan.".into(),
                Invalid::Duplicate => "deze waarde is al in gebruik.".into(),
                Invalid::RangeOrder => "de begindatum mag niet na de einddatum liggen.".into(),
                Invalid::RangeTooLong { max_months } => format!("het datumbereik mag hoogstens {max_months} maanden beslaan."),
            };
            format!("Veld `{field}`: {why}")
        }
        AppError::AgreementRequired => "Uw organisatie moet de klantovereenkomst accepteren voor de eerste aankoop.".into(),
        AppError::RegionNotSupported => "Dit product is niet beschikbaar in het land of de regio van uw organisatie.".into(),
        AppError::CurrencyNotSupported { currency } => format!(
            "Het product heeft geen prijs in {currency} voor deze looptijd. Kies een factureringsprofiel met een andere valuta of een andere looptijd."
        ),
        AppError::NotSelfServiceEligible => "Dit product kan niet via selfservice worden gekocht. Vraag een beheerder of uw partner om het te kopen.".into(),
        AppError::SelfServiceNotAllowed => "Aankopen via selfservice zijn uitgeschakeld voor uw organisatie. Vraag een beheerder om het voor u te kopen.".into(),
        AppError::SubscriptionNotActive => "Het abonnement is nog niet actief; licenties kunnen worden toegewezen zodra de app is geactiveerd.".into(),
        AppError::SubscriptionDisabled => "Het abonnement is uitgeschakeld en kan niet meer worden gewijzigd. Koop een nieuw abonnement om de app te blijven gebruiken.".into(),
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "Het abonnement wordt gefactureerd in {currency}, en de valuta van een abonnement ligt vast voor de looptijd; het kan niet naar een factureringsprofiel dat factureert in {target}. Kies een profiel dat factureert in {currency}."
        ),
        AppError::NoCreditBalance => "Dit factureringsprofiel heeft geen tegoed om terug te betalen.".into(),
        AppError::LastOwner => "De laatste eigenaar van een factureringsprofiel kan niet worden verwijderd. Maak eerst iemand anders eigenaar.".into(),
        AppError::LastGlobalAdmin => "De laatste globale beheerder van de organisatie kan niet worden gedeactiveerd, verwijderd of gedegradeerd. Maak eerst iemand anders globale beheerder.".into(),
        AppError::InvalidState { state } => {
            format!("Dit is niet mogelijk zolang de status {state} is.")
        }
        AppError::NotSeatBased => "Dit abonnement wordt niet per gebruiker gelicentieerd, dus het aantal licenties kan niet worden gewijzigd.".into(),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => format!(
            "Het nieuwe totaal is lager dan de {assigned} {} die nu {} toegewezen; trek eerst {to_unassign} {} in.",
            plural(*assigned, "licentie", "licenties"),
            plural(*assigned, "is", "zijn"),
            plural(*to_unassign, "licentie", "licenties"),
        ),
        AppError::TooManyUsers { max } => format!(
            "Te veel gebruikers in één verzoek: maximaal {max} tegelijk. Splits de lijst op in kleinere delen."
        ),
        AppError::UserNotInOrganization => "De gebruiker hoort niet bij deze organisatie. Voeg de gebruiker eerst toe aan de organisatie.".into(),
        AppError::InsufficientLicenses { available } => {
            format!("Niet genoeg licenties: slechts {available} beschikbaar.")
        }
        AppError::PaymentDeclined => "De betaling is geweigerd. Controleer de betaalgegevens of gebruik een andere betaalmethode.".into(),
        AppError::IdempotencyConflict => "Deze idempotentiesleutel is al gebruikt voor een ander verzoek. Gebruik een nieuwe sleutel voor een nieuw verzoek.".into(),
        AppError::RateLimited => "Te veel verzoeken. Wacht even en probeer het opnieuw.".into(),
        AppError::QueryTooComplex => "De query is te complex of te diep genest. Vraag minder velden op of splits de query op in meerdere query's.".into(),
        AppError::Internal(_) => "Er is een interne fout opgetreden.".into(),
    }
}

// ---------------------------------------------------- Traditional Chinese

fn zh_entity(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "subscription" => "訂閱",
        "user" => "使用者",
        "product" => "產品",
        "billing profile" => "帳單設定檔",
        "invoice" => "發票",
        "payment method" => "付款方式",
        "organization" => "組織",
        "publisher" => "發行商",
        "proposal" => "提案",
        _ => return None,
    })
}

fn zh_tw(err: &AppError) -> String {
    match err {
        AppError::Unauthenticated => "您尚未登入，或工作階段已過期。請登入後再試一次。".into(),
        AppError::Forbidden => "您沒有執行此操作的權限。請向貴組織的管理員申請存取權。".into(),
        AppError::NotFound { entity } => match zh_entity(entity) {
            Some(noun) => format!("找不到指定的{noun}。"),
            None => format!("找不到指定的項目（{entity}）。"),
        },
        AppError::Validation { field, reason } => {
            let why = match reason {
                Invalid::Required => "為必填欄位。".to_string(),
                Invalid::TooLong { max } => format!("過長（最多 {max} 個字元或項目）。"),
                Invalid::OutOfRange { min, max } => format!("必須介於 {min} 到 {max} 之間。"),
                Invalid::BadFormat => "格式不正確。".into(),
                Invalid::CardNumber => "不是有效的卡號。請檢查號碼後再試一次。".into(),
                Invalid::CardExpired => "此卡已過期，請改用其他卡片。".into(),
                Invalid::NotAllowed => "此處不允許使用這個值。".into(),
                Invalid::Duplicate => "這個值已被使用。".into(),
                Invalid::RangeOrder => "開始日期不得晚於結束日期。".into(),
                Invalid::RangeTooLong { max_months } => format!("日期範圍最多只能涵蓋 {max_months} 個月。"),
            };
            format!("欄位 `{field}`：{why}")
        }
        AppError::AgreementRequired => "貴組織必須先接受客戶合約，才能進行第一次購買。".into(),
        AppError::RegionNotSupported => "貴組織所在的國家或地區無法購買此產品。".into(),
        AppError::CurrencyNotSupported { currency } => {
            format!("此產品在這個期間沒有 {currency} 的價格。請選擇使用其他幣別的帳單設定檔，或選擇其他期間。")
        }
        AppError::NotSelfServiceEligible => "此產品無法透過自助服務購買。請由管理員或您的合作夥伴代為購買。".into(),
        AppError::SelfServiceNotAllowed => "貴組織已停用自助服務購買。請洽詢管理員代為購買。".into(),
        AppError::SubscriptionNotActive => "此訂閱尚未啟用；應用程式啟用後才能指派授權。".into(),
        AppError::SubscriptionDisabled => "此訂閱已停用，無法再變更。若要繼續使用此應用程式，請購買新的訂閱。".into(),
        AppError::CurrencyFixedForTerm { currency, target } => format!(
            "此訂閱以 {currency} 計費，且訂閱的幣別在其期間內固定不變；無法移至以 {target} 計費的帳單設定檔。請選擇以 {currency} 計費的帳單設定檔。"
        ),
        AppError::NoCreditBalance => "此帳單設定檔沒有可退款的抵免餘額。".into(),
        AppError::LastOwner => "無法移除帳單設定檔的最後一位擁有者。請先將其他人設為擁有者。".into(),
        AppError::LastGlobalAdmin => {
            "無法停用、刪除或降級組織的最後一位全域管理員。請先將其他人設為全域管理員。".into()
        }
        AppError::InvalidState { state } => format!("目前狀態為 {state}，無法執行此操作。"),
        AppError::NotSeatBased => "此訂閱並非按使用者授權，因此無法變更授權數量。".into(),
        AppError::QuantityBelowAssigned { assigned, to_unassign } => {
            format!("新的總數低於目前已指派的 {assigned} 個授權；請先取消指派 {to_unassign} 個授權。")
        }
        AppError::TooManyUsers { max } => {
            format!("單次請求的使用者過多：一次最多 {max} 位。請將名單分成較小的批次。")
        }
        AppError::UserNotInOrganization => "此使用者不屬於這個組織。請先將該使用者加入組織。".into(),
        AppError::InsufficientLicenses { available } => {
            format!("授權數量不足：僅剩 {available} 個可用。")
        }
        AppError::PaymentDeclined => "付款遭拒。請檢查付款資料，或改用其他付款方式。".into(),
        AppError::IdempotencyConflict => "此冪等金鑰已用於另一個不同的請求。新的請求請使用新的金鑰。".into(),
        AppError::RateLimited => "請求次數過多。請稍候再試。".into(),
        AppError::QueryTooComplex => "查詢過於複雜或巢狀層級過深。請減少要求的欄位，或拆成多個查詢。".into(),
        AppError::Internal(_) => "發生內部錯誤。".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            AppError::NotFound { entity: "subscription" },
            AppError::NotFound { entity: "license key" },
            AppError::AgreementRequired,
            AppError::RegionNotSupported,
            AppError::CurrencyNotSupported { currency: "JPY".into() },
            AppError::NotSelfServiceEligible,
            AppError::SelfServiceNotAllowed,
            AppError::SubscriptionNotActive,
            AppError::SubscriptionDisabled,
            AppError::InvalidState { state: "ACTIVE".into() },
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
            AppError::QueryTooComplex,
            AppError::internal("SELECT * FROM secret; driver said no"),
        ]);
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
            let m = message(&AppError::InvalidState { state: "DISABLED".into() }, lang);
            assert!(m.contains("DISABLED"), "{m}");
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
        let err = AppError::NotFound { entity: "subscription" };
        assert_eq!(message(&err, Lang::En), "The subscription was not found.");
        assert_eq!(message(&err, Lang::Sv), "Prenumerationen hittades inte.");
        assert_eq!(message(&err, Lang::Da), "Abonnementet blev ikke fundet.");
        assert_eq!(message(&err, Lang::Nl), "Het abonnement is niet gevonden.");
        assert_eq!(message(&err, Lang::ZhTw), "找不到指定的訂閱。");
        let other = AppError::NotFound { entity: "license key" };
        for lang in Lang::ALL {
            assert!(message(&other, lang).contains("license key"));
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
