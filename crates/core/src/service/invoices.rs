//! Invoices (R31, R32): issuing them for a month's charges, charging cards at
//! issue, marking them overdue, listing and showing them to the people who
//! may see their billing profile (R2, R3), paying them, and their PDF.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use entity::{
    billing_profile, card_charge_claim, charge,
    enums::{InvoiceStatus, PaymentMethodKind},
    invoice, invoice_line, organization, payment_method, product, subscription,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::Query,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    access::{self, Visible},
    auth::Actor,
    billing::processor::{ChargeOutcome, ChargeRequest, StoredCard},
    db,
    domain::seller::Seller,
    domain::{card::CardBrand, money},
    error::{AppError, AppResult, Invalid},
    i18n::Lang,
    paging::{Direction, KeyKind, Keyset, Page, Window},
    pdf::{InvoicePdf, InvoicePdfLine},
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        billing_profiles, credit_balance,
    },
};

const NOT_FOUND: AppError = AppError::NotFound { entity: crate::error::EntityKind::Invoice };

/// R31: due 30 days after issue.
pub const PAYMENT_TERM_DAYS: u64 = 30;
/// R32: the longest date range the list accepts.
pub const MAX_RANGE_MONTHS: u32 = 24;

/// The number as people read it: "LD-000042".
pub fn display_number(number: i64) -> String {
    format!("LD-{number:06}")
}

/// Where the PDF of an invoice is served (same authorization as `invoice(id)`).
pub fn pdf_path(id: Uuid) -> String {
    format!("/invoices/{id}.pdf")
}

/// An invoice with its lines, as the caller may see it.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub invoice: Visible<invoice::Model>,
    pub lines: Vec<invoice_line::Model>,
}

// ---------------------------------------------------------------------------
// Calendar helpers (R31)
// ---------------------------------------------------------------------------

pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

pub fn next_month_start(date: NaiveDate) -> NaiveDate {
    month_start(date).checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX)
}

/// The last day of the month `period_start` begins.
pub fn period_end(period_start: NaiveDate) -> NaiveDate {
    next_month_start(period_start).pred_opt().unwrap_or(period_start)
}

/// R31: issued on the first day of the month after the billed one.
pub fn issue_date(period_start: NaiveDate) -> NaiveDate {
    next_month_start(period_start)
}

pub fn due_date(issue: NaiveDate) -> NaiveDate {
    issue.checked_add_days(chrono::Days::new(PAYMENT_TERM_DAYS)).unwrap_or(NaiveDate::MAX)
}

// ---------------------------------------------------------------------------
// Who sees what (R2, R3, R25, R27)
// ---------------------------------------------------------------------------

use crate::access::invoice::load as load_with_rights;

pub async fn lines_of(db: &impl ConnectionTrait, invoice_ids: Vec<Uuid>) -> AppResult<Vec<invoice_line::Model>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.is_in(invoice_ids))
        .order_by_asc(invoice_line::Column::InvoiceId)
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

/// The list period (R32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    #[default]
    Past3Months,
    Past6Months,
    /// A from–to range (both required).
    Custom,
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub period: Period,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub billing_profile_id: Option<Uuid>,
    pub status: Option<InvoiceStatus>,
}

/// What an invoice list is sorted by (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceSort {
    /// Issue date, then number.
    IssueDate,
    /// Currency code, then total: amounts in different currencies are not
    /// comparable, so each currency's invoices stay together.
    Total,
}

/// The default: newest first (issue date, then number, descending).
pub const NEWEST_FIRST: (InvoiceSort, Direction) = (InvoiceSort::IssueDate, Direction::Desc);

fn keyset((sort, direction): (InvoiceSort, Direction)) -> Keyset {
    let keyset = Keyset::new(format!("invoices:{sort:?}:{direction:?}"));
    let keyset = match sort {
        InvoiceSort::IssueDate => keyset.key(invoice::Column::IssueDate.into_expr(), direction, KeyKind::Date).key(
            invoice::Column::Number.into_expr(),
            direction,
            KeyKind::Int,
        ),
        InvoiceSort::Total => keyset.key(invoice::Column::Currency.into_expr(), direction, KeyKind::Text).key(
            invoice::Column::TotalMinor.into_expr(),
            direction,
            KeyKind::Int,
        ),
    };
    keyset.id(invoice::Column::Id.into_expr(), direction)
}

