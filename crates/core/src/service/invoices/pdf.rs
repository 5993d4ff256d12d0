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
    domain::seller::Seller,
    error::{AppError, AppResult},
    i18n::Lang,
    pdf::{InvoicePdf, InvoicePdfLine},
    service::Services,
};

fn money(amount_minor: i64, currency: &str) -> String {
    match crate::domain::money::Currency::parse(currency) {
        Some(c) => crate::domain::money::format_minor(amount_minor, c),
        None => amount_minor.to_string(),
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
    render_pdf(state, seller, invoice.into_inner(), profile, reader_lang).await
}

/// The PDF for a signed download link: the link was checked by the caller
/// (`billing::http`), so only the invoice's existence matters here.
pub async fn pdf_by_link(
    state: &Services,
    seller: &Seller,
    id: Uuid,
    reader_lang: Lang,
) -> AppResult<(invoice::Model, Vec<u8>)> {
    let invoice = invoice::Entity::find_by_id(id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    let profile =
        billing_profile::Entity::find_by_id(invoice.billing_profile_id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    render_pdf(state, seller, invoice, profile, reader_lang).await
}

async fn render_pdf(
    state: &Services,
    seller: &Seller,
    invoice: invoice::Model,
    profile: billing_profile::Model,
    reader_lang: Lang,
) -> AppResult<(invoice::Model, Vec<u8>)> {
    let organization = organization::Entity::find_by_id(invoice.organization_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Organization })?;
    let lines = lines_of(&state.db, vec![invoice.id]).await?;
    let chosen = profile.language.as_deref().and_then(|tag| Lang::ALL.into_iter().find(|lang| lang.tag() == tag));
    let lang = chosen.or_else(|| crate::pdf::language_for_country(&profile.country)).unwrap_or(reader_lang);
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
        issue_date: invoice.issue_date.to_string(),
        due_date: invoice.due_date.to_string(),
        paid_date: invoice.paid_at.map(|at| at.date_naive().to_string()),
        status: status.to_owned(),
        currency: currency.clone(),
        // Credit balance used is printed under the subtotal, not as a charge.
        lines: lines
            .iter()
            .filter(|l| l.source_invoice_id.is_none())
            .map(|l| InvoicePdfLine {
                product: l.product_name.clone(),
                subscription: l.subscription_id.map(|id| id.to_string()).unwrap_or_default(),
                description: l.description.clone(),
                period: format!("{} – {}", l.period_start, l.period_end),
                quantity: l.quantity.to_string(),
                unit_price: money(l.unit_price_minor, &currency),
                amount: money(l.amount_minor, &currency),
            })
            .collect(),
        subtotal: money(invoice.subtotal_minor, &currency),
        // No tax is configured: one zero line keeps the layout ready for it.
        credits_applied: credits
            .iter()
            .map(|(number, amount)| crate::pdf::TaxLine {
                label: labels.credit_applied.replace("{invoice}", number),
                amount: money(*amount, &currency),
            })
            .collect(),
        added_to_balance: (invoice.credit_carried_minor > 0).then(|| money(invoice.credit_carried_minor, &currency)),
        tax_lines: vec![crate::pdf::TaxLine { label: format!("{} 0%", labels.tax), amount: money(0, &currency) }],
        total: money(invoice.total_minor, &currency),
        payment_method: invoice.payment_method_summary.clone(),
    };
    let bytes = crate::pdf::render_invoice_pdf(&document).map_err(AppError::internal)?;
    Ok((invoice, bytes))
}
