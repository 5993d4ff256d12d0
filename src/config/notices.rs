//! Settings of notices by e-mail (R52): the SMTP server and the sender's pace.
//! Without `LICENSEDESK_SMTP_HOST` notices are queued but not sent.

use clap::{Args, ValueEnum};

use super::Secret;

/// How the connection to the SMTP server is secured.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// No encryption: only for a relay on the same host or in tests.
    None,
}

#[derive(Args, Debug, Clone)]
pub struct NoticeSettings {
    /// SMTP server's host name; unset: notices are queued but not sent.
    #[arg(long, env = "LICENSEDESK_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP server's port.
    #[arg(long, env = "LICENSEDESK_SMTP_PORT", default_value_t = 587, global = true)]
    pub smtp_port: u16,
    /// starttls (default), tls or none.
    #[arg(long, env = "LICENSEDESK_SMTP_TLS", value_enum, default_value = "starttls", global = true)]
    pub smtp_tls: SmtpTls,
    /// User name for SMTP AUTH (with the password); unset: no AUTH.
    #[arg(long, env = "LICENSEDESK_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    /// Password for SMTP AUTH.
    #[arg(long, env = "LICENSEDESK_SMTP_PASSWORD", hide_env_values = true, global = true)]
    pub smtp_password: Option<Secret>,
    /// The From address, e.g. `LicenseDesk <notices@example.com>`.
    #[arg(
        long,
        env = "LICENSEDESK_SMTP_FROM",
        default_value = "LicenseDesk <notices@licensedesk.invalid>",
        global = true
    )]
    pub smtp_from: String,
    /// Time limit of one SMTP conversation, in seconds.
    #[arg(long, env = "LICENSEDESK_SMTP_TIMEOUT_SECONDS", default_value_t = 30, global = true)]
    pub smtp_timeout_seconds: u64,
    /// Notices one sender claims at a time.
    #[arg(long, env = "LICENSEDESK_NOTICE_BATCH", default_value_t = 10, global = true)]
    pub notice_batch: u64,
    /// How often the sender looks for due notices, in milliseconds.
    #[arg(long, env = "LICENSEDESK_NOTICE_POLL_MS", default_value_t = 5_000, global = true)]
    pub notice_poll_ms: u64,
    /// First retry delay in milliseconds; doubles per attempt, with jitter.
    #[arg(long, env = "LICENSEDESK_NOTICE_RETRY_BASE_MS", default_value_t = 60_000, global = true)]
    pub notice_retry_base_ms: u64,
    /// Longest delay between two attempts, in milliseconds.
    #[arg(long, env = "LICENSEDESK_NOTICE_RETRY_MAX_MS", default_value_t = 6 * 3_600_000, global = true)]
    pub notice_retry_max_ms: u64,
    /// How long a notice is retried before it is marked FAILED, in seconds (3 days).
    #[arg(long, env = "LICENSEDESK_NOTICE_RETRY_FOR_SECONDS", default_value_t = 259_200, global = true)]
    pub notice_retry_for_seconds: u64,
}

/// The SMTP server, when one is configured.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, Secret)>,
    pub from: String,
    pub timeout: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct NoticeConfig {
    /// None: notices are queued, not sent (logged once at start).
    pub smtp: Option<SmtpConfig>,
    pub batch: u64,
    pub poll_ms: u64,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub retry_for_seconds: u64,
}

impl NoticeSettings {
    pub fn validate(&self) -> Result<NoticeConfig, String> {
        if !(1..=600).contains(&self.smtp_timeout_seconds) {
            return Err("SMTP timeout must be between 1 and 600 seconds".into());
        }
        if !(1..=1000).contains(&self.notice_batch) {
            return Err("notice batch must be between 1 and 1000".into());
        }
        if !(10..=600_000).contains(&self.notice_poll_ms) {
            return Err("notice poll interval must be between 10 and 600000 ms".into());
        }
        if self.notice_retry_base_ms == 0 || self.notice_retry_max_ms < self.notice_retry_base_ms {
            return Err("notice retry delays must be positive and max ≥ base".into());
        }
        let smtp = match self.smtp_host.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            None => None,
            Some(host) => {
                if self.smtp_from.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(format!("LICENSEDESK_SMTP_FROM {:?} is not an address", self.smtp_from));
                }
                let credentials = match (&self.smtp_username, &self.smtp_password) {
                    (Some(user), Some(password)) => Some((user.clone(), password.clone())),
                    (None, None) => None,
                    _ => {
                        return Err(
                            "set both LICENSEDESK_SMTP_USERNAME and LICENSEDESK_SMTP_PASSWORD, or neither".into()
                        );
                    }
                };
                Some(SmtpConfig {
                    host: host.to_owned(),
                    port: self.smtp_port,
                    tls: self.smtp_tls,
                    credentials,
                    from: self.smtp_from.clone(),
                    timeout: std::time::Duration::from_secs(self.smtp_timeout_seconds),
                })
            }
        };
        Ok(NoticeConfig {
            smtp,
            batch: self.notice_batch,
            poll_ms: self.notice_poll_ms,
            retry_base_ms: self.notice_retry_base_ms,
            retry_max_ms: self.notice_retry_max_ms,
            retry_for_seconds: self.notice_retry_for_seconds,
        })
    }
}

impl NoticeConfig {
    /// Tests: no SMTP (a test sets one), fast polling and retries.
    pub fn for_tests() -> NoticeConfig {
        NoticeConfig {
            smtp: None,
            batch: 10,
            poll_ms: 50,
            retry_base_ms: 50,
            retry_max_ms: 400,
            retry_for_seconds: 259_200,
        }
    }
}