/// How far past today the PAST_N_MONTHS periods reach (issue 13).
const FUTURE_MONTHS_SHOWN: u32 = 12;

/// The issue dates the filter covers, inclusive (R32). A from–to range wins
/// over the period; past N months count back from today.
pub fn issue_range(filter: &InvoiceFilter, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
    match (filter.from, filter.to) {
        (Some(from), Some(to)) => {
            if from > to {
                return Err(AppError::validation("filter.from", Invalid::RangeOrder));
            }
            let limit = from.checked_add_months(Months::new(MAX_RANGE_MONTHS)).unwrap_or(NaiveDate::MAX);
            if to > limit {
                return Err(AppError::validation("filter.to", Invalid::RangeTooLong { max_months: MAX_RANGE_MONTHS }));
            }
            Ok((from, to))
        }
        (Some(_), None) => Err(AppError::validation("filter.to", Invalid::Required)),
        (None, Some(_)) => Err(AppError::validation("filter.from", Invalid::Required)),
        (None, None) => {
            let months = match filter.period {
                Period::Past3Months => 3,
                Period::Past6Months => 6,
                Period::Custom => return Err(AppError::validation("filter.from", Invalid::Required)),
            };
            let from = today.checked_sub_months(Months::new(months)).unwrap_or(NaiveDate::MIN);
            // Invoices dated after today (a billing run for a coming date, e.g.
            // `billing run --date` next month's 1st) are shown too (issue 13).
            let to = today.checked_add_months(Months::new(FUTURE_MONTHS_SHOWN)).unwrap_or(today);
            Ok((from, to))
        }
    }
}

