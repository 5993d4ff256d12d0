//! Assembling an invoice's PDF (R32): the document's words, numbers and
//! language; `crate::pdf` lays it out.

use entity::{billing_profile, enums::InvoiceStatus, invoice, organization};
use sea_orm::EntityTrait;
use uuid::Uuid;

use super::{NOT_FOUND, display_number, lines_of};
use crate::error::EntityKind;
use crate::{
    access::invoice::load as load_with_rights,
    auth::Actor,
    billing::cards,
    domain::seller::Seller,
    error::{AppError, AppResult},
    i18n::Lang,
    pdf::{InvoicePdf, InvoicePdfLine, locale},
    service::Services,
    service::credit_balance::CREDIT_LINE_PREFIX,
};

/// A line's stored text (written in English by `charges::full_term`,
/// `charges::pro_rata` and `credit_balance::line_description`) in the
/// invoice's language, its dates formatted for it. Text in none of those
/// shapes prints as stored.
pub fn line_text(product: &str, description: &str, lang: Lang) -> String {
    let labels = crate::pdf::labels(lang);
    if let Some(number) = description.strip_prefix(CREDIT_LINE_PREFIX) {
        return labels.credit_from_invoice.replace("{number}", number);
    }
    let Some(rest) = description.strip_prefix(product).and_then(|rest| rest.strip_prefix(" — ")) else {
        return description.to_owned();
    };
    let what = match rest {
        "monthly term" => Some(labels.term_monthly.to_owned()),
        "annual term" => Some(labels.term_annual.to_owned()),
        _ => pro_rata_text(rest, lang),
    };
    match what {
        Some(what) => format!("{product} — {what}"),
        None => description.to_owned(),
    }
}

/// "licenses added, 2025-01-15 to 2025-02-14 (30 of 31 days)" in `lang`.
fn pro_rata_text(text: &str, lang: Lang) -> Option<String> {
    let labels = crate::pdf::labels(lang);
    let (what, rest) = text.split_once(", ")?;
    let what = match what {
        "licenses added" => labels.licenses_added,
        "licenses removed" => labels.licenses_removed,
        "cancellation credit" => labels.cancellation_credit,
        "adjustment" => labels.adjustment,
        _ => return None,
    };
    let (from, rest) = rest.split_once(" to ")?;
    let (to, rest) = rest.split_once(" (")?;
    let (days, rest) = rest.split_once(" of ")?;
    let term_days = rest.strip_suffix(" days)")?;
    let from: chrono::NaiveDate = from.parse().ok()?;
    let to: chrono::NaiveDate = to.parse().ok()?;
    let days: i64 = days.parse().ok()?;
    let term_days: i64 = term_days.parse().ok()?;
    Some(
        labels
            .pro_rata
            .replace("{what}", what)
            .replace("{from}", &locale::date(from, lang))
            .replace("{to}", &locale::date(to, lang))
            .replace("{days}", &locale::number(days, lang))
            .replace("{term_days}", &locale::number(term_days, lang)),
    )
}

/// The payment method as stored on the invoice (`cards::method_summary`,
/// e.g. "VISA ending 4242") in `lang`.
pub fn payment_method_text(summary: &str, lang: Lang) -> String {
    let labels = crate::pdf::labels(lang);
    if summary == cards::NO_METHOD {
        return labels.no_payment_method.to_owned();
    }
    if summary == cards::CHECK_OR_WIRE {
        return labels.check_or_wire.to_owned();
    }
    match summary.rsplit_once(cards::ENDING) {
        Some((brand, last4)) => {
            let brand = if brand == cards::UNNAMED_CARD { labels.card } else { brand };
            labels.card_ending.replace("{brand}", brand).replace("{last4}", last4)
        }
        None => summary.to_owned(),
    }
}

/// The invoice as a PDF, for a caller who may view it (same rule as `get`).
/// The PDF in the billing profile's language, or `reader_lang` (the
/// downloader's Accept-Language) when its country has none of ours.
pub async fn pdf(
    state: &Services,
    seller: &Seller,
    actor: &Actor,
    id: Uuid,
    reader_lang: Lang,
) -> AppResult<(invoice::Model, Vec<u8>)> {
    let (invoice, profile, _) = load_with_rights(&state.db, actor, id, false).await?;
    render_pdf(state, seller, invoice.into_inner(), profile, PdfLanguage::ProfileOr(reader_lang)).await
}

/// Which language an invoice PDF is printed in.
#[derive(Debug, Clone, Copy)]
pub enum PdfLanguage {
    /// The billing profile's (chosen, else its country's), else this one.
    ProfileOr(Lang),
    /// This one: the e-mail an invoice is attached to is in the language the
    /// notice was queued in, and its attachment reads the same (R52).
    Exactly(Lang),
}

