//! Danish messages (SPEC §10). Every match is exhaustive, so a
//! new error, noun or state reason does not compile until it is worded
//! here; `super::tests` checks that each wording is there and distinct.

use crate::error::{AppError, EntityKind, Invalid, SignInRefusal, StateReason};

use super::plural;

/// The noun as it starts the sentence (definite form, capitalized).
pub(super) fn noun(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::ApiClient => "API-klienten",
        EntityKind::BillingProfile => "Faktureringsprofilen",
        EntityKind::Event => "Hændelsen",
        EntityKind::Group => "Gruppen",
        EntityKind::Invoice => "Fakturaen",
        EntityKind::Object => "Objektet",
        EntityKind::Organization => "Organisationen",
        EntityKind::PartnerRelationship => "Partnerrelationen",
        EntityKind::PaymentMethod => "Betalingsmetoden",
        EntityKind::Product => "Produktet",
        EntityKind::Proposal => "Tilbuddet",
        EntityKind::Publisher => "Udgiveren",
        EntityKind::PurchaseToken => "Købstokenet",
        EntityKind::ScimToken => "Katalogtokenet",
        EntityKind::Session => "Sessionen",
        EntityKind::Subscription => "Abonnementet",
        EntityKind::User => "Brugeren",
        EntityKind::WebhookEndpoint => "Webhook-endepunktet",
        EntityKind::PortalConsent => "Portalsamtykket",
    }
}

/// Why the object's state does not allow the operation, in words a person
/// can act on (`INVALID_STATE`; the code is in `extensions.reason`).
pub(super) fn state(reason: StateReason) -> &'static str {
    match reason {
        StateReason::SubscriptionPendingActivation => {
            "Abonnementet er ikke aktiveret endnu. Aktivér appen først, og prøv så igen."
        }
        StateReason::SubscriptionActive => "Abonnementet er allerede aktivt; der er intet tilbage at aktivere.",
        StateReason::SubscriptionDisabled => {
            "Det er ikke længere muligt: abonnementet er deaktiveret. Køb et nyt abonnement for at blive ved med at bruge appen."
        }
        StateReason::InvoiceUnpaid => "Fakturaen er ikke betalt endnu. Betal den først, og prøv så igen.",
        StateReason::InvoicePaid => "Fakturaen er allerede betalt; der er intet tilbage at betale.",
        StateReason::InvoiceCredited => "Fakturaen er krediteret, og der er intet at betale.",
        StateReason::ProposalOpen => "Tilbuddet er stadig åbent. Accepter eller afvis det først.",
        StateReason::ProposalAccepted => {
            "Tilbuddet er allerede accepteret; abonnementerne fra det står på din abonnementsliste."
        }
        StateReason::ProposalDeclined => {
            "Tilbuddet er afvist og kan ikke længere accepteres. Bed partneren om et nyt tilbud."
        }
        StateReason::ProposalExpired => {
            "Tilbuddet er udløbet og kan ikke længere accepteres. Bed partneren om et nyt tilbud."
        }
        StateReason::RelationshipPending => {
            "En partneranmodning venter allerede på kundens beslutning. Vent på kundens svar."
        }
        StateReason::RelationshipApproved => "Partnerrelationen er allerede godkendt og gælder.",
        StateReason::RelationshipRejected => {
            "Kunden har afvist partneranmodningen; den kan ikke længere ændres. Send en ny anmodning om nødvendigt."
        }
        StateReason::RelationshipEnded => {
            "Partnerrelationen er ophørt og kan ikke længere ændres. Send en ny anmodning for at arbejde for kunden igen."
        }
        StateReason::ApiClientRevoked => {
            "API-klienten er tilbagekaldt og kan ikke længere ændres. Opret en ny klient i stedet."
        }
        StateReason::PaymentMethodInUse => {
            "Betalingsmetoden bruges stadig af en faktureringsprofil. Giv først de profiler en anden betalingsmetode."
        }
        StateReason::PaymentMethodReplaced => {
            "Betalingsmetoden er erstattet eller fjernet og kan ikke længere ændres. Brug den aktuelle betalingsmetode."
        }
        StateReason::LastOwner => {
            "Den sidste ejer af en faktureringsprofil kan ikke fjernes. Gør en anden til ejer først."
        }
        StateReason::LastGlobalAdmin => {
            "Organisationens sidste globale administrator kan ikke deaktiveres, slettes eller degraderes. Gør en anden til global administrator først."
        }
        StateReason::VersionChanged => "Objektet er ændret, siden du læste det. Læs det igen, og gentag ændringen.",
        StateReason::NoCreditBalance => "Denne faktureringsprofil har ingen kreditsaldo at refundere.",
    }
}