/// R32: the caller's invoices in the period, in `order` (by default newest
/// first: issue date, then number).
pub async fn list(
    state: &Services,
    actor: &Actor,
    filter: InvoiceFilter,
    order: (InvoiceSort, Direction),
    window: &Window,
) -> AppResult<Page<InvoiceView>> {
    let (from, to) = issue_range(&filter, state.clock.today())?;
    if actor.billing_org().is_err() {
        return Ok(Page::empty());
    }
    let mut query = invoice::Entity::find()
        .filter(access::invoice::visible(actor))
        .filter(invoice::Column::IssueDate.gte(from))
        .filter(invoice::Column::IssueDate.lte(to));
    if let Some(profile_id) = filter.billing_profile_id {
        // R3: a profile the caller cannot see is NOT_FOUND, not an empty list.
        billing_profiles::load_visible(&state.db, actor, profile_id).await?;
        query = query.filter(invoice::Column::BillingProfileId.eq(profile_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(invoice::Column::Status.eq(status));
    }
    let mut page = crate::paging::fetch(&state.db, query, &keyset(order), window).await?;
    let invoices = access::invoice::vouch_page(actor, std::mem::take(&mut page.items));
    let mut lines: HashMap<Uuid, Vec<invoice_line::Model>> = HashMap::new();
    for line in lines_of(&state.db, invoices.iter().map(|i| i.id).collect()).await? {
        lines.entry(line.invoice_id).or_default().push(line);
    }
    let views = invoices
        .into_iter()
        .map(|invoice| {
            let lines = lines.remove(&invoice.id).unwrap_or_default();
            InvoiceView { invoice, lines }
        })
        .collect();
    Ok(page.with_items(views))
}

/// R32: one invoice with its lines (R3: NOT_FOUND unless the caller can view its profile).
pub async fn get(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let (invoice, _, _) = load_with_rights(&state.db, actor, id, false).await?;
    let lines = lines_of(&state.db, vec![invoice.id]).await?;
    Ok(InvoiceView { invoice, lines })
}

// ---------------------------------------------------------------------------
// Payment methods on invoices (R29, R31)
// ---------------------------------------------------------------------------

/// "VISA ending 4242" or "Check or wire transfer": brand and last four only.
pub fn method_summary(method: Option<&payment_method::Model>) -> String {
    match method {
        None => "No payment method on file".to_owned(),
        Some(m) if m.kind == PaymentMethodKind::CheckOrWire => "Check or wire transfer".to_owned(),
        Some(m) => {
            let brand = m.card_brand.as_deref().and_then(CardBrand::from_code).unwrap_or(CardBrand::Unknown);
            let brand = match brand {
                CardBrand::Visa => "VISA",
                CardBrand::Mastercard => "Mastercard",
                CardBrand::Amex => "American Express",
                CardBrand::Discover => "Discover",
                CardBrand::DinersClub => "Diners Club",
                CardBrand::Jcb => "JCB",
                CardBrand::Unknown => "Card",
            };
            format!("{brand} ending {}", m.card_last4.as_deref().unwrap_or("????"))
        }
    }
}

/// What the processor sees of a stored card (R34): never the number.
pub fn stored_card(method: &payment_method::Model) -> Option<StoredCard> {
    if method.kind != PaymentMethodKind::CreditCard {
        return None;
    }
    Some(StoredCard {
        fingerprint: method.card_fingerprint.clone()?,
        exp_month: u32::try_from(method.card_exp_month?).ok()?,
        exp_year: method.card_exp_year?,
    })
}

pub(crate) async fn current_method(
    db: &impl ConnectionTrait,
    profile: &billing_profile::Model,
) -> AppResult<Option<payment_method::Model>> {
    match profile.current_payment_method_id {
        Some(id) => Ok(payment_method::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// The public view of an invoice for audit snapshots (R36): no card data.
fn snapshot(i: &invoice::Model) -> Value {
    json!({
        "number": display_number(i.number),
        "billingProfileId": i.billing_profile_id,
        "periodStart": i.period_start,
        "issueDate": i.issue_date,
        "dueDate": i.due_date,
        "totalMinor": i.total_minor,
        "currency": i.currency,
        "status": i.status.as_str(),
        "paymentMethod": i.payment_method_summary,
        "paidAt": i.paid_at,
        "creditAppliedMinor": i.credit_applied_minor,
        "creditCarriedMinor": i.credit_carried_minor,
    })
}

/// Only OPEN and OVERDUE invoices are paid; a CREDITED one owes nothing (R44).
fn ensure_unpaid(invoice: &invoice::Model) -> AppResult<()> {
    if invoice.status.is_settled() { Err(AppError::InvalidState { reason: invoice.status.into() }) } else { Ok(()) }
}

/// R2 (pay right), R31: charges the profile's current card for an unpaid
/// invoice. A decline is PAYMENT_DECLINED and changes nothing.
pub async fn pay(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let now = state.clock.now();
    let today = state.clock.today();
    let txn = db::begin_write(&state.db).await?;
    let (invoice, profile, rights) = load_with_rights(&txn, actor, id, true).await?;
    billing_profiles::require(rights.pay_invoices)?;
    ensure_unpaid(&invoice)?;
    let method = current_method(&txn, &profile).await?;
    let Some(method) = method else {
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    };
    let Some(card) = stored_card(&method) else {
        // Check or wire: paid outside, then marked paid (R29).
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    };
    let reference = match state.processor.charge(&ChargeRequest {
        card: &card,
        amount_minor: invoice.total_minor,
        currency: &invoice.currency,
        today,
        idempotency_key: invoice.id.to_string(),
    }) {
        ChargeOutcome::Approved { reference } => reference,
        ChargeOutcome::Declined { .. } => return Err(AppError::PaymentDeclined),
    };
    let before = snapshot(&invoice);
    let mut model: invoice::ActiveModel = invoice.get().clone().into();
    model.status = Set(InvoiceStatus::Paid);
    model.paid_at = Set(Some(now));
    model.paid_by = Set(Some(actor.user_id()));
    model.payment_method_id = Set(Some(method.id));
    model.payment_method_summary = Set(method_summary(Some(&method)));
    let invoice = invoice.updated(model.update(&txn).await?).ok_or(NOT_FOUND)?;
    let mut after = snapshot(&invoice);
    after["processorReference"] = json!(reference);
    let entry = AuditEntry::new(audit::AuditAction::InvoicePay, "invoice", invoice.id).before(before).after(after);
    audit::record(&txn, AuditScope::org(invoice.organization_id, Some(actor)), now, entry).await?;
    let lines = lines_of(&txn, vec![invoice.id]).await?;
    txn.commit().await?;
    Ok(InvoiceView { invoice, lines })
}

/// R2 (pay right), R29: records that a check or wire transfer paid the invoice.
pub async fn mark_paid(state: &Services, actor: &Actor, id: Uuid) -> AppResult<InvoiceView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (invoice, profile, rights) = load_with_rights(&txn, actor, id, true).await?;
    billing_profiles::require(rights.pay_invoices)?;
    ensure_unpaid(&invoice)?;
    let method = current_method(&txn, &profile).await?;
    if method.as_ref().map(|m| m.kind) != Some(PaymentMethodKind::CheckOrWire) {
        // Card profiles pay with payInvoice.
        return Err(AppError::validation("invoiceId", Invalid::NotAllowed));
    }
    let before = snapshot(&invoice);
    let mut model: invoice::ActiveModel = invoice.get().clone().into();
    model.status = Set(InvoiceStatus::Paid);
    model.paid_at = Set(Some(now));
    model.paid_by = Set(Some(actor.user_id()));
    let invoice = invoice.updated(model.update(&txn).await?).ok_or(NOT_FOUND)?;
    let entry = AuditEntry::new(audit::AuditAction::InvoiceMarkPaid, "invoice", invoice.id)
        .before(before)
        .after(snapshot(&invoice));
    audit::record(&txn, AuditScope::org(invoice.organization_id, Some(actor)), now, entry).await?;
    let lines = lines_of(&txn, vec![invoice.id]).await?;
    txn.commit().await?;
    Ok(InvoiceView { invoice, lines })
}

// ---------------------------------------------------------------------------
// The PDF (R32)
// ---------------------------------------------------------------------------

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
        .ok_or(AppError::NotFound { entity: crate::error::EntityKind::Organization })?;
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
        lines: lines
            .iter()
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
        tax_lines: vec![crate::pdf::TaxLine { label: format!("{} 0%", labels.tax), amount: money(0, &currency) }],
        total: money(invoice.total_minor, &currency),
        payment_method: invoice.payment_method_summary.clone(),
    };
    let bytes = crate::pdf::render_invoice_pdf(&document).map_err(AppError::internal)?;
    Ok((invoice, bytes))
}

// ---------------------------------------------------------------------------
// The billing run's invoice steps (R31, R33)
// ---------------------------------------------------------------------------

/// One invoice to issue: a profile and a billed month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueInvoice {
    pub period_start: NaiveDate,
    pub billing_profile_id: Uuid,
}

/// R31: the (month, profile) pairs with uninvoiced charges dated in a month
/// that ended before `as_of`, oldest month first. A charge written late for a
/// month already invoiced (say a renewal retried after a failed run) goes on
/// the profile's next invoice instead.
pub async fn due_invoices(db: &impl ConnectionTrait, as_of: NaiveDate) -> AppResult<Vec<DueInvoice>> {
    let cutoff = month_start(as_of);
    let rows: Vec<(Uuid, NaiveDate)> = charge::Entity::find()
        .select_only()
        .column(charge::Column::BillingProfileId)
        .column(charge::Column::ChargeDate)
        .filter(charge::Column::InvoiceId.is_null())
        .filter(charge::Column::ChargeDate.lt(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    let months: BTreeSet<DueInvoice> = rows
        .into_iter()
        .map(|(billing_profile_id, date)| DueInvoice { period_start: month_start(date), billing_profile_id })
        .collect();
    let Some(earliest) = months.iter().map(|d| d.period_start).min() else { return Ok(Vec::new()) };
    let profiles: BTreeSet<Uuid> = months.iter().map(|d| d.billing_profile_id).collect();
    let issued: BTreeSet<(Uuid, NaiveDate)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::BillingProfileId)
        .column(invoice::Column::PeriodStart)
        .filter(invoice::Column::BillingProfileId.is_in(profiles))
        .filter(invoice::Column::PeriodStart.gte(earliest))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut due = BTreeSet::new();
    for mut item in months {
        while issued.contains(&(item.billing_profile_id, item.period_start)) {
            item.period_start = next_month_start(item.period_start);
        }
        // Otherwise it waits for the invoice of the month now running.
        if item.period_start < cutoff {
            due.insert(item);
        }
    }
    Ok(due.into_iter().collect())
}

/// What issuing one invoice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {
    Invoice(Box<invoice::Model>),
    /// Already issued by an earlier (or concurrent) run: nothing done.
    AlreadyIssued,
}

/// R31: issues the invoice of one profile for one month in one transaction:
/// the next number of the organization (gapless: the counter moves in the
/// same transaction), the lines in charge-date order, the charges linked to
/// it. R44: a negative subtotal is CREDITED and carried to the profile's
/// credit balance; a positive one first consumes that balance (one line per
/// source invoice), and a total left at zero is PAID at issue. The unique
/// (billing_profile_id, period_start) makes a rerun a no-op (R33).
pub async fn issue_one(state: &Services, due: DueInvoice) -> AppResult<Issued> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let existing = invoice::Entity::find()
        .filter(invoice::Column::BillingProfileId.eq(due.billing_profile_id))
        .filter(invoice::Column::PeriodStart.eq(due.period_start))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Ok(Issued::AlreadyIssued);
    }
    // The month's charges, and any written late for a month already invoiced.
    let charges = charge::Entity::find()
        .filter(charge::Column::BillingProfileId.eq(due.billing_profile_id))
        .filter(charge::Column::InvoiceId.is_null())
        .filter(charge::Column::ChargeDate.lt(next_month_start(due.period_start)))
        .order_by_asc(charge::Column::ChargeDate)
        .order_by_asc(charge::Column::CreatedAt)
        .order_by_asc(charge::Column::Id)
        .all(&txn)
        .await?;
    if charges.is_empty() {
        return Ok(Issued::AlreadyIssued);
    }
    // Locked: issuing and refunds of one profile's credit balance queue (R44).
    let profile = billing_profile::Entity::find_by_id(due.billing_profile_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: crate::error::EntityKind::BillingProfile })?;
    let currency = charges[0].currency.clone();
    if charges.iter().any(|c| c.currency != currency) {
        return Err(AppError::internal(format!("charges in several currencies on profile {}", profile.id)));
    }
    // Product names for the lines, in one query.
    let sub_ids: Vec<Uuid> = charges.iter().map(|c| c.subscription_id).collect::<BTreeSet<_>>().into_iter().collect();
    let subs = subscription::Entity::find().filter(subscription::Column::Id.is_in(sub_ids)).all(&txn).await?;
    let product_ids: Vec<Uuid> = subs.iter().map(|s| s.product_id).collect::<BTreeSet<_>>().into_iter().collect();
    let products: BTreeMap<Uuid, String> = product::Entity::find()
        .filter(product::Column::Id.is_in(product_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let product_of: BTreeMap<Uuid, String> =
        subs.iter().map(|s| (s.id, products.get(&s.product_id).cloned().unwrap_or_default())).collect();
    // R31: numbers unique and gapless per organization. The row lock (PostgreSQL;
    // SQLite's write lock is already held) serializes the counter.
    let org = organization::Entity::find_by_id(profile.organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound { entity: crate::error::EntityKind::Organization })?;
    let number = org.next_invoice_number;
    organization::Entity::update_many()
        .col_expr(organization::Column::NextInvoiceNumber, sea_orm::sea_query::Expr::value(number + 1))
        .filter(organization::Column::Id.eq(org.id))
        .filter(organization::Column::NextInvoiceNumber.eq(number))
        .exec(&txn)
        .await?;
    let method = current_method(&txn, &profile).await?;
    // Issue 11: checked; an overflow fails this invoice (logged, retried), never clips.
    let subtotal = money::sum(charges.iter().map(|c| c.amount_minor))?;
    let balance_before = credit_balance::balance(&txn, profile.id).await?;
    let applied = if subtotal > 0 { credit_balance::take(&txn, profile.id, subtotal).await? } else { Vec::new() };
    let applied_minor = money::sum(applied.iter().map(|a| a.amount_minor))?;
    let total = money::sub(subtotal, applied_minor)?;
    let carried = if subtotal < 0 { money::sub(0, subtotal)? } else { 0 };
    let status = if subtotal < 0 {
        InvoiceStatus::Credited
    } else if total == 0 {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    };
    let issue = issue_date(due.period_start);
    let paid_at_issue = status == InvoiceStatus::Paid;
    let inserted = invoice::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(profile.organization_id),
        billing_profile_id: Set(profile.id),
        number: Set(number),
        period_start: Set(due.period_start),
        issue_date: Set(issue),
        due_date: Set(due_date(issue)),
        subtotal_minor: Set(subtotal),
        total_minor: Set(if subtotal < 0 { subtotal } else { total }),
        currency: Set(currency),
        status: Set(status),
        payment_method_id: Set(method.as_ref().map(|m| m.id)),
        payment_method_summary: Set(method_summary(method.as_ref())),
        paid_at: Set(paid_at_issue.then_some(now)),
        paid_by: Set(None),
        last_charge_attempt: Set(None),
        credit_applied_minor: Set(applied_minor),
        credit_carried_minor: Set(carried),
        credit_remaining_minor: Set(carried),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    let invoice = match inserted {
        Ok(invoice) => invoice,
        // Another runner issued it first (only possible after a lost lease).
        Err(e) if db::is_unique_violation(&e) => return Ok(Issued::AlreadyIssued),
        Err(e) => return Err(e.into()),
    };
    for (position, c) in charges.iter().enumerate() {
        invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(invoice.id),
            charge_id: Set(Some(c.id)),
            subscription_id: Set(Some(c.subscription_id)),
            product_name: Set(product_of.get(&c.subscription_id).cloned().unwrap_or_default()),
            description: Set(c.description.clone()),
            period_start: Set(c.period_start),
            period_end: Set(c.period_end),
            quantity: Set(c.quantity),
            unit_price_minor: Set(c.unit_price_minor),
            amount_minor: Set(c.amount_minor),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            source_invoice_id: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    // R44: the credit consumed, one line per invoice it came from.
    for (offset, credit) in applied.iter().enumerate() {
        let amount = money::sub(0, credit.amount_minor)?;
        invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(invoice.id),
            charge_id: Set(None),
            subscription_id: Set(None),
            product_name: Set("Credit balance".to_owned()),
            description: Set(credit_balance::line_description(credit.source_number)),
            period_start: Set(due.period_start),
            period_end: Set(issue),
            quantity: Set(1),
            unit_price_minor: Set(amount),
            amount_minor: Set(amount),
            position: Set(i32::try_from(charges.len() + offset).unwrap_or(i32::MAX)),
            source_invoice_id: Set(Some(credit.source_invoice_id)),
        }
        .insert(&txn)
        .await?;
    }
    let linked = charge::Entity::update_many()
        .col_expr(charge::Column::InvoiceId, sea_orm::sea_query::Expr::value(invoice.id))
        .filter(charge::Column::Id.is_in(charges.iter().map(|c| c.id).collect::<Vec<_>>()))
        .filter(charge::Column::InvoiceId.is_null())
        .exec(&txn)
        .await?;
    if linked.rows_affected != charges.len() as u64 {
        return Err(AppError::internal("charges changed while issuing an invoice"));
    }
    let mut after = snapshot(&invoice);
    after["lines"] = json!(charges.len() + applied.len());
    let entry = AuditEntry::new(audit::AuditAction::InvoiceIssue, "invoice", invoice.id).after(after);
    audit::record(&txn, AuditScope::org(invoice.organization_id, None), now, entry).await?;
    // R44: the balance change, on the profile's audit trail.
    credit_balance::record_issue(&txn, now, &invoice, balance_before, &applied).await?;
    txn.commit().await?;
    Ok(Issued::Invoice(Box::new(invoice)))
}

/// Open invoices issued on or before `as_of` whose card has not been tried yet.
pub async fn awaiting_card_charge(db: &impl ConnectionTrait, as_of: NaiveDate) -> AppResult<Vec<Uuid>> {
    let cards = Query::select()
        .column(payment_method::Column::Id)
        .from(payment_method::Entity)
        .and_where(payment_method::Column::Kind.eq(PaymentMethodKind::CreditCard))
        .to_owned();
    Ok(invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::LastChargeAttempt.is_null())
        .filter(invoice::Column::IssueDate.lte(as_of))
        .filter(invoice::Column::TotalMinor.gt(0))
        .filter(invoice::Column::PaymentMethodId.in_subquery(cards))
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Number)
        .into_tuple()
        .all(db)
        .await?)
}

