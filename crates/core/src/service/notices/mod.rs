//! R52: notices by e-mail, from the outbox's transaction. A change that
//! calls for a notice queues it in its own transaction — `audit::record`
//! calls [`queue_for_audit`] next to the outbox event — so there is no notice
//! without its change and no change without its notice; the daily renewal
//! reminder queues its own ([`queue_renewal_reminders`]). A notice is queued
//! once: its `dedupe_key` is unique and a second queueing does nothing.
//!
//! Sending (the server's `workers::notices`) claims due rows with a lease,
//! sends each over SMTP and marks it SENT only after the server accepted
//! it. Delivery is at least once: a sender killed between the SMTP server's
//! "250 accepted" and the SENT mark sends that one message again after the
//! lease ends, with the same `Message-ID` (`<notice-{id}@…>`), so the
//! receiving side can tell it is the same message. Exactly once cannot be
//! had over SMTP (it has no idempotency key); marking SENT before sending
//! would lose a message on every crash instead, which R52 forbids.
//!
//! What a message says is decided when it is queued (names, amounts and
//! dates formatted in the recipient's language and stored in `data`), so a
//! retry says the same thing; the invoice's PDF is rendered when sent.

pub mod texts;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    billing_profile, enums::SubscriptionStatus, invoice, notice, notice_setting, organization, product, subscription,
    user,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Set, Statement,
    sea_query::{ExprTrait, OnConflict},
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::domain::notices::NoticeKind;
use crate::{
    access::{self, Visible},
    auth::Actor,
    db,
    error::{AppError, AppResult, EntityKind},
    i18n::Lang,
    paging::{Page, Window},
    pdf::locale,
    service::{
        Services,
        audit::{self, AuditAction, AuditEntry, AuditScope},
    },
};

/// The states of a notice row, as stored.
pub mod status {
    pub const PENDING: &str = "PENDING";
    pub const SENT: &str = "SENT";
    pub const FAILED: &str = "FAILED";
}

/// A notice to queue: who, in which language, about what, saying what.
pub struct NewNotice {
    pub organization_id: Uuid,
    pub kind: NoticeKind,
    pub dedupe_key: String,
    pub recipient_email: String,
    pub recipient_name: String,
    pub lang: Lang,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub data: Value,
}

/// Whether the organization receives this kind (no setting: yes).
pub async fn is_enabled(db: &impl ConnectionTrait, organization_id: Uuid, kind: NoticeKind) -> AppResult<bool> {
    Ok(notice_setting::Entity::find_by_id((organization_id, kind.as_str().to_owned()))
        .one(db)
        .await?
        .is_none_or(|s| s.enabled))
}

/// Queues one notice unless its kind is off for the organization or the same
/// notice (`dedupe_key`) is queued already; true when queued. Part of the
/// caller's transaction.
pub async fn queue(db: &impl ConnectionTrait, new: NewNotice, now: DateTime<Utc>) -> AppResult<bool> {
    if new.recipient_email.trim().is_empty() || !is_enabled(db, new.organization_id, new.kind).await? {
        return Ok(false);
    }
    let row = notice::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(new.organization_id),
        kind: Set(new.kind.as_str().to_owned()),
        dedupe_key: Set(new.dedupe_key),
        recipient_email: Set(new.recipient_email.trim().to_owned()),
        recipient_name: Set(new.recipient_name),
        language: Set(new.lang.tag().to_owned()),
        object_type: Set(new.object_type.to_owned()),
        object_id: Set(new.object_id),
        data: Set(new.data.to_string()),
        status: Set(status::PENDING.to_owned()),
        attempts: Set(0),
        // Wall-clock time: sending is operational, not business time.
        next_attempt_at: Set(Utc::now()),
        locked_until: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
    };
    let inserted = notice::Entity::insert(row)
        .on_conflict(OnConflict::column(notice::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

fn lang_of_tag(tag: Option<&str>) -> Option<Lang> {
    tag.and_then(|tag| Lang::ALL.into_iter().find(|lang| lang.tag() == tag))
}

/// The billing contact's language: the profile's, else its country's, else English.
pub fn profile_lang(profile: &billing_profile::Model) -> Lang {
    lang_of_tag(profile.language.as_deref())
        .or_else(|| crate::pdf::language_for_country(&profile.country))
        .unwrap_or_default()
}

/// A person's language: their organization's country's, else English.
pub fn organization_lang(organization: &organization::Model) -> Lang {
    crate::pdf::language_for_country(&organization.country).unwrap_or_default()
}

async fn organization(db: &impl ConnectionTrait, id: Uuid) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound { entity: EntityKind::Organization })
}

