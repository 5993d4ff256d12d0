//! R33: the billing run — the only thing that moves time forward. For one
//! date it runs these steps, in order (`run_steps`, each a function below):
//!
//! a. `renew_or_expire_at_term_end` — renew, expire or end NOT_RENEWABLE
//!    the subscriptions whose term ended (R15, R17);
//! b. `issue_invoices` — the invoices of ended months (R31, R44);
//! c. `finish_payments_in_doubt`, then `charge_cards_at_issue` — payments a
//!    crash left between claim and record first (card charges and credit
//!    refunds, each with its own idempotency key), then the new invoices'
//!    cards (R31, R34, R44);
//! d. `invoices::mark_overdue` — past their due date (R31);
//! e. `disable_where_payment_is_not_current` — after the grace period (R15);
//! f. `record_run` — the date, once every item succeeded.
//!
//! Every step works in small transactions keyed by unique constraints
//! (renewal charges by `sub:{id}:term:{n}`, invoices by profile and month,
//! card charges by their claim), so a second run for the same date changes
//! nothing and a rerun after a kill finishes the work without duplicates. A
//! lease row in `job_leases` keeps it to one runner at a time across
//! instances sharing a database. The lease is short and renewed by a
//! heartbeat task, so a runner killed with `kill -9` stops blocking others
//! within `LEASE_SECONDS`. The invoice steps themselves live in
//! `service::invoices` (issue, settle); this file is the orchestration.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{billing_run, enums::SubscriptionStatus, job_lease, subscription};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr};
use uuid::Uuid;

use crate::{
    db,
    error::{AppError, AppResult},
    fault::crash_point,
    service::{
        Services,
        audit::{self, AuditEntry, AuditScope},
        credit_balance,
        invoices::{self, CardCharge, Issued},
        subscriptions::{self, Ending, snapshot},
    },
};

pub const LEASE_NAME: &str = "billing-run";
/// How long a lease lasts without renewal; a runner killed half-way blocks
/// others at most this long. A live runner renews it every `HEARTBEAT`.
pub const LEASE_SECONDS: i64 = 10;
pub const HEARTBEAT: Duration = Duration::from_secs(2);

/// What one run did; printed by `licensedesk billing run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingReport {
    pub as_of: Option<NaiveDate>,
    /// Another instance holds the lease: nothing was done.
    pub lease_held_elsewhere: bool,
    pub renewals: u64,
    pub expired: u64,
    pub invoices_issued: u64,
    pub cards_approved: u64,
    pub cards_declined: u64,
    pub marked_overdue: u64,
    pub disabled_for_payment: u64,
    /// Invoices that cannot be issued (issue 26 item 3): held on their
    /// profile with the reason; the run goes on and the date is recorded.
    pub invoices_held: u64,
    /// R52: renewal reminders queued (30 and 7 days ahead).
    pub renewal_notices: u64,
    /// R51: holders told their unused license will be reclaimed, and licenses reclaimed.
    pub reclaim_notices: u64,
    pub reclaimed: u64,
    /// R51: subscriptions whose admins were told their quantity will be
    /// lowered before the renewal, and quantities lowered.
    pub quantity_notices: u64,
    pub quantities_lowered: u64,
    /// Items that failed (logged); the date is not recorded so the run is retried.
    pub failures: u64,
}

impl fmt::Display for BillingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.as_of.map(|d| d.to_string()).unwrap_or_default();
        if self.lease_held_elsewhere {
            return write!(f, "billing run for {date}: another instance is running billing; nothing done");
        }
        write!(
            f,
            "billing run for {date}: {} renewal(s), {} expired, {} invoice(s) issued, {} card charge(s) approved, \
             {} declined, {} invoice(s) overdue, {} subscription(s) disabled for payment, {} invoice(s) held, \
             {} renewal notice(s), {} failure(s)",
            self.renewals,
            self.expired,
            self.invoices_issued,
            self.cards_approved,
            self.cards_declined,
            self.marked_overdue,
            self.disabled_for_payment,
            self.invoices_held,
            self.renewal_notices,
            self.failures
        )
    }
}

// ---------------------------------------------------------------------------
// The lease (one runner at a time)
// ---------------------------------------------------------------------------

