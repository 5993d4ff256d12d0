//! Dutch messages (SPEC §10). Every match is exhaustive, so a
//! new error, noun or state reason does not compile until it is worded
//! here; `super::tests` checks that each wording is there and distinct.

use crate::error::{AppError, EntityKind, Invalid, SignInRefusal, StateReason};

use super::plural;

/// The noun as it starts the sentence (definite form, capitalized).
pub(super) fn noun(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::ApiClient => "De API-client",
        EntityKind::BillingProfile => "Het factureringsprofiel",
        EntityKind::Event => "De gebeurtenis",
        EntityKind::Group => "De groep",
        EntityKind::Invoice => "De factuur",
        EntityKind::Object => "Het object",
        EntityKind::Organization => "De organisatie",
        EntityKind::PartnerRelationship => "De partnerrelatie",
        EntityKind::PaymentMethod => "De betaalmethode",
        EntityKind::Product => "Het product",
        EntityKind::Proposal => "De offerte",
        EntityKind::Publisher => "De uitgever",
        EntityKind::PurchaseToken => "Het aankooptoken",
        EntityKind::ScimToken => "Het directorytoken",
        EntityKind::Session => "De sessie",
        EntityKind::Subscription => "Het abonnement",
        EntityKind::User => "De gebruiker",
        EntityKind::WebhookEndpoint => "Het webhook-eindpunt",
        EntityKind::PortalConsent => "De portaltoestemming",
    }
}

/// Why the object's state does not allow the operation, in words a person
/// can act on (`INVALID_STATE`; the code is in `extensions.reason`).
pub(super) fn state(reason: StateReason) -> &'static str {
    match reason {
        StateReason::SubscriptionPendingActivation => {
            "Het abonnement is nog niet geactiveerd. Activeer eerst de app en probeer het daarna opnieuw."
        }
        StateReason::SubscriptionActive => "Het abonnement is al actief; er valt niets meer te activeren.",
        StateReason::SubscriptionDisabled => {
            "Dit is niet meer mogelijk: het abonnement is uitgeschakeld. Koop een nieuw abonnement om de app te blijven gebruiken."
        }
        StateReason::InvoiceUnpaid => {
            "De factuur is nog niet betaald. Betaal deze eerst en probeer het daarna opnieuw."
        }
        StateReason::InvoicePaid => "De factuur is al betaald; er valt niets meer te betalen.",
        StateReason::InvoiceCredited => "De factuur is gecrediteerd en er hoeft niets te worden betaald.",
        StateReason::ProposalOpen => "De offerte staat nog open. Accepteer of weiger deze eerst.",
        StateReason::ProposalAccepted => {
            "De offerte is al geaccepteerd; de abonnementen ervan staan in uw abonnementenlijst."
        }
        StateReason::ProposalDeclined => {
            "De offerte is geweigerd en kan niet meer worden geaccepteerd. Vraag de partner om een nieuwe offerte."
        }
        StateReason::ProposalExpired => {
            "De offerte is verlopen en kan niet meer worden geaccepteerd. Vraag de partner om een nieuwe offerte."
        }
        StateReason::RelationshipPending => {
            "Er wacht al een partnerverzoek op de beslissing van de klant. Wacht op het antwoord van de klant."
        }
        StateReason::RelationshipApproved => "De partnerrelatie is al goedgekeurd en van kracht.",
        StateReason::RelationshipRejected => {
            "De klant heeft het partnerverzoek afgewezen; het kan niet meer worden gewijzigd. Stuur zo nodig een nieuw verzoek."
        }
        StateReason::RelationshipEnded => {
            "De partnerrelatie is beëindigd en kan niet meer worden gewijzigd. Stuur een nieuw verzoek om weer voor deze klant te werken."
        }
        StateReason::ApiClientRevoked => {
            "De API-client is ingetrokken en kan niet meer worden gewijzigd. Maak in plaats daarvan een nieuwe client aan."
        }
        StateReason::PaymentMethodInUse => {
            "De betaalmethode wordt nog door een factureringsprofiel gebruikt. Geef die profielen eerst een andere betaalmethode."
        }
        StateReason::PaymentMethodReplaced => {
            "De betaalmethode is vervangen of verwijderd en kan niet meer worden gewijzigd. Gebruik de huidige betaalmethode."
        }
        StateReason::LastOwner => {
            "De laatste eigenaar van een factureringsprofiel kan niet worden verwijderd. Maak eerst iemand anders eigenaar."
        }
        StateReason::LastGlobalAdmin => {
            "De laatste globale beheerder van de organisatie kan niet worden gedeactiveerd, verwijderd of gedegradeerd. Maak eerst iemand anders globale beheerder."
        }
        StateReason::VersionChanged => {
            "Het object is gewijzigd sinds u het las. Lees het opnieuw en herhaal de wijziging."
        }
        StateReason::NoCreditBalance => "Dit factureringsprofiel heeft geen tegoed om terug te betalen.",
    }
}

