//! Swedish messages (SPEC §10). Every match is exhaustive, so a
//! new error, noun or state reason does not compile until it is worded
//! here; `super::tests` checks that each wording is there and distinct.

use crate::error::{AppError, EntityKind, Invalid, SignInRefusal, StateReason};

use super::plural;

/// The noun as it starts the sentence (definite form, capitalized).
pub(super) fn noun(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::ApiClient => "API-klienten",
        EntityKind::BillingProfile => "Faktureringsprofilen",
        EntityKind::Event => "Händelsen",
        EntityKind::Group => "Gruppen",
        EntityKind::Invoice => "Fakturan",
        EntityKind::Object => "Objektet",
        EntityKind::Organization => "Organisationen",
        EntityKind::PartnerRelationship => "Partnerrelationen",
        EntityKind::PaymentMethod => "Betalningsmetoden",
        EntityKind::Product => "Produkten",
        EntityKind::Proposal => "Offerten",
        EntityKind::Publisher => "Utgivaren",
        EntityKind::PurchaseToken => "Köptoken",
        EntityKind::ScimToken => "Katalogtoken",
        EntityKind::Session => "Sessionen",
        EntityKind::Subscription => "Prenumerationen",
        EntityKind::User => "Användaren",
        EntityKind::WebhookEndpoint => "Webhook-slutpunkten",
        EntityKind::PortalConsent => "Portalmedgivandet",
    }
}

/// Why the object's state does not allow the operation, in words a person
/// can act on (`INVALID_STATE`; the code is in `extensions.reason`).
pub(super) fn state(reason: StateReason) -> &'static str {
    match reason {
        StateReason::SubscriptionPendingActivation => {
            "Prenumerationen har inte aktiverats än. Aktivera appen först och försök sedan igen."
        }
        StateReason::SubscriptionActive => "Prenumerationen är redan aktiv; det finns inget kvar att aktivera.",
        StateReason::SubscriptionDisabled => {
            "Det här går inte längre: prenumerationen är inaktiverad. Köp en ny prenumeration för att fortsätta använda appen."
        }
        StateReason::InvoiceUnpaid => "Fakturan är inte betald än. Betala den först och försök sedan igen.",
        StateReason::InvoicePaid => "Fakturan är redan betald; det finns inget kvar att betala.",
        StateReason::InvoiceCredited => "Fakturan har krediterats och det finns inget att betala.",
        StateReason::ProposalOpen => "Offerten är fortfarande öppen. Acceptera eller avböj den först.",
        StateReason::ProposalAccepted => {
            "Offerten har redan accepterats; dess prenumerationer finns i din prenumerationslista."
        }
        StateReason::ProposalDeclined => {
            "Offerten har avböjts och kan inte längre accepteras. Be partnern om en ny offert."
        }
        StateReason::ProposalExpired => {
            "Offerten har gått ut och kan inte längre accepteras. Be partnern om en ny offert."
        }
        StateReason::RelationshipPending => {
            "En partnerförfrågan väntar redan på kundens beslut. Vänta på kundens svar."
        }
        StateReason::RelationshipApproved => "Partnerrelationen är redan godkänd och gäller.",
        StateReason::RelationshipRejected => {
            "Kunden har avvisat partnerförfrågan; den kan inte längre ändras. Skicka en ny förfrågan vid behov."
        }
        StateReason::RelationshipEnded => {
            "Partnerrelationen har upphört och kan inte längre ändras. Skicka en ny förfrågan för att arbeta för kunden igen."
        }
        StateReason::ApiClientRevoked => {
            "API-klienten har återkallats och kan inte längre ändras. Skapa en ny klient i stället."
        }
        StateReason::PaymentMethodInUse => {
            "Betalningsmetoden används fortfarande av en faktureringsprofil. Ge först de profilerna en annan betalningsmetod."
        }
        StateReason::PaymentMethodReplaced => {
            "Betalningsmetoden har ersatts eller tagits bort och kan inte längre ändras. Använd den aktuella betalningsmetoden."
        }
        StateReason::LastOwner => {
            "Den sista ägaren av en faktureringsprofil kan inte tas bort. Gör någon annan till ägare först."
        }
        StateReason::LastGlobalAdmin => {
            "Organisationens sista globala administratör kan inte inaktiveras, tas bort eller degraderas. Gör någon annan till global administratör först."
        }
        StateReason::VersionChanged => {
            "Objektet har ändrats sedan du läste det. Läs det igen och gör ändringen på nytt."
        }
        StateReason::NoCreditBalance => "Den här faktureringsprofilen har inget tillgodohavande att återbetala.",
    }
}

/// Why a single sign-on was refused (R48).
pub(super) fn sign_in_refusal(reason: SignInRefusal) -> &'static str {
    match reason {
        SignInRefusal::StateInvalid => "Inloggningslänken har gått ut eller har redan använts. Börja logga in igen.",
        SignInRefusal::ProviderDisabled => {
            "Enkel inloggning är inte aktiverad för den här organisationen. Logga in med ditt lösenord eller fråga en administratör."
        }
        SignInRefusal::ProviderError => {
            "Organisationens identitetsprovider slutförde inte inloggningen. Försök igen eller be en administratör kontrollera inställningarna för enkel inloggning."
        }
        SignInRefusal::IdTokenInvalid => {
            "Identitetsproviderns svar kunde inte verifieras, så du loggades inte in. Be en administratör kontrollera inställningarna för enkel inloggning."
        }
        SignInRefusal::DomainNotAllowed => {
            "Domänen i din e-postadress får inte logga in i den här organisationen. Be en administratör att tillåta den."
        }
        SignInRefusal::EmailNotVerified => {
            "Din identitetsprovider har inte verifierat din e-postadress. Verifiera den där och logga sedan in igen."
        }
        SignInRefusal::AccountNotAllowed => {
            "Det här kontot kan inte logga in i den här organisationen (det hör till en annan eller är inaktiverat). Fråga en administratör."
        }
    }
}

/// The message for `err` (`Internal` never reveals its cause).
pub(super) fn message(err: &AppError) -> String {
    match err {
        AppError::SsoRequired => "Din organisation loggar in via sin identitetsprovider. Använd enkel inloggning i stället för ett lösenord.".into(),
        AppError::SignInRefused { reason } => sign_in_refusal(*reason).into(),
        AppError::Unauthenticated => "Du är inte inloggad eller så har din session gått ut. Logga in och försök igen.".into(),
        AppError::Forbidden => "Du har inte behörighet att göra detta. Be en administratör i din organisation om åtkomst.".into(),
        AppError::UntrustedDocument => "Den här servern kör bara sina betrodda (lagrade) dokument, och det här dokumentet är inte ett av dem. Använd en operation som applikationen byggdes med.".into(),
        AppError::IntrospectionDisabled => "Schemaintrospektion är avstängd på den här servern. Använd schemafilen som publiceras med API:et (schema.graphql).".into(),
        AppError::NotFound { entity } => format!("{} hittades inte.", noun(*entity)),
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
        AppError::NoCreditBalance => state(StateReason::NoCreditBalance).into(),
        AppError::LastOwner => state(StateReason::LastOwner).into(),
        AppError::LastGlobalAdmin => state(StateReason::LastGlobalAdmin).into(),
        AppError::InvalidState { reason } => state(*reason).into(),
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
        AppError::QueryTooComplex { .. } => "Frågan är för komplex eller för djupt nästlad. Begär färre fält eller dela upp den i flera frågor.".into(),
        AppError::Internal(_) => "Ett internt fel uppstod.".into(),
    }
}