/// Lease times are wall-clock: they are about live processes, not billing dates.
fn lease_expiry(from: DateTime<Utc>) -> DateTime<Utc> {
    from + chrono::Duration::seconds(LEASE_SECONDS)
}

/// Takes the lease when it is free or expired (insert, or a conditional update
/// that only matches an expired row). True when `holder` now holds it.
pub async fn acquire_lease(state: &Services, holder: &str) -> AppResult<bool> {
    let now = Utc::now();
    let inserted = job_lease::ActiveModel {
        name: Set(LEASE_NAME.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(lease_expiry(now)),
    }
    .insert(&state.db)
    .await;
    match inserted {
        Ok(_) => return Ok(true),
        Err(e) if db::is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let taken = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::Holder, Expr::value(holder))
        .col_expr(job_lease::Column::ExpiresAt, Expr::value(lease_expiry(now)))
        .filter(job_lease::Column::Name.eq(LEASE_NAME))
        .filter(job_lease::Column::ExpiresAt.lt(now))
        .exec(&state.db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Extends the lease while `holder` still holds it; false when it was lost.
pub async fn renew_lease(state: &Services, holder: &str) -> AppResult<bool> {
    let renewed = job_lease::Entity::update_many()
        .col_expr(job_lease::Column::ExpiresAt, Expr::value(lease_expiry(Utc::now())))
        .filter(job_lease::Column::Name.eq(LEASE_NAME))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(&state.db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

pub async fn release_lease(state: &Services, holder: &str) -> AppResult<()> {
    job_lease::Entity::delete_many()
        .filter(job_lease::Column::Name.eq(LEASE_NAME))
        .filter(job_lease::Column::Holder.eq(holder))
        .exec(&state.db)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// Renews the lease every `HEARTBEAT` while the run goes on; flags the loss
/// when another runner took it (the run then stops at its next step).
struct Heartbeat {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    fn start(state: &Services, holder: &str) -> Heartbeat {
        let lost = Arc::new(AtomicBool::new(false));
        let (state, holder, flag) = (state.clone(), holder.to_owned(), lost.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                match renew_lease(&state, &holder).await {
                    Ok(true) => {}
                    Ok(false) => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A database hiccup: try again at the next beat; the lease
                    // outlives several missed beats.
                    Err(e) => tracing::warn!(error = ?e, "could not renew the billing lease"),
                }
            }
        });
        Heartbeat { lost, task }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// R33: runs billing for `as_of`. Idempotent and safe to rerun after a kill.
/// When another instance holds the lease it does nothing and says so.
pub async fn run_billing(state: &Services, as_of: NaiveDate) -> AppResult<BillingReport> {
    run_billing_waiting(state, as_of, Duration::ZERO).await
}

/// Like `run_billing`, but waits up to `wait` for a lease held by someone
/// else. With a wait longer than `LEASE_SECONDS`, a lease left by a killed
/// runner always expires in time, so a lease still held afterwards belongs to
/// a live run.
pub async fn run_billing_waiting(state: &Services, as_of: NaiveDate, wait: Duration) -> AppResult<BillingReport> {
    let holder = format!("billing-{}", Uuid::new_v4().simple());
    let mut report = BillingReport { as_of: Some(as_of), ..BillingReport::default() };
    let deadline = tokio::time::Instant::now() + wait;
    while !acquire_lease(state, &holder).await? {
        if tokio::time::Instant::now() >= deadline {
            report.lease_held_elsewhere = true;
            tracing::info!(%as_of, "billing run skipped: the lease is held by another instance");
            return Ok(report);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let heartbeat = Heartbeat::start(state, &holder);
    let result = run_steps(state, as_of, &holder, &heartbeat, &mut report).await;
    drop(heartbeat);
    if let Err(e) = release_lease(state, &holder).await {
        tracing::warn!(error = ?e, "could not release the billing lease; it expires on its own");
    }
    result?;
    if report.failures > 0 {
        return Err(AppError::internal(format!("{report}; see the log for the failed items")));
    }
    tracing::info!("{report}");
    Ok(report)
}

async fn keep_lease(state: &Services, holder: &str, heartbeat: &Heartbeat) -> AppResult<()> {
    if !heartbeat.lost.load(Ordering::SeqCst) && renew_lease(state, holder).await? {
        Ok(())
    } else {
        Err(AppError::internal("the billing lease was lost; another instance took over"))
    }
}

/// Logs a failed item and counts it; the run goes on with the next item.
fn failed(report: &mut BillingReport, what: &str, id: impl fmt::Display, e: &AppError) {
    tracing::error!(error = ?e, item = %id, "billing run: {what} failed");
    report.failures += 1;
}

async fn run_steps(
    state: &Services,
    as_of: NaiveDate,
    holder: &str,
    heartbeat: &Heartbeat,
    report: &mut BillingReport,
) -> AppResult<()> {
    renew_or_expire_at_term_end(state, as_of, report).await?;
    keep_lease(state, holder, heartbeat).await?;
    issue_invoices(state, as_of, report).await?;
    keep_lease(state, holder, heartbeat).await?;
    // Before anything goes overdue, so no invoice goes overdue (and no
    // customer is disabled) because of our crash.
    finish_payments_in_doubt(state, as_of, report).await?;
    charge_cards_at_issue(state, as_of, report).await?;
    keep_lease(state, holder, heartbeat).await?;
    report.marked_overdue += invoices::mark_overdue(state, as_of).await?;
    crash_point("overdue-marked");
    disable_where_payment_is_not_current(state, as_of, report).await?;
    // R52: the renewals ahead are reminded once each (the notices' own keys).
    report.renewal_notices += crate::service::notices::queue_renewal_reminders(state, as_of).await?;
    // R51: licenses unused under a reclaim policy: told first, taken back after the notice period;
    // renewals' quantities lowered to what is assigned (after the renewals above, before the next).
    let reclaimed = crate::service::reclaim::run(state).await?;
    report.reclaim_notices += reclaimed.notified;
    report.reclaimed += reclaimed.unassigned;
    report.quantity_notices += reclaimed.quantity_notices;
    report.quantities_lowered += reclaimed.lowered;
    // Record the date once everything succeeded, so the scheduler retries otherwise.
    crash_point("before-record");
    if report.failures == 0 {
        record_run(state, as_of).await?;
    }
    Ok(())
}

/// Step a (R15, R17): renew or expire the subscriptions at term end.
async fn renew_or_expire_at_term_end(state: &Services, as_of: NaiveDate, report: &mut BillingReport) -> AppResult<()> {
    for id in subscriptions_at_term_end(state, as_of).await? {
        match renew_or_expire(state, id, as_of).await {
            Ok((renewals, expired)) => {
                report.renewals += renewals;
                report.expired += u64::from(expired);
                crash_point("renewed");
            }
            Err(e) => failed(report, "renewal", id, &e),
        }
    }
    Ok(())
}

/// Step b (R31, R44): issue the invoices of ended months.
async fn issue_invoices(state: &Services, as_of: NaiveDate, report: &mut BillingReport) -> AppResult<()> {
    for due in invoices::due_invoices(&state.db, as_of).await? {
        match invoices::issue_one(state, due, as_of).await {
            Ok(Issued::Invoice(_)) => {
                report.invoices_issued += 1;
                crash_point("invoice-issued");
            }
            Ok(Issued::AlreadyIssued) => {}
            Ok(Issued::Held { reason }) => {
                report.invoices_held += 1;
                tracing::warn!(profile = %due.billing_profile_id, period = %due.period_start, %reason, "billing run: invoice held");
                if let Err(e) = invoices::hold(state, due, as_of, &reason).await {
                    failed(report, "holding an invoice", due.billing_profile_id, &e);
                }
            }
            Err(e) => failed(report, "issuing an invoice", due.billing_profile_id, &e),
        }
    }
    Ok(())
}

/// Step c1 (R33, R44): payments a crash left between claim and record —
/// card charges (at issue, or payInvoice's) and credit refunds — finished
/// with their own idempotency key, so the processor moves the money once.
async fn finish_payments_in_doubt(state: &Services, as_of: NaiveDate, report: &mut BillingReport) -> AppResult<()> {
    for id in invoices::unsettled_card_charges(&state.db).await? {
        match invoices::settle_card_charge(state, id, as_of, None).await {
            Ok(outcome) => count(report, outcome),
            Err(e) => failed(report, "charging a card (recovery)", id, &e),
        }
    }
    for claim in credit_balance::refunds_in_doubt(&state.db).await? {
        let id = claim.id;
        match credit_balance::finish_refund(state, claim, None).await {
            // A decline undoes the claim: the credit is back on the balance.
            Ok(_) | Err(AppError::PaymentDeclined) => {}
            Err(e) => failed(report, "finishing a credit refund", id, &e),
        }
    }
    Ok(())
}

/// Step c2 (R31, R34): charge the card named on each new invoice; a decline
/// leaves the invoice open.
async fn charge_cards_at_issue(state: &Services, as_of: NaiveDate, report: &mut BillingReport) -> AppResult<()> {
    for id in invoices::awaiting_card_charge(&state.db, as_of).await? {
        match invoices::charge_at_issue(state, id, as_of).await {
            Ok(outcome) => count(report, outcome),
            Err(e) => failed(report, "charging a card", id, &e),
        }
    }
    Ok(())
}

fn count(report: &mut BillingReport, outcome: CardCharge) {
    match outcome {
        CardCharge::Approved => report.cards_approved += 1,
        CardCharge::Declined => report.cards_declined += 1,
        CardCharge::Skipped => {}
    }
}

/// Step e (R15): disable the subscriptions whose payment is not kept current
/// after the grace period (step d, just before, marked invoices overdue).
async fn disable_where_payment_is_not_current(
    state: &Services,
    as_of: NaiveDate,
    report: &mut BillingReport,
) -> AppResult<()> {
    let grace = state.grace_period_days;
    for id in invoices::subscriptions_not_current(&state.db, as_of, grace).await? {
        match disable_for_payment(state, id).await {
            Ok(true) => report.disabled_for_payment += 1,
            Ok(false) => {}
            Err(e) => failed(report, "disabling a subscription", id, &e),
        }
    }
    Ok(())
}

/// Subscriptions whose current term has ended by `as_of` and are not disabled.
async fn subscriptions_at_term_end(state: &Services, as_of: NaiveDate) -> AppResult<Vec<Uuid>> {
    Ok(subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(subscription::Column::CurrentTermEnd.lte(as_of))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Disabled))
        .order_by_asc(subscription::Column::CurrentTermEnd)
        .order_by_asc(subscription::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?)
}

/// R15, R17, R30: in one transaction, brings one subscription up to date as
/// of `as_of` (`subscriptions::bring_up_to_date`: every missed term end at
/// the price, quantity and auto-renew in force on it). Returns (renewals, expired).
async fn renew_or_expire(state: &Services, id: Uuid, as_of: NaiveDate) -> AppResult<(u64, bool)> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let Some(sub) = subscription::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else {
        return Ok((0, false));
    };
    let caught = subscriptions::bring_up_to_date(&txn, sub, as_of, now).await?;
    txn.commit().await?;
    Ok((caught.renewals, caught.ended))
}

/// R15: DISABLED with PAYMENT_NOT_CURRENT; false when already disabled.
async fn disable_for_payment(state: &Services, id: Uuid) -> AppResult<bool> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let Some(sub) = subscription::Entity::find_by_id(id).lock_exclusive().one(&txn).await? else {
        return Ok(false);
    };
    if sub.status == SubscriptionStatus::Disabled {
        return Ok(false);
    }
    let before = snapshot(&sub);
    let mut model: subscription::ActiveModel = sub.into();
    subscriptions::disable(&mut model, Ending::PaymentNotCurrent, now);
    let sub = model.update(&txn).await?;
    let entry = AuditEntry::new(audit::AuditAction::SubscriptionDisablePaymentNotCurrent, "subscription", sub.id)
        .before(before)
        .after(snapshot(&sub));
    audit::record(&txn, AuditScope::org(sub.organization_id, None), now, entry).await?;
    txn.commit().await?;
    Ok(true)
}

async fn record_run(state: &Services, as_of: NaiveDate) -> AppResult<()> {
    if has_run(state, as_of).await? {
        return Ok(());
    }
    let inserted =
        billing_run::ActiveModel { as_of: Set(as_of), completed_at: Set(state.clock.now()) }.insert(&state.db).await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// True when a run for `as_of` completed.
pub async fn has_run(state: &Services, as_of: NaiveDate) -> AppResult<bool> {
    Ok(billing_run::Entity::find_by_id(as_of).one(&state.db).await?.is_some())
}