async fn profile(db: &impl ConnectionTrait, id: Uuid) -> AppResult<billing_profile::Model> {
    billing_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::BillingProfile })
}

async fn subscription_with_product(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> AppResult<(subscription::Model, product::Model)> {
    let sub = subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Subscription })?;
    let product = product::Entity::find_by_id(sub.product_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Product })?;
    Ok((sub, product))
}

/// R52: the notices an audited change calls for, queued in its transaction.
pub async fn queue_for_audit(
    db: &impl ConnectionTrait,
    scope: &AuditScope,
    entry: &AuditEntry,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use AuditAction as A;
    let kind = match entry.action {
        A::InvoiceIssue => NoticeKind::Invoice,
        A::InvoiceCardDeclined => NoticeKind::PaymentDeclined,
        A::InvoiceOverdue => NoticeKind::PaymentOverdue,
        A::SubscriptionDisablePaymentNotCurrent => NoticeKind::DisabledForPayment,
        A::SubscriptionAssignLicenses => NoticeKind::LicenseAssigned,
        _ => return Ok(()),
    };
    let Some(organization_id) = scope.organization_id else { return Ok(()) };
    if !is_enabled(db, organization_id, kind).await? {
        return Ok(());
    }
    match kind {
        NoticeKind::Invoice | NoticeKind::PaymentDeclined | NoticeKind::PaymentOverdue => {
            queue_invoice_notice(db, kind, entry.object_id, now).await
        }
        NoticeKind::DisabledForPayment => queue_disabled(db, entry.object_id, now).await,
        NoticeKind::LicenseAssigned => {
            let users: Vec<Uuid> = entry
                .after
                .as_ref()
                .and_then(|a| a.get("users"))
                .and_then(Value::as_array)
                .map(|users| users.iter().filter_map(|u| u.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect())
                .unwrap_or_default();
            queue_license_assigned(db, entry.object_id, &users, now).await
        }
        _ => Ok(()),
    }
}

/// An invoice, a declined payment or an overdue invoice, to the billing
/// profile's contact. One invoice notice per invoice, one overdue notice per
/// invoice, one declined notice per invoice and day.
async fn queue_invoice_notice(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    invoice_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let invoice = invoice::Entity::find_by_id(invoice_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound { entity: EntityKind::Invoice })?;
    let profile = profile(db, invoice.billing_profile_id).await?;
    let organization = organization(db, invoice.organization_id).await?;
    let lang = profile_lang(&profile);
    let dedupe_key = match kind {
        NoticeKind::PaymentDeclined => format!("{}:{}:{}", kind.as_str(), invoice.id, now.date_naive()),
        _ => format!("{}:{}", kind.as_str(), invoice.id),
    };
    let number = crate::service::invoices::display_number(invoice.number);
    queue(
        db,
        NewNotice {
            organization_id: invoice.organization_id,
            kind,
            dedupe_key,
            recipient_email: profile.contact_email.clone(),
            recipient_name: profile.contact_name.clone(),
            lang,
            object_type: access::notice::INVOICE,
            object_id: invoice.id,
            data: json!({
                "organization": organization.name,
                "invoice": number,
                "amount": locale::amount_with_currency(invoice.total_minor, &invoice.currency, lang),
                "due": locale::date(invoice.due_date, lang),
            }),
        },
        now,
    )
    .await
    .map(|_| ())
}

/// A subscription disabled for payment, to its billing profile's contact.
async fn queue_disabled(db: &impl ConnectionTrait, subscription_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    let (sub, product) = subscription_with_product(db, subscription_id).await?;
    let profile = profile(db, sub.billing_profile_id).await?;
    let organization = organization(db, sub.organization_id).await?;
    let lang = profile_lang(&profile);
    let kind = NoticeKind::DisabledForPayment;
    queue(
        db,
        NewNotice {
            organization_id: sub.organization_id,
            kind,
            dedupe_key: format!("{}:{}:{}", kind.as_str(), sub.id, now.timestamp_millis()),
            recipient_email: profile.contact_email.clone(),
            recipient_name: profile.contact_name.clone(),
            lang,
            object_type: access::notice::SUBSCRIPTION,
            object_id: sub.id,
            data: json!({"organization": organization.name, "product": product.name}),
        },
        now,
    )
    .await
    .map(|_| ())
}

/// A license assigned, to each person who got one (in their organization's language).
async fn queue_license_assigned(
    db: &impl ConnectionTrait,
    subscription_id: Uuid,
    users: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let (sub, product) = subscription_with_product(db, subscription_id).await?;
    let organization = organization(db, sub.organization_id).await?;
    let lang = organization_lang(&organization);
    let people = user::Entity::find().filter(user::Column::Id.is_in(users.to_vec())).all(db).await?;
    let kind = NoticeKind::LicenseAssigned;
    for person in people {
        queue(
            db,
            NewNotice {
                organization_id: sub.organization_id,
                kind,
                dedupe_key: format!("{}:{}:{}:{}", kind.as_str(), sub.id, person.id, now.timestamp_millis()),
                recipient_email: person.email.clone(),
                recipient_name: person.name.clone(),
                lang,
                object_type: access::notice::SUBSCRIPTION,
                object_id: sub.id,
                data: json!({"organization": organization.name, "product": product.name}),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// R52: the renewal reminders due `today`: 30 days ahead for annual terms
/// and 7 days ahead for every term, for active subscriptions that renew
/// automatically, to the billing profile's contact. A reminder whose day was
/// missed (the scheduler was down) is still queued while the renewal is
/// ahead; each (subscription, term end, kind) is queued once, so every
/// instance may run this.
pub async fn queue_renewal_reminders(state: &Services, today: NaiveDate) -> AppResult<u64> {
    let horizon = today + chrono::Days::new(30);
    let due = subscription::Entity::find()
        .filter(subscription::Column::Status.eq(SubscriptionStatus::Active))
        .filter(subscription::Column::AutoRenew.eq(true))
        .filter(subscription::Column::CurrentTermEnd.gt(today))
        .filter(subscription::Column::CurrentTermEnd.lte(horizon))
        .order_by_asc(subscription::Column::CurrentTermEnd)
        .all(&state.db)
        .await?;
    let mut queued = 0;
    for sub in due {
        let days_left = (sub.current_term_end - today).num_days();
        let kind = if days_left <= 7 {
            NoticeKind::Renewal7
        } else if sub.term.months() >= 12 {
            NoticeKind::Renewal30
        } else {
            continue;
        };
        let txn = db::begin_write(&state.db).await?;
        let fresh = queue_renewal(&txn, kind, &sub, state.clock.now()).await?;
        txn.commit().await?;
        queued += u64::from(fresh);
    }
    Ok(queued)
}

async fn queue_renewal(
    db: &impl ConnectionTrait,
    kind: NoticeKind,
    sub: &subscription::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(unit_price) = crate::service::subscriptions::next_renewal_price(db, sub).await? else {
        return Ok(false);
    };
    let (_, product) = subscription_with_product(db, sub.id).await?;
    let profile = profile(db, sub.billing_profile_id).await?;
    let organization = organization(db, sub.organization_id).await?;
    let lang = profile_lang(&profile);
    let quantity = sub.quantity.unwrap_or(1);
    queue(
        db,
        NewNotice {
            organization_id: sub.organization_id,
            kind,
            dedupe_key: format!("{}:{}:{}", kind.as_str(), sub.id, sub.current_term_end),
            recipient_email: profile.contact_email.clone(),
            recipient_name: profile.contact_name.clone(),
            lang,
            object_type: access::notice::SUBSCRIPTION,
            object_id: sub.id,
            data: json!({
                "organization": organization.name,
                "product": product.name,
                "date": locale::date(sub.current_term_end, lang),
                "quantity": locale::number(quantity, lang),
                "unit_price": locale::amount_with_currency(unit_price, &sub.currency, lang),
                "amount": locale::amount_with_currency(unit_price.saturating_mul(quantity), &sub.currency, lang),
            }),
        },
        now,
    )
    .await
}

/// R42, R52: a subscription's activation link, to its purchaser. The link
/// carries a one-time token: the notice keeps it only until it is sent
/// (`mark_sent` clears it) and the log never shows it.
pub async fn queue_activation_link(
    db: &impl ConnectionTrait,
    sub: &subscription::Model,
    product: &product::Model,
    token_id: Uuid,
    url: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(purchaser) = user::Entity::find_by_id(sub.purchaser_id).one(db).await? else { return Ok(()) };
    let organization = organization(db, sub.organization_id).await?;
    let lang = organization_lang(&organization);
    let kind = NoticeKind::ActivationLink;
    queue(
        db,
        NewNotice {
            organization_id: sub.organization_id,
            kind,
            dedupe_key: format!("{}:{}", kind.as_str(), token_id),
            recipient_email: purchaser.email.clone(),
            recipient_name: purchaser.name.clone(),
            lang,
            object_type: access::notice::SUBSCRIPTION,
            object_id: sub.id,
            data: json!({
                "organization": organization.name,
                "product": product.name,
                "link": url,
                "date": locale::date(expires_at.date_naive(), lang),
            }),
        },
        now,
    )
    .await
    .map(|_| ())
}

/// A message ready for SMTP: subject, plain text and HTML.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub lang: Lang,
}

fn fill(template: &str, data: &Value, name: &str) -> String {
    let mut out = template.replace("{name}", name);
    if let Some(fields) = data.as_object() {
        for (key, value) in fields {
            let value = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
            out = out.replace(&format!("{{{key}}}"), &value);
        }
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The notice's words in its language, as plain text and as HTML.
pub fn render(row: &notice::Model) -> AppResult<Rendered> {
    let kind = NoticeKind::parse(&row.kind).ok_or_else(|| AppError::internal("notice of an unknown kind"))?;
    let lang = lang_of_tag(Some(&row.language)).unwrap_or_default();
    let data: Value = serde_json::from_str(&row.data).unwrap_or(Value::Null);
    let words = match data.get("variant").and_then(Value::as_str).and_then(texts::ReclaimVariant::parse) {
        Some(variant) if kind == NoticeKind::ReclaimNotice => texts::reclaim_text(variant, lang),
        _ => texts::text(kind, lang),
    };
    let frame = texts::frame(lang);
    let name = if row.recipient_name.trim().is_empty() { row.recipient_email.as_str() } else { &row.recipient_name };
    let subject = fill(words.subject, &data, name);
    let greeting = fill(frame.greeting, &data, name);
    let body = fill(words.body, &data, name);
    let footer = fill(frame.footer, &data, name);
    let text = format!("{greeting}\n\n{body}\n\n-- \n{footer}\n");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{tag}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><p>{greeting}</p><p>{body}</p><hr><p style=\"color:#666;font-size:small\">{footer}</p></body></html>\n",
        tag = lang.tag(),
        title = escape_html(&subject),
        greeting = escape_html(&greeting),
        body = escape_html(&body),
        footer = escape_html(&footer),
    );
    Ok(Rendered { subject, text, html, lang })
}

/// The PDF a notice carries: an invoice notice carries the invoice.
pub fn attaches_invoice(row: &notice::Model) -> Option<Uuid> {
    (row.kind == NoticeKind::Invoice.as_str() && row.object_type == access::notice::INVOICE).then_some(row.object_id)
}

/// Claims up to `limit` due notices for one sender until `until`: PENDING,
/// due, and not held by a live lease. `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL, the single SQLite writer otherwise, so no two instances
/// claim the same row.
pub async fn claim(state: &Services, limit: u64, until: DateTime<Utc>) -> AppResult<Vec<notice::Model>> {
    let now = Utc::now();
    let backend = state.db.get_database_backend();
    let (sql, values): (&str, Vec<sea_orm::Value>) = if backend == DbBackend::Postgres {
        (
            "UPDATE notices SET locked_until = $1 WHERE id IN (SELECT id FROM notices \
               WHERE status = 'PENDING' AND next_attempt_at <= $2 AND (locked_until IS NULL OR locked_until < $3) \
               ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id",
            vec![until.into(), now.into(), now.into(), (limit as i64).into()],
        )
    } else {
        (
            "UPDATE notices SET locked_until = ? WHERE id IN (SELECT id FROM notices \
               WHERE status = 'PENDING' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?) \
               ORDER BY next_attempt_at, id LIMIT ?) RETURNING id",
            vec![until.into(), now.into(), now.into(), (limit as i64).into()],
        )
    };
    let txn = db::begin_write(&state.db).await?;
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    txn.commit().await?;
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.try_get::<Uuid>("", "id").ok()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(notice::Entity::find()
        .filter(notice::Column::Id.is_in(ids))
        .order_by_asc(notice::Column::NextAttemptAt)
        .order_by_asc(notice::Column::Id)
        .all(&state.db)
        .await?)
}

/// The SMTP server accepted the message: SENT, the lease released.
pub async fn mark_sent(state: &Services, id: Uuid) -> AppResult<()> {
    let now = Utc::now();
    notice::Entity::update_many()
        .col_expr(notice::Column::Status, sea_orm::sea_query::Expr::value(status::SENT))
        .col_expr(notice::Column::SentAt, sea_orm::sea_query::Expr::value(now))
        .col_expr(notice::Column::LockedUntil, sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(notice::Column::Attempts, sea_orm::sea_query::Expr::col(notice::Column::Attempts).add(1))
        .col_expr(notice::Column::LastError, sea_orm::sea_query::Expr::value(Option::<String>::None))
        .filter(notice::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    // An activation link's one-time token is not kept once it is sent.
    notice::Entity::update_many()
        .col_expr(notice::Column::Data, sea_orm::sea_query::Expr::value("{}"))
        .filter(notice::Column::Id.eq(id))
        .filter(notice::Column::Kind.eq(NoticeKind::ActivationLink.as_str()))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// An attempt failed: tried again at `retry_at`, or FAILED when `retry_at`
/// is None (a permanent refusal, or the retry window is over).
pub async fn mark_failed(state: &Services, id: Uuid, error: &str, retry_at: Option<DateTime<Utc>>) -> AppResult<()> {
    use sea_orm::sea_query::Expr;
    let error: String = error.chars().take(300).collect();
    let mut update = notice::Entity::update_many()
        .col_expr(notice::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(notice::Column::Attempts, Expr::col(notice::Column::Attempts).add(1))
        .col_expr(notice::Column::LastError, Expr::value(Some(error)));
    update = match retry_at {
        Some(at) => update.col_expr(notice::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(notice::Column::Status, Expr::value(status::FAILED)),
    };
    update.filter(notice::Column::Id.eq(id)).exec(&state.db).await?;
    Ok(())
}

/// Newest first, like the audit log.
fn newest_first() -> crate::paging::Keyset {
    use crate::paging::{Direction::Desc, KeyKind, Keyset};
    Keyset::new("notices:newest")
        .key(notice::Column::CreatedAt.into_expr(), Desc, KeyKind::Time)
        .id(notice::Column::Id.into_expr(), Desc)
}

/// R52: the organization's notice log as the caller may see it (`access::notice`).
pub async fn log(
    state: &Services,
    actor: &Actor,
    kind: Option<NoticeKind>,
    window: &Window,
) -> AppResult<Page<Visible<notice::Model>>> {
    let mut query = notice::Entity::find();
    if let Some(kind) = kind {
        query = query.filter(notice::Column::Kind.eq(kind.as_str()));
    }
    access::notice::page(&state.db, actor, query, &newest_first(), window).await
}

/// Every kind with whether the caller's organization receives it (the log's readers).
pub async fn settings(state: &Services, actor: &Actor) -> AppResult<Vec<(NoticeKind, bool)>> {
    let org = access::notice::may_read_log(actor)?;
    let stored = notice_setting::Entity::find()
        .filter(notice_setting::Column::OrganizationId.eq(org.organization_id))
        .all(&state.db)
        .await?;
    Ok(NoticeKind::ALL
        .iter()
        .map(|kind| {
            let enabled = stored.iter().find(|s| s.kind == kind.as_str()).is_none_or(|s| s.enabled);
            (*kind, enabled)
        })
        .collect())
}

/// R52: turns one kind of notice off or on for the caller's organization
/// (GLOBAL_ADMIN); audited. Notices already queued are still sent.
pub async fn set_enabled(state: &Services, actor: &Actor, kind: NoticeKind, enabled: bool) -> AppResult<()> {
    let org = actor.org()?;
    if !org.is_global_admin() {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let before = is_enabled(&txn, org.organization_id, kind).await?;
    let row = notice_setting::ActiveModel {
        organization_id: Set(org.organization_id),
        kind: Set(kind.as_str().to_owned()),
        enabled: Set(enabled),
        updated_at: Set(now),
    };
    notice_setting::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([notice_setting::Column::OrganizationId, notice_setting::Column::Kind])
                .update_columns([notice_setting::Column::Enabled, notice_setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let entry = AuditEntry::new(AuditAction::OrganizationNoticeSetting, "organization", org.organization_id)
        .before(json!({"kind": kind.as_str(), "enabled": before}))
        .after(json!({"kind": kind.as_str(), "enabled": enabled}));
    audit::record(&txn, AuditScope::org(org.organization_id, Some(actor)), now, entry).await?;
    txn.commit().await?;
    Ok(())
}