/// The PDF for a signed download link: the link was checked by the caller
/// (`billing::http`), so only the invoice's existence matters here.
pub async fn pdf_by_link(
    state: &Services,
    seller: &Seller,
    id: Uuid,
    language: PdfLanguage,
) -> AppResult<(invoice::Model, Vec<u8>)> {
    let invoice = invoice::Entity::find_by_id(id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    let profile =
        billing_profile::Entity::find_by_id(invoice.billing_profile_id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    render_pdf(state, seller, invoice, profile, language).await
}

async fn render_pdf(
    state: &Services,
    seller: &Seller,
    invoice: invoice::Model,
    profile: billing_profile::Model,
    language: PdfLanguage,
) -> AppResult<(invoice::Model, Vec<u8>)> {
    let organization = organization::Entity::find_by_id(invoice.organization_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    let lines = lines_of(&state.db, vec![invoice.id]).await?;
    let lang = match language {
        PdfLanguage::Exactly(lang) => lang,
        PdfLanguage::ProfileOr(reader_lang) => profile
            .language
            .as_deref()
            .and_then(|tag| Lang::ALL.into_iter().find(|lang| lang.tag() == tag))
            .or_else(|| crate::pdf::language_for_country(&profile.country))
            .unwrap_or(reader_lang),
    };
    let labels = crate::pdf::labels(lang);
    let mut bill_to = vec![
        profile.name.clone(),
        format!("{} {}", labels.attention, profile.contact_name),
        profile.address_line1.clone(),
    ];
    bill_to.extend(profile.address_line2.clone());
    let city = [Some(profile.postal_code.clone()), Some(profile.city.clone()), profile.region.clone()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    bill_to.push(city);
    bill_to.push(profile.country.clone());
    let currency = invoice.currency.clone();
    let credits = super::credits_applied(&state.db, &lines).await?;
    let status = match invoice.status {
        InvoiceStatus::Paid => labels.status_paid,
        InvoiceStatus::Overdue => labels.status_overdue,
        InvoiceStatus::Credited => labels.status_credited,
        InvoiceStatus::Open => labels.status_open,
    };
    let document = InvoicePdf {
        lang,
        seller: crate::pdf::PdfSeller {
            name: seller.name.clone(),
            address: seller.address.clone(),
            tax_id: seller.tax_id.clone(),
        },
        organization_name: organization.name,
        bill_to,
        po_number: profile.po_number.clone(),
        invoice_number: display_number(invoice.number),
        billing_period: Some(locale::month(invoice.period_start, lang)),
        issue_date: locale::date(invoice.issue_date, lang),
        due_date: locale::date(invoice.due_date, lang),
        paid_date: invoice.paid_at.map(|at| locale::date(at.date_naive(), lang)),
        status: status.to_owned(),
        currency: currency.clone(),
        // Credit balance used is printed under the subtotal, not as a charge.
        lines: lines
            .iter()
            .filter(|l| l.source_invoice_id.is_none())
            .map(|l| InvoicePdfLine {
                product: l.product_name.clone(),
                subscription: l.subscription_id.map(|id| id.to_string()).unwrap_or_default(),
                description: line_text(&l.product_name, &l.description, lang),
                period: locale::date_range(l.period_start, l.period_end, lang),
                quantity: locale::number(l.quantity, lang),
                unit_price: locale::amount(l.unit_price_minor, &currency, lang),
                amount: locale::amount(l.amount_minor, &currency, lang),
            })
            .collect(),
        subtotal: locale::amount(invoice.subtotal_minor, &currency, lang),
        // No tax is configured: one zero line keeps the layout ready for it.
        credits_applied: credits
            .iter()
            .map(|(number, amount)| crate::pdf::TaxLine {
                label: labels.credit_applied.replace("{invoice}", number),
                amount: locale::amount(*amount, &currency, lang),
            })
            .collect(),
        added_to_balance: (invoice.credit_carried_minor > 0)
            .then(|| locale::amount(invoice.credit_carried_minor, &currency, lang)),
        tax_lines: vec![crate::pdf::TaxLine {
            label: format!("{} 0%", labels.tax),
            amount: locale::amount(0, &currency, lang),
        }],
        total: locale::amount_with_currency(invoice.total_minor, &currency, lang),
        payment_method: payment_method_text(&invoice.payment_method_summary, lang),
    };
    let bytes = crate::pdf::render_invoice_pdf(&document).map_err(AppError::internal)?;
    Ok((invoice, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 24 item 3: line texts and the payment method in the invoice's language.
    #[test]
    fn line_texts_and_payment_methods_are_translated() {
        let pro_rata = "Contoso — licenses added, 2025-01-15 to 2025-02-14 (30 of 31 days)";
        assert_eq!(
            line_text("Contoso", pro_rata, Lang::Sv),
            "Contoso — licenser tillagda, 2025-01-15 till 2025-02-14 (30 av 31 dagar)"
        );
        assert_eq!(
            line_text("Contoso", pro_rata, Lang::En),
            "Contoso — licenses added, 15 Jan 2025 to 14 Feb 2025 (30 of 31 days)"
        );
        assert_eq!(
            line_text("Contoso", pro_rata, Lang::ZhTw),
            "Contoso — 新增授權，2025年1月15日至2025年2月14日（31 天中的 30 天）"
        );
        assert_eq!(line_text("Contoso", "Contoso — monthly term", Lang::Da), "Contoso — månedlig periode");
        assert_eq!(line_text("Contoso", "Contoso — annual term", Lang::Nl), "Contoso — jaartermijn");
        assert_eq!(
            line_text("", &crate::service::credit_balance::line_description(7), Lang::Nl),
            format!("Tegoed van factuur {}", display_number(7))
        );
        // Text in no known shape prints as stored.
        assert_eq!(line_text("Contoso", "Contoso — something else", Lang::Sv), "Contoso — something else");
        assert_eq!(line_text("Other", "Contoso — monthly term", Lang::Sv), "Contoso — monthly term");

        assert_eq!(payment_method_text("VISA ending 4242", Lang::Sv), "VISA som slutar på 4242");
        assert_eq!(payment_method_text("VISA ending 4242", Lang::ZhTw), "VISA 末四碼 4242");
        assert_eq!(payment_method_text("Card ending 0005", Lang::Nl), "Kaart eindigend op 0005");
        assert_eq!(payment_method_text(cards::CHECK_OR_WIRE, Lang::Da), "Check eller bankoverførsel");
        assert_eq!(payment_method_text(cards::NO_METHOD, Lang::En), "No payment method on file");
    }
}
