//! Invoices (R31, R32).

use super::enums::InvoiceStatus;
use super::enums::MapInto;
use crate::error::EntityKind;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{invoice, invoice_line};

use super::{
    actor,
    billing::{BillingProfile, nested_profile},
    pagination::{self, Page, SortDirection},
    parse_id, state,
    subscriptions::{Subscription, nested_subscription},
    types::Money,
};
use crate::{
    access::Visible,
    service::invoices::{self as svc, InvoiceView},
};

/// Credit balance used on an invoice, from one earlier invoice.
#[derive(SimpleObject)]
pub struct AppliedCredit {
    /// The number of the invoice the credit came from, e.g. "LD-000002".
    pub from_invoice: String,
    /// The amount used, negative.
    pub amount: Money,
}

/// An invoice: one per billing profile per calendar month.
pub struct Invoice {
    invoice: Visible<invoice::Model>,
    lines: Vec<invoice_line::Model>,
}

impl From<InvoiceView> for Invoice {
    fn from(v: InvoiceView) -> Self {
        Invoice { invoice: v.invoice, lines: v.lines }
    }
}

/// Which buttons to show on an invoice.
#[derive(async_graphql::SimpleObject)]
pub struct InvoiceViewerCan {
    /// `payInvoice` (or `markInvoicePaid` for check/wire profiles): the caller
    /// holds the pay right on the profile and the invoice is unpaid.
    pub pay: bool,
    /// The PDF (`pdfUrl`): whoever sees the invoice may download it.
    pub download_pdf: bool,
}

/// A monthly invoice of one billing profile.
#[Object]
impl Invoice {
    /// Stable identifier of the invoice.
    async fn id(&self) -> ID {
        ID(self.invoice.id.to_string())
    }
    /// What the caller may do with this invoice.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<InvoiceViewerCan> {
        let profile = nested_profile(ctx, self.invoice.billing_profile_id).await?;
        let pay = profile.is_some_and(|p| p.rights.pay_invoices) && !self.invoice.status.is_settled();
        Ok(InvoiceViewerCan { pay, download_pdf: true })
    }
    /// e.g. "LD-000042"; sequential per organization.
    async fn number(&self) -> String {
        svc::display_number(self.invoice.number)
    }
    /// The number as an integer: 1, 2, 3… per organization, without gaps.
    async fn sequence(&self) -> i64 {
        self.invoice.number
    }
    /// The profile billed, under the same rule as `billingProfile(id)`; an
    /// invoice is only visible with its profile, so this is never null in practice.
    async fn billing_profile(&self, ctx: &Context<'_>) -> Result<Option<BillingProfile>> {
        nested_profile(ctx, self.invoice.billing_profile_id).await
    }
    /// First day of the billed calendar month.
    async fn period_start(&self) -> NaiveDate {
        self.invoice.period_start
    }
    /// Last day of the billed calendar month (inclusive).
    async fn period_end(&self) -> NaiveDate {
        svc::period_end(self.invoice.period_start)
    }
    /// The first day of the month after the billed one.
    async fn issue_date(&self) -> NaiveDate {
        self.invoice.issue_date
    }
    /// Issue date + 30 days.
    async fn due_date(&self) -> NaiveDate {
        self.invoice.due_date
    }
    /// Open, paid, overdue or credited.
    async fn status(&self) -> InvoiceStatus {
        self.invoice.status.into()
    }
    /// The sum of the month's charges and credits — every line except the
    /// credit balance used (the invoice reads subtotal, credit applied, tax,
    /// total, in that order, as on the PDF).
    async fn subtotal(&self) -> Money {
        Money::new(self.invoice.subtotal_minor, &self.invoice.currency)
    }
    /// The credit balance used, one row per invoice it came
    /// from (negative amounts, summing to minus `creditApplied`), as printed
    /// on the PDF between the subtotal and the tax.
    async fn credits_applied(&self, ctx: &Context<'_>) -> Result<Vec<AppliedCredit>> {
        let rows = svc::credits_applied(&state(ctx)?.db, &self.lines).await?;
        let currency = &self.invoice.currency;
        Ok(rows
            .into_iter()
            .map(|(from_invoice, amount)| AppliedCredit { from_invoice, amount: Money::new(amount, currency) })
            .collect())
    }
    /// Tax on the invoice; no tax is configured, so zero (the PDF prints a 0% row).
    async fn tax(&self) -> Money {
        Money::new(0, &self.invoice.currency)
    }
    /// What is owed: subtotal + credit applied + tax. Negative for a
    /// CREDITED invoice, whose credit went to the profile's balance
    /// (`creditCarried`).
    async fn total(&self) -> Money {
        Money::new(self.invoice.total_minor, &self.invoice.currency)
    }
    /// Credit balance from earlier invoices used on this one (a line per source invoice).
    async fn credit_applied(&self) -> Money {
        Money::new(self.invoice.credit_applied_minor, &self.invoice.currency)
    }
    /// For a CREDITED invoice, the amount added to the profile's credit
    /// balance (the PDF prints it under the total).
    async fn credit_carried(&self) -> Money {
        Money::new(self.invoice.credit_carried_minor, &self.invoice.currency)
    }
    /// The part of `creditCarried` not yet used by later invoices or refunded.
    async fn credit_remaining(&self) -> Money {
        Money::new(self.invoice.credit_remaining_minor, &self.invoice.currency)
    }
    /// ISO 4217.
    async fn currency(&self) -> &str {
        &self.invoice.currency
    }
    /// How it is paid, e.g. "VISA ending 4242" or "Check or wire transfer".
    async fn payment_method(&self) -> &str {
        &self.invoice.payment_method_summary
    }
    /// When it was paid; null until then.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.invoice.paid_at
    }
    /// The charges and credits of the month, in date order; a page of
    /// `first` lines at a time (issue 20): pass the last line's `id` as
    /// `after` for the next page.
    async fn lines(
        &self,
        #[graphql(desc = "How many lines to return, 1 to 100 (default 50).", default = 50)] first: Option<i32>,
        #[graphql(desc = "The `id` of the last line of the previous page.")] after: Option<ID>,
    ) -> Result<Vec<InvoiceLine>> {
        let currency = &self.invoice.currency;
        let page = pagination::slice(&self.lines, |l| l.id, first.unwrap_or(50), after.as_ref())?;
        Ok(page.iter().map(|l| InvoiceLine::new(l, currency)).collect())
    }
    /// A link to the invoice as a PDF that works without the bearer
    /// token until it expires (`LICENSEDESK_PDF_LINK_TTL_SECONDS`, 15 minutes
    /// by default): an absolute URL on this server (from
    /// `LICENSEDESK_PUBLIC_BASE_URL`), for a plain browser link.
    async fn pdf_url(&self, ctx: &Context<'_>) -> Result<String> {
        let state = state(ctx)?;
        let expires = state.clock.now().timestamp() + state.config.pdf_link_ttl_seconds;
        let path = crate::service::invoices::links::signed_pdf_url(&state.link_key, self.invoice.id, expires);
        Ok(format!("{}{path}", state.config.public_base_url))
    }
    /// When the invoice was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.invoice.created_at
    }
}

