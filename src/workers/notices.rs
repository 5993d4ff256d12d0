//! R52: the notice sender. Every instance with SMTP configured runs one; they
//! share the queue (`service::notices`) without sending a notice twice at
//! once: a batch is claimed with a lease (`locked_until`) in one short
//! transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the single SQLite
//! writer otherwise. Each message is marked SENT only after the SMTP server
//! accepted it; a sender killed mid-batch leaves the rest to its lease's
//! end, when any instance sends them. The one message that may go twice is
//! the one accepted just before the kill and not yet marked: it goes again
//! with the same `Message-ID` (at least once; see `service::notices`).
//!
//! A transient refusal (4xx, a dropped connection, a timeout) is retried
//! with exponential backoff and jitter until the retry window ends; a
//! permanent one (5xx, an address that does not parse) marks it FAILED.

use std::time::Duration;

use chrono::Utc;
use entity::notice;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment, Mailbox, MultiPart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
    transport::smtp::authentication::Credentials,
};
use rand::Rng;
use tokio::task::JoinHandle;

use crate::{
    config::{NoticeConfig, SmtpConfig, SmtpTls},
    service::notices,
    state::AppState,
};

type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// `Content-Language` of the message (RFC 3282).
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `X-LicenseDesk-Notice`: the notice's kind, for filters and tests.
#[derive(Clone)]
struct NoticeKindHeader(String);

impl Header for NoticeKindHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-LicenseDesk-Notice")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(NoticeKindHeader(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Starts the sender, or logs once that notices are off when no SMTP server
/// is configured (they stay queued and go out once one is).
pub fn start(state: &AppState) -> Option<JoinHandle<()>> {
    let Some(smtp) = state.config.notices.smtp.clone() else {
        tracing::warn!("notices by e-mail are off: LICENSEDESK_SMTP_HOST is not set (notices are queued, not sent)");
        return None;
    };
    match mailer(&smtp) {
        Ok(mailer) => {
            tracing::info!(host = %smtp.host, port = smtp.port, tls = ?smtp.tls, "notices by e-mail are on");
            Some(tokio::spawn(run(state.clone(), smtp, mailer)))
        }
        Err(e) => {
            tracing::error!(error = %e, "notices by e-mail are off: the SMTP settings are not usable");
            None
        }
    }
}

fn mailer(smtp: &SmtpConfig) -> Result<Mailer, lettre::transport::smtp::Error> {
    let builder = match smtp.tls {
        SmtpTls::Starttls => Mailer::starttls_relay(&smtp.host)?,
        SmtpTls::Tls => Mailer::relay(&smtp.host)?,
        SmtpTls::None => Mailer::builder_dangerous(smtp.host.as_str()),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

/// How long a claimed batch is held: every message of it may take the whole timeout.
fn lease(config: &NoticeConfig, smtp: &SmtpConfig) -> chrono::Duration {
    let per_message = smtp.timeout.as_millis() as i64 + 1_000;
    chrono::Duration::milliseconds(per_message.saturating_mul(config.batch as i64) + 5_000)
}

/// Exponential backoff with ±20 % jitter: base·2^(attempt−1), capped.
pub fn backoff(config: &NoticeConfig, attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 32) as u32 - 1;
    let raw = config.retry_base_ms.saturating_mul(1u64 << exponent.min(30));
    let capped = raw.min(config.retry_max_ms) as f64;
    let jitter = rand::rng().random_range(0.8..1.2);
    Duration::from_millis((capped * jitter) as u64)
}

async fn run(state: AppState, smtp: SmtpConfig, mailer: Mailer) {
    let config = state.config.notices.clone();
    let poll = Duration::from_millis(config.poll_ms);
    let wake = state.events.notice_wake();
    loop {
        let until = Utc::now() + lease(&config, &smtp);
        match notices::claim(&state, config.batch, until).await {
            Ok(batch) if !batch.is_empty() => {
                for row in batch {
                    send_one(&state, &config, &smtp, &mailer, &row).await;
                }
                // More may be due: look again at once.
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot claim notices"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Why a message could not be sent, and whether trying again may help.
struct Refusal {
    error: String,
    permanent: bool,
}

async fn message(state: &AppState, smtp: &SmtpConfig, row: &notice::Model) -> Result<Message, Refusal> {
    let refuse = |error: String| Refusal { error, permanent: true };
    let rendered = notices::render(row).map_err(|e| refuse(format!("{e:?}")))?;
    let from: Mailbox = smtp.from.parse().map_err(|e| refuse(format!("From address: {e}")))?;
    let to_address = row.recipient_email.parse().map_err(|e| refuse(format!("recipient address: {e}")))?;
    let to = Mailbox::new(Some(row.recipient_name.clone()).filter(|n| !n.trim().is_empty()), to_address);
    let domain = from.email.domain().to_owned();
    let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
    let body = match notices::attaches_invoice(row) {
        None => body,
        Some(invoice_id) => {
            let (invoice, pdf) = crate::service::invoices::pdf_by_link(
                state,
                &state.config.seller,
                invoice_id,
                crate::service::invoices::PdfLanguage::Exactly(rendered.lang),
            )
            .await
            .map_err(|e| Refusal { error: format!("invoice PDF: {e:?}"), permanent: false })?;
            let name = format!("invoice-{}.pdf", crate::service::invoices::display_number(invoice.number));
            let content_type = ContentType::parse("application/pdf").map_err(|e| refuse(format!("{e}")))?;
            MultiPart::mixed().multipart(body).singlepart(Attachment::new(name).body(pdf, content_type))
        }
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(rendered.subject)
        // Stable across attempts: a message sent again is recognisably the same.
        .message_id(Some(format!("<notice-{}@{domain}>", row.id)))
        .header(ContentLanguage(rendered.lang.tag().to_owned()))
        .header(NoticeKindHeader(row.kind.clone()))
        .multipart(body)
        .map_err(|e| refuse(format!("message: {e}")))
}

async fn send_one(state: &AppState, config: &NoticeConfig, smtp: &SmtpConfig, mailer: &Mailer, row: &notice::Model) {
    crate::fault::crash_point("notices.before_send");
    let outcome = match message(state, smtp, row).await {
        Ok(message) => mailer
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| Refusal { permanent: e.is_permanent(), error: format!("{e}") }),
        Err(refusal) => Err(refusal),
    };
    let marked = match outcome {
        Ok(()) => {
            // Accepted by the SMTP server; a kill here sends it once more.
            crate::fault::crash_point("notices.after_accept");
            notices::mark_sent(state, row.id).await
        }
        Err(refusal) => {
            let give_up_at = row.created_at + chrono::Duration::seconds(config.retry_for_seconds as i64);
            let retry_at = Utc::now()
                + chrono::Duration::from_std(backoff(config, row.attempts + 1)).unwrap_or(chrono::Duration::zero());
            let retry_at = (!refusal.permanent && retry_at < give_up_at).then_some(retry_at);
            tracing::warn!(notice = %row.id, kind = %row.kind, error = %refusal.error, retry = retry_at.is_some(), "notice not sent");
            notices::mark_failed(state, row.id, &refusal.error, retry_at).await
        }
    };
    if let Err(e) = marked {
        tracing::error!(notice = %row.id, error = %e, "cannot record a notice's outcome; its lease will end and it is tried again");
    }
}