/// The result of charging one invoice's card at issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardCharge {
    Approved,
    Declined,
    /// Already tried (by an earlier run) or no longer open: not charged again.
    Skipped,
}

/// R31, R33: charges the card named on the invoice at issue, at most once:
/// claim, then charge, then settle. The claim (with the idempotency key the
/// processor will see) is committed before the processor is called; a run
/// killed between the two leaves the claim unsettled, and the next run
/// charges it again with the same key (`settle_card_charge`), so a charge
/// that reached the processor is not taken twice and one that did not is not
/// lost.
pub async fn charge_at_issue(state: &Services, invoice_id: Uuid, as_of: NaiveDate) -> AppResult<CardCharge> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let claimed = invoice::Entity::update_many()
        .col_expr(invoice::Column::LastChargeAttempt, sea_orm::sea_query::Expr::value(as_of))
        .filter(invoice::Column::Id.eq(invoice_id))
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::LastChargeAttempt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(CardCharge::Skipped);
    }
    card_charge_claim::ActiveModel {
        invoice_id: Set(invoice_id),
        idempotency_key: Set(invoice_id.to_string()),
        claimed_at: Set(now),
        settled_at: Set(None),
        outcome: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    crate::fault::crash_point("charge-claimed");
    settle_card_charge(state, invoice_id, as_of).await
}