/// One charge or credit on an invoice. Credits are negative.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct InvoiceLine {
    /// The product charged or credited.
    pub product_name: String,
    /// What the line is for, e.g. "First term" or "Cancellation credit".
    pub description: String,
    /// Start of the period the line covers.
    pub period_start: NaiveDate,
    /// End of the period the line covers (exclusive: the term's end date).
    pub period_end: NaiveDate,
    /// Licenses (1 for flat rate); negative for licenses removed.
    pub quantity: i64,
    /// Price of one license (or of the flat rate) for the line's period.
    pub unit_price: Money,
    /// The line's amount; negative for a credit.
    pub amount: Money,
    /// For a line that uses credit balance, the invoice the credit came from.
    pub credit_from_invoice_id: Option<ID>,
    /// Stable identifier of the line; the `after` of the next page of lines.
    pub id: ID,
    #[graphql(skip)]
    subscription_id: Option<uuid::Uuid>,
}

#[ComplexObject]
impl InvoiceLine {
    /// The subscription the line charges or credits; null when the line
    /// belongs to none (e.g. credit balance used) or the caller may not view
    /// that subscription (e.g. it moved to a billing profile they cannot see).
    async fn subscription(&self, ctx: &Context<'_>) -> Result<Option<Subscription>> {
        match self.subscription_id {
            Some(id) => nested_subscription(ctx, id).await,
            None => Ok(None),
        }
    }
}

impl InvoiceLine {
    fn new(l: &invoice_line::Model, currency: &str) -> Self {
        InvoiceLine {
            product_name: l.product_name.clone(),
            description: l.description.clone(),
            period_start: l.period_start,
            period_end: l.period_end,
            quantity: l.quantity,
            unit_price: Money::new(l.unit_price_minor, currency),
            amount: Money::new(l.amount_minor, currency),
            credit_from_invoice_id: l.source_invoice_id.map(|id| ID(id.to_string())),
            subscription_id: l.subscription_id,
            id: ID(l.id.to_string()),
        }
    }
}

/// Which invoices to list.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum InvoicePeriod {
    /// Issued in the last 3 months (the default).
    #[default]
    Past3Months,
    /// Issued in the last 6 months.
    Past6Months,
    /// The `from`–`to` range.
    Custom,
}