/// Why a single sign-on was refused (R48).
pub(super) fn sign_in_refusal(reason: SignInRefusal) -> &'static str {
    match reason {
        SignInRefusal::StateInvalid => "Dette login-link er udløbet eller er allerede brugt. Start login forfra.",
        SignInRefusal::ProviderDisabled => {
            "Single sign-on er ikke slået til for denne organisation. Log på med din adgangskode, eller spørg en administrator."
        }
        SignInRefusal::ProviderError => {
            "Organisationens identitetsudbyder gennemførte ikke login. Prøv igen, eller bed en administrator kontrollere indstillingerne for single sign-on."
        }
        SignInRefusal::IdTokenInvalid => {
            "Identitetsudbyderens svar kunne ikke bekræftes, så du blev ikke logget på. Bed en administrator kontrollere indstillingerne for single sign-on."
        }
        SignInRefusal::DomainNotAllowed => {
            "Domænet i din mailadresse må ikke logge på denne organisation. Bed en administrator om at tillade det."
        }
        SignInRefusal::EmailNotVerified => {
            "Din identitetsudbyder har ikke bekræftet din mailadresse. Bekræft den dér, og log derefter på igen."
        }
        SignInRefusal::AccountNotAllowed => {
            "Denne konto kan ikke logge på denne organisation (den hører til et andet sted eller er deaktiveret). Spørg en administrator."
        }
    }
}

/// The message for `err` (`Internal` never reveals its cause).
pub(super) fn message(err: &AppError) -> String {
    match err {
        AppError::SsoRequired => "Din organisation logger på via sin identitetsudbyder. Brug single sign-on i stedet for en adgangskode.".into(),
        AppError::SignInRefused { reason } => sign_in_refusal(*reason).into(),
        AppError::Unauthenticated => "Du er ikke logget ind, eller din session er udløbet. Log ind, og prøv igen.".into(),
        AppError::Forbidden => "Du har ikke tilladelse til at gøre dette. Bed en administrator i din organisation om adgang.".into(),
        AppError::UntrustedDocument => "Denne server kører kun sine betroede (gemte) dokumenter, og dette dokument er ikke et af dem. Brug en operation, som applikationen blev bygget med.".into(),
        AppError::IntrospectionDisabled => "Skemaintrospektion er slået fra på denne server. Brug skemafilen, der udgives sammen med API'et (schema.graphql).".into(),
        AppError::NotFound { entity } => format!("{} blev ikke fundet.", noun(*entity)),
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
        AppError::NoCreditBalance => state(StateReason::NoCreditBalance).into(),
        AppError::LastOwner => state(StateReason::LastOwner).into(),
        AppError::LastGlobalAdmin => state(StateReason::LastGlobalAdmin).into(),
        AppError::InvalidState { reason } => state(*reason).into(),
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
        AppError::QueryTooComplex { .. } => "Forespørgslen er for kompleks eller for dybt indlejret. Bed om færre felter, eller del den op i flere forespørgsler.".into(),
        AppError::Internal(_) => "Der opstod en intern fejl.".into(),
    }
}