/// Why a single sign-on was refused (R48).
pub(super) fn sign_in_refusal(reason: SignInRefusal) -> &'static str {
    match reason {
        SignInRefusal::StateInvalid => "Deze aanmeldlink is verlopen of al gebruikt. Begin opnieuw met aanmelden.",
        SignInRefusal::ProviderDisabled => {
            "Eenmalige aanmelding is niet ingeschakeld voor deze organisatie. Meld u aan met uw wachtwoord of vraag het een beheerder."
        }
        SignInRefusal::ProviderError => {
            "De identiteitsprovider van uw organisatie heeft de aanmelding niet voltooid. Probeer het opnieuw of vraag een beheerder de instellingen voor eenmalige aanmelding te controleren."
        }
        SignInRefusal::IdTokenInvalid => {
            "Het antwoord van de identiteitsprovider kon niet worden geverifieerd, dus u bent niet aangemeld. Vraag een beheerder de instellingen voor eenmalige aanmelding te controleren."
        }
        SignInRefusal::DomainNotAllowed => {
            "Het domein van uw e-mailadres mag zich niet aanmelden bij deze organisatie. Vraag een beheerder het toe te staan."
        }
        SignInRefusal::EmailNotVerified => {
            "Uw identiteitsprovider heeft uw e-mailadres niet geverifieerd. Verifieer het daar en meld u daarna opnieuw aan."
        }
        SignInRefusal::AccountNotAllowed => {
            "Dit account kan zich niet aanmelden bij deze organisatie (het hoort ergens anders bij of is gedeactiveerd). Vraag het een beheerder."
        }
    }
}

/// The message for `err` (`Internal` never reveals its cause).
pub(super) fn message(err: &AppError) -> String {
    match err {
        AppError::SsoRequired => "Uw organisatie meldt zich aan via haar identiteitsprovider. Gebruik eenmalige aanmelding in plaats van een wachtwoord.".into(),
        AppError::SignInRefused { reason } => sign_in_refusal(*reason).into(),
        AppError::Unauthenticated => "U bent niet aangemeld of uw sessie is verlopen. Meld u aan en probeer het opnieuw.".into(),
        AppError::Forbidden => "U hebt geen toestemming om dit te doen. Vraag een beheerder van uw organisatie om toegang.".into(),
        AppError::UntrustedDocument => "Deze server voert alleen zijn vertrouwde (opgeslagen) documenten uit, en dit document is daar niet een van. Gebruik een operatie waarmee de applicatie is gebouwd.".into(),
        AppError::IntrospectionDisabled => "Schema-introspectie is uitgeschakeld op deze server. Gebruik het schemabestand dat met de API wordt gepubliceerd (schema.graphql).".into(),
        AppError::NotFound { entity } => format!("{} is niet gevonden.", noun(*entity)),
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
        AppError::NoCreditBalance => state(StateReason::NoCreditBalance).into(),
        AppError::LastOwner => state(StateReason::LastOwner).into(),
        AppError::LastGlobalAdmin => state(StateReason::LastGlobalAdmin).into(),
        AppError::InvalidState { reason } => state(*reason).into(),
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
        AppError::QueryTooComplex { .. } => "De query is te complex of te diep genest. Vraag minder velden op of splits de query op in meerdere query's.".into(),
        AppError::Internal(_) => "Er is een interne fout opgetreden.".into(),
    }
}