/// R33: card charges claimed but never settled (the run was killed between
/// the claim and recording the outcome), oldest first.
pub async fn unsettled_card_charges(db: &impl ConnectionTrait) -> AppResult<Vec<Uuid>> {
    Ok(card_charge_claim::Entity::find()
        .select_only()
        .column(card_charge_claim::Column::InvoiceId)
        .filter(card_charge_claim::Column::SettledAt.is_null())
        .order_by_asc(card_charge_claim::Column::ClaimedAt)
        .into_tuple()
        .all(db)
        .await?)
}

/// Calls the processor for a claimed charge (with the claim's idempotency
/// key) and records the outcome with the claim's settlement, once.
pub async fn settle_card_charge(state: &Services, invoice_id: Uuid, as_of: NaiveDate) -> AppResult<CardCharge> {
    let now = state.clock.now();
    let Some(claim) = card_charge_claim::Entity::find_by_id(invoice_id).one(&state.db).await? else {
        return Ok(CardCharge::Skipped);
    };
    if claim.settled_at.is_some() {
        return Ok(CardCharge::Skipped);
    }
    let invoice = invoice::Entity::find_by_id(invoice_id).one(&state.db).await?.ok_or(NOT_FOUND)?;
    let method = match invoice.payment_method_id {
        Some(id) => payment_method::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let outcome = match method.as_ref().and_then(stored_card) {
        // Paid meanwhile (e.g. by hand): nothing to charge.
        Some(_) if invoice.status == InvoiceStatus::Paid => ChargeOutcome::Declined { reason: "already paid" },
        Some(card) => state.processor.charge(&ChargeRequest {
            card: &card,
            amount_minor: invoice.total_minor,
            currency: &invoice.currency,
            today: as_of,
            idempotency_key: claim.idempotency_key.clone(),
        }),
        None => ChargeOutcome::Declined { reason: "no card" },
    };
    crate::fault::crash_point("charge-sent");

    let txn = db::begin_write(&state.db).await?;
    let invoice = invoice::Entity::find_by_id(invoice_id).lock_exclusive().one(&txn).await?.ok_or(NOT_FOUND)?;
    let settled = card_charge_claim::Entity::update_many()
        .col_expr(card_charge_claim::Column::SettledAt, sea_orm::sea_query::Expr::value(now))
        .filter(card_charge_claim::Column::InvoiceId.eq(invoice_id))
        .filter(card_charge_claim::Column::SettledAt.is_null());
    let scope = AuditScope::org(invoice.organization_id, None);
    let (result, label) = match outcome {
        ChargeOutcome::Approved { reference } if invoice.status != InvoiceStatus::Paid => {
            let before = snapshot(&invoice);
            let mut model: invoice::ActiveModel = invoice.into();
            model.status = Set(InvoiceStatus::Paid);
            model.paid_at = Set(Some(now));
            let invoice = model.update(&txn).await?;
            let mut after = snapshot(&invoice);
            after["processorReference"] = json!(reference);
            let entry = AuditEntry::new(audit::AuditAction::InvoiceCardCharged, "invoice", invoice.id)
                .before(before)
                .after(after);
            audit::record(&txn, scope, now, entry).await?;
            (CardCharge::Approved, "approved")
        }
        ChargeOutcome::Approved { .. } => (CardCharge::Skipped, "skipped"),
        ChargeOutcome::Declined { reason: "already paid" } => (CardCharge::Skipped, "skipped"),
        ChargeOutcome::Declined { reason } => {
            let entry = AuditEntry::new(audit::AuditAction::InvoiceCardDeclined, "invoice", invoice.id).after(
                json!({"number": display_number(invoice.number), "reason": reason, "status": invoice.status.as_str()}),
            );
            audit::record(&txn, scope, now, entry).await?;
            (CardCharge::Declined, "declined")
        }
    };
    let done =
        settled.col_expr(card_charge_claim::Column::Outcome, sea_orm::sea_query::Expr::value(label)).exec(&txn).await?;
    if done.rows_affected != 1 {
        // Another runner settled it first; its outcome stands.
        txn.rollback().await?;
        return Ok(CardCharge::Skipped);
    }
    txn.commit().await?;
    Ok(result)
}

/// R31: open invoices past their due date become OVERDUE, one transaction each.
pub async fn mark_overdue(state: &Services, as_of: NaiveDate) -> AppResult<u64> {
    let ids: Vec<Uuid> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::Status.eq(InvoiceStatus::Open))
        .filter(invoice::Column::DueDate.lt(as_of))
        .order_by_asc(invoice::Column::DueDate)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut marked = 0;
    for id in ids {
        let now = state.clock.now();
        let txn = db::begin_write(&state.db).await?;
        let Some(invoice) = invoice::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else { continue };
        if invoice.status != InvoiceStatus::Open || invoice.due_date >= as_of {
            continue;
        }
        let before = snapshot(&invoice);
        let mut model: invoice::ActiveModel = invoice.into();
        model.status = Set(InvoiceStatus::Overdue);
        let invoice = model.update(&txn).await?;
        let entry = AuditEntry::new(audit::AuditAction::InvoiceOverdue, "invoice", invoice.id)
            .before(before)
            .after(snapshot(&invoice));
        audit::record(&txn, AuditScope::org(invoice.organization_id, None), now, entry).await?;
        txn.commit().await?;
        marked += 1;
    }
    Ok(marked)
}