impl From<InvoicePeriod> for svc::Period {
    fn from(p: InvoicePeriod) -> Self {
        match p {
            InvoicePeriod::Past3Months => svc::Period::Past3Months,
            InvoicePeriod::Past6Months => svc::Period::Past6Months,
            InvoicePeriod::Custom => svc::Period::Custom,
        }
    }
}

/// Narrows `invoices`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct InvoiceFilter {
    /// Counted back from today by issue date. Ignored when `from` and `to` are given.
    #[graphql(default)]
    pub period: InvoicePeriod,
    /// Issue dates from this day (inclusive); with `to`, at most 24 months apart.
    pub from: Option<NaiveDate>,
    /// Issue dates up to this day (inclusive).
    pub to: Option<NaiveDate>,
    /// Only invoices of this billing profile; one the caller cannot view is NOT_FOUND.
    pub billing_profile_id: Option<ID>,
    /// Only invoices in this state, e.g. OPEN or OVERDUE for what is still owed.
    pub status: Option<InvoiceStatus>,
}

/// What a list of invoices can be sorted by. Each order ends with the
/// invoice's id, so equal values keep one order across pages.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum InvoiceOrderField {
    /// The issue date, then the invoice number (the default order is this
    /// field, newest first).
    IssueDate,
    /// The total owed. Invoices are grouped by currency (by its code) and
    /// sorted by amount within each currency: amounts are never converted.
    Total,
}

/// The order of `invoices`: a field and a direction, e.g.
/// `{field: TOTAL, direction: DESC}` for the largest first.
#[derive(InputObject)]
pub struct InvoiceOrder {
    /// What to sort by.
    pub field: InvoiceOrderField,
    /// Which way; ASC if not given.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<InvoiceOrder> for (svc::InvoiceSort, crate::paging::Direction) {
    fn from(o: InvoiceOrder) -> Self {
        let field = match o.field {
            InvoiceOrderField::IssueDate => svc::InvoiceSort::IssueDate,
            InvoiceOrderField::Total => svc::InvoiceSort::Total,
        };
        (field, o.direction.into())
    }
}

#[derive(Default)]
pub struct InvoiceQuery;

#[Object]
impl InvoiceQuery {
    /// The invoices of the billing profiles the caller can view,
    /// newest first (issue date, then number) unless `orderBy` says otherwise.
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which invoices: by default those issued in the past 3 months.")] filter: Option<
            InvoiceFilter,
        >,
        #[graphql(desc = "How to sort; newest first (ISSUE_DATE, DESC) if not given.")] order_by: Option<InvoiceOrder>,
        #[graphql(desc = "How many invoices to return: 1 to 100, 20 if not given.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor` or `pageInfo.endCursor` of the previous \
                          page, made with the same `orderBy`).")]
        after: Option<String>,
    ) -> Result<Page<Invoice>> {
        let window = pagination::window(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let billing_profile_id = match &filter.billing_profile_id {
            Some(id) => Some(parse_id(id, EntityKind::BillingProfile)?),
            None => None,
        };
        let filter = svc::InvoiceFilter {
            period: filter.period.into(),
            from: filter.from,
            to: filter.to,
            billing_profile_id,
            status: filter.status.map_into(),
        };
        let order = order_by.map_or(svc::NEWEST_FIRST, Into::into);
        let views = svc::list(state(ctx)?, actor(ctx)?, filter, order, &window).await?;
        Ok(pagination::page(views.map(Invoice::from), |i| i.invoice.id))
    }

    /// One invoice with its lines; NOT_FOUND unless the caller can view its billing profile.
    async fn invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice's identifier.")] id: ID,
    ) -> Result<Invoice> {
        let id = parse_id(&id, EntityKind::Invoice)?;
        Ok(svc::get(state(ctx)?, actor(ctx)?, id).await?.into())
    }
}

#[derive(Default)]
pub struct InvoiceMutation;

#[Object]
impl InvoiceMutation {
    /// Pays an unpaid invoice with the profile's current card (OWNER,
    /// CONTRIBUTOR, INVOICE_MANAGER). A decline is PAYMENT_DECLINED and changes nothing.
    async fn pay_invoice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice to pay.")] invoice_id: ID,
    ) -> Result<Invoice> {
        let id = parse_id(&invoice_id, EntityKind::Invoice)?;
        Ok(svc::pay(state(ctx)?, actor(ctx)?, id).await?.into())
    }

    /// Records that a check or wire transfer paid the invoice (profiles paying by check or wire).
    async fn mark_invoice_paid(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invoice paid by check or wire transfer.")] invoice_id: ID,
    ) -> Result<Invoice> {
        let id = parse_id(&invoice_id, EntityKind::Invoice)?;
        Ok(svc::mark_paid(state(ctx)?, actor(ctx)?, id).await?.into())
    }
}