/// R15: subscriptions (not yet disabled) with a charge on an invoice still
/// unpaid when the grace period after its due date has ended on `as_of`.
pub async fn subscriptions_not_current(
    db: &impl ConnectionTrait,
    as_of: NaiveDate,
    grace_days: i64,
) -> AppResult<Vec<Uuid>> {
    let grace = chrono::Days::new(u64::try_from(grace_days).unwrap_or(0));
    // as_of > due_date + grace  ⇔  due_date < as_of − grace
    let Some(latest_due) = as_of.checked_sub_days(grace) else { return Ok(Vec::new()) };
    let unpaid = Query::select()
        .column(invoice::Column::Id)
        .from(invoice::Entity)
        .and_where(invoice::Column::Status.is_not_in([InvoiceStatus::Paid, InvoiceStatus::Credited]))
        .and_where(invoice::Column::DueDate.lt(latest_due))
        .to_owned();
    let subs = Query::select()
        .column(charge::Column::SubscriptionId)
        .from(charge::Entity)
        .and_where(charge::Column::InvoiceId.in_subquery(unpaid))
        .to_owned();
    Ok(subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::Id.in_subquery(subs))
        .filter(subscription::Column::Status.ne(entity::enums::SubscriptionStatus::Disabled))
        .order_by_asc(subscription::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn r31_calendar() {
        assert_eq!(month_start(d(2026, 3, 17)), d(2026, 3, 1));
        assert_eq!(issue_date(d(2026, 12, 1)), d(2027, 1, 1));
        assert_eq!(period_end(d(2028, 2, 1)), d(2028, 2, 29));
        assert_eq!(due_date(d(2026, 4, 1)), d(2026, 5, 1));
        assert_eq!(display_number(42), "LD-000042");
    }

    #[test]
    fn r32_issue_range() {
        let today = d(2026, 8, 15);
        let f = |period, from, to| InvoiceFilter { period, from, to, billing_profile_id: None, status: None };
        assert_eq!(issue_range(&f(Period::Past3Months, None, None), today), Ok((d(2026, 5, 15), d(2027, 8, 15))));
        assert_eq!(issue_range(&f(Period::Past6Months, None, None), today), Ok((d(2026, 2, 15), d(2027, 8, 15))));
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2025, 1, 1)), Some(d(2027, 1, 1))), today),
            Ok((d(2025, 1, 1), d(2027, 1, 1)))
        );
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2025, 1, 1)), Some(d(2027, 1, 2))), today),
            Err(AppError::validation("filter.to", Invalid::RangeTooLong { max_months: 24 }))
        );
        assert_eq!(
            issue_range(&f(Period::Custom, Some(d(2026, 2, 1)), Some(d(2026, 1, 1))), today),
            Err(AppError::validation("filter.from", Invalid::RangeOrder))
        );
        assert!(issue_range(&f(Period::Custom, None, None), today).is_err());
        assert!(issue_range(&f(Period::Past3Months, Some(today), None), today).is_err());
    }
}
