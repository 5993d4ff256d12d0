//! Configuration: environment variables with CLI flags over them (clap).
//! Secrets are wrapped so they never reach a log line or `Debug` output.

use std::{fmt, net::SocketAddr};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod events;
mod limits;
mod notices;

pub use events::{EventConfig, EventSettings};
pub use licensedesk_core::domain::seller::Seller;
pub use limits::{CostLimits, QueryLimits, SocketLimits};
pub use notices::{NoticeConfig, NoticeSettings, SmtpConfig, SmtpTls};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://licensedesk.db?mode=rwc";

#[derive(Parser, Debug)]
#[command(name = "licensedesk", version, about = "LicenseDesk: manage the SaaS apps your organization buys")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve {
        /// Load the demo organization, publisher and users first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo data and exit (idempotent).
    SeedDemo,
    /// Billing operations.
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Marketplace operator accounts (R40).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Print the GraphQL SDL (no database needed).
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum OperatorCommand {
    /// Create a marketplace operator account (R40); operators are never self-registered.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The password; prefer the environment variable or `--password-stdin`
        /// so it does not show in the process list.
        #[arg(long, env = "LICENSEDESK_OPERATOR_PASSWORD", hide_env_values = true)]
        password: Option<Secret>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug, Clone)]
pub enum BillingCommand {
    /// Run the billing run for a date (R33): issue invoices, charge cards, renew, expire, disable.
    Run {
        /// YYYY-MM-DD; defaults to today (UTC).
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

/// A secret string that prints as `***`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[derive(Args, Debug, Clone)]
pub struct Settings {
    /// Database URL: sqlite://FILE?mode=rwc (default) or postgres://USER@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, env = "LICENSEDESK_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// HS256 secret for access tokens (≥ 32 bytes in production). In development a
    /// generated secret is kept in the database so tokens survive a restart.
    #[arg(long, env = "LICENSEDESK_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<Secret>,
    #[arg(long, env = "LICENSEDESK_MODE", value_enum, default_value = "development", global = true)]
    pub mode: Mode,
    /// Serve GraphiQL at `/` (default: on in development, off in production).
    #[arg(long, env = "LICENSEDESK_GRAPHIQL", global = true)]
    pub graphiql: Option<bool>,
    /// Allow schema introspection (default: on in development, off in production).
    #[arg(long, env = "LICENSEDESK_INTROSPECTION", global = true)]
    pub introspection: Option<bool>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "LICENSEDESK_TOKEN_TTL_SECONDS", default_value_t = 1800, global = true)]
    pub token_ttl_seconds: i64,
    /// How long a session lasts without being refreshed, in days (R47): its refresh token stops after that.
    #[arg(long, env = "LICENSEDESK_SESSION_TTL_DAYS", default_value_t = 30, global = true)]
    pub session_ttl_days: i64,
    /// Days after an invoice's due date before its subscriptions are disabled (R15).
    #[arg(long, env = "LICENSEDESK_GRACE_PERIOD_DAYS", default_value_t = 30, global = true)]
    pub grace_period_days: i64,
    /// Run the daily billing run inside the server (R33).
    #[arg(long, env = "LICENSEDESK_BILLING_SCHEDULER", default_value_t = true, global = true, action = clap::ArgAction::Set)]
    pub billing_scheduler: bool,
    /// Request timeout in seconds.
    #[arg(long, env = "LICENSEDESK_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, global = true)]
    pub request_timeout_seconds: u64,
    /// How long a DataLoader waits to gather keys into one batch, in milliseconds;
    /// 0 batches what is already requested without a timer.
    #[arg(long, env = "LICENSEDESK_DATALOADER_DELAY_MS", default_value_t = 0, global = true)]
    pub dataloader_delay_ms: u64,
    /// Browser origins allowed to call the API (CORS), comma-separated, e.g.
    /// `http://localhost:3000,https://console.example`; `*` allows any. Off when empty.
    #[arg(long, env = "LICENSEDESK_CORS_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_allowed_origins: Vec<String>,
    /// Log lines as human-readable text or as JSON objects (one a line).
    #[arg(long, env = "LICENSEDESK_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// How long the signed invoice PDF link in `Invoice.pdfUrl` works, in seconds.
    #[arg(long, env = "LICENSEDESK_PDF_LINK_TTL_SECONDS", default_value_t = 900, global = true)]
    pub pdf_link_ttl_seconds: i64,
    /// The seller's name printed on invoices.
    #[arg(long, env = "LICENSEDESK_SELLER_NAME", default_value = "LicenseDesk", global = true)]
    pub seller_name: String,
    /// The seller's address printed on invoices; lines separated by `|`.
    #[arg(long, env = "LICENSEDESK_SELLER_ADDRESS", default_value = "", global = true)]
    pub seller_address: String,
    /// The seller's VAT / tax registration number printed on invoices.
    #[arg(long, env = "LICENSEDESK_SELLER_TAX_ID", default_value = "", global = true)]
    pub seller_tax_id: String,
    /// How long the purchase token in a subscription's portal link works, in hours (R42).
    #[arg(long, env = "LICENSEDESK_PURCHASE_TOKEN_TTL_HOURS", default_value_t = 168, global = true)]
    pub purchase_token_ttl_hours: i64,
    /// The address clients reach this server at, e.g. `https://api.example.com`
    /// (behind a proxy or load balancer); links the API returns (`Invoice.pdfUrl`)
    /// are absolute from it. Default: `http://` and the listen address.
    #[arg(long, env = "LICENSEDESK_PUBLIC_BASE_URL", global = true)]
    pub public_base_url: Option<String>,
    /// A file of trusted GraphQL documents (Apollo's persisted query manifest, or
    /// a JSON object from SHA-256 to document). When set, only these documents
    /// run; anything else is refused (FORBIDDEN, reason UNTRUSTED_DOCUMENT).
    #[arg(long, env = "LICENSEDESK_TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<std::path::PathBuf>,
    /// `Cache-Control: public, max-age` of an anonymous `GET /graphql` answer
    /// without errors, in seconds; 0 marks it `no-cache`.
    #[arg(long, env = "LICENSEDESK_GET_CACHE_SECONDS", default_value_t = 60, global = true)]
    pub get_cache_seconds: u32,
    /// Single sign-on: origins a sign-in may send the browser back to with its
    /// one-time code (`returnTo`), comma-separated, e.g. `https://console.example`.
    /// The public base URL's origin is always allowed.
    #[arg(long, env = "LICENSEDESK_SSO_RETURN_ORIGINS", value_delimiter = ',', global = true)]
    pub sso_return_origins: Vec<String>,
    /// Single sign-on: allow identity providers on private or loopback
    /// addresses and over plain http (development and tests only).
    #[arg(long, env = "LICENSEDESK_SSO_ALLOW_PRIVATE", default_value_t = false, global = true, action = clap::ArgAction::Set)]
    pub sso_allow_private: bool,

    /// Seconds between writes of the license checks' last-use times (R51): checks
    /// are gathered in memory and written in one batch, and once more on shutdown.
    #[arg(long, env = "LICENSEDESK_USAGE_FLUSH_SECONDS", default_value_t = 5, global = true)]
    pub usage_flush_seconds: u64,
    /// The marketplace's own support page, shown to self-service buyers and admins.
    #[arg(long, env = "LICENSEDESK_SUPPORT_URL", global = true)]
    pub support_url: Option<String>,
    /// The marketplace's own support e-mail address, shown with the support page.
    #[arg(long, env = "LICENSEDESK_SUPPORT_EMAIL", global = true)]
    pub support_email: Option<String>,
    #[command(flatten)]
    pub robustness: RobustnessSettings,
    #[command(flatten)]
    pub events: events::EventSettings,
    #[command(flatten)]
    pub notices: notices::NoticeSettings,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Query-cost limits and database timeouts (issue 12).
#[derive(Args, Debug, Clone)]
pub struct RobustnessSettings {
    /// Largest estimated number of objects in one response (pages multiplied out).
    #[arg(long, env = "LICENSEDESK_MAX_QUERY_COST", default_value_t = 25_000, global = true)]
    pub max_query_cost: u64,
    /// Largest number of selections after expanding fragments.
    #[arg(long, env = "LICENSEDESK_MAX_QUERY_FIELDS", default_value_t = 2_000, global = true)]
    pub max_query_fields: u64,
    /// Largest query text, in bytes.
    #[arg(long, env = "LICENSEDESK_MAX_QUERY_BYTES", default_value_t = 32 * 1024, global = true)]
    pub max_query_bytes: usize,
    /// Largest number of aliased fields and of root fields.
    #[arg(long, env = "LICENSEDESK_MAX_QUERY_ALIASES", default_value_t = 50, global = true)]
    pub max_query_aliases: u64,
    /// Largest estimated cost of a request without a token.
    #[arg(long, env = "LICENSEDESK_ANONYMOUS_MAX_QUERY_COST", default_value_t = 60, global = true)]
    pub anonymous_max_query_cost: u64,
    /// Seconds to wait for a new database connection (start-up, readiness, requests).
    #[arg(long, env = "LICENSEDESK_DB_CONNECT_TIMEOUT_SECONDS", default_value_t = 5, global = true)]
    pub db_connect_timeout_seconds: u64,
    /// Seconds a request waits for a free pooled connection.
    #[arg(long, env = "LICENSEDESK_DB_ACQUIRE_TIMEOUT_SECONDS", default_value_t = 30, global = true)]
    pub db_acquire_timeout_seconds: u64,
    /// Seconds a client has to send the request headers.
    #[arg(long, env = "LICENSEDESK_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub header_read_timeout_seconds: u64,
    /// Seconds a new GraphQL WebSocket has to send `connection_init` (else closed with 4408).
    #[arg(long, env = "LICENSEDESK_WS_INIT_TIMEOUT_SECONDS", default_value_t = 5, global = true)]
    pub ws_init_timeout_seconds: u64,
    /// Seconds between the server's pings on a GraphQL WebSocket; silent for three of them = closed.
    #[arg(long, env = "LICENSEDESK_WS_KEEPALIVE_SECONDS", default_value_t = 20, global = true)]
    pub ws_keepalive_seconds: u64,
    /// Seconds a GraphQL WebSocket may stay open with no operation running and nothing received.
    #[arg(long, env = "LICENSEDESK_WS_IDLE_TIMEOUT_SECONDS", default_value_t = 300, global = true)]
    pub ws_idle_timeout_seconds: u64,
    /// Open GraphQL WebSockets in total (each is a file descriptor; see README "File limit").
    #[arg(long, env = "LICENSEDESK_WS_MAX_CONNECTIONS", default_value_t = 4096, global = true)]
    pub ws_max_connections: usize,
    /// Open GraphQL WebSockets per client address.
    #[arg(long, env = "LICENSEDESK_WS_MAX_PER_CLIENT", default_value_t = 64, global = true)]
    pub ws_max_per_client: usize,
    /// Milliseconds between an open GraphQL WebSocket's periodic re-checks of
    /// its caller (default: 5000 on PostgreSQL, where every instance hears of
    /// ended sessions at once, and 800 on SQLite).
    #[arg(long, env = "LICENSEDESK_WS_CALLER_RECHECK_MS", global = true)]
    pub ws_caller_recheck_ms: Option<u64>,
    /// Most database connections open at once (default two per core, 2 to 8, on SQLite; 20 on PostgreSQL; issue 23).
    #[arg(long, env = "LICENSEDESK_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// SQLite's page cache per connection, in KiB (issue 23: resident memory).
    #[arg(long, env = "LICENSEDESK_SQLITE_CACHE_KIB", default_value_t = crate::db::PoolSizes::default().sqlite_cache_kib, global = true)]
    pub sqlite_cache_kib: u32,
    /// Prepared statements each database connection keeps (default 100).
    #[arg(long, env = "LICENSEDESK_DB_STATEMENT_CACHE", global = true)]
    pub db_statement_cache: Option<usize>,
}

impl RobustnessSettings {
    fn query_limits(&self) -> QueryLimits {
        let aliases = self.max_query_aliases.max(1);
        let authenticated = CostLimits {
            max_bytes: self.max_query_bytes.max(1024),
            max_fields: self.max_query_fields.max(1),
            max_cost: self.max_query_cost.max(1),
            max_root_fields: aliases.min(CostLimits::AUTHENTICATED.max_root_fields),
            max_aliases: aliases,
        };
        let anonymous = CostLimits {
            max_cost: self.anonymous_max_query_cost.clamp(1, authenticated.max_cost),
            ..CostLimits::ANONYMOUS
        };
        QueryLimits { authenticated, anonymous }
    }
}

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// Text or JSON log lines; what the server prints itself follows it (the demo banner).
    pub log_format: LogFormat,
    pub mode: Mode,
    pub graphiql: bool,
    pub introspection: bool,
    pub token_ttl_seconds: i64,
    pub session_ttl_days: i64,
    pub grace_period_days: i64,
    pub billing_scheduler: bool,
    pub request_timeout_seconds: u64,
    pub dataloader_delay_ms: u64,
    pub query_limits: QueryLimits,
    pub db_timeouts: crate::db::Timeouts,
    pub header_read_timeout: std::time::Duration,
    /// Bounds on the GraphQL WebSocket endpoint (issue 20).
    pub sockets: SocketLimits,
    /// None in development until the stored one is loaded from the database.
    pub jwt_secret: Option<Secret>,
    /// Allowed CORS origins; empty = no CORS headers. `*` = any origin.
    pub cors_allowed_origins: Vec<String>,
    pub pdf_link_ttl_seconds: i64,
    /// R42: lifetime of a portal link's purchase token, in hours.
    pub purchase_token_ttl_hours: i64,
    pub seller: Seller,
    /// Webhooks and live subscriptions (R45).
    pub events: events::EventConfig,
    /// Notices by e-mail (R52).
    pub notices: notices::NoticeConfig,
    /// Where clients reach the server, without a trailing slash (issue 24).
    pub public_base_url: String,
    /// Persisted queries and `GET /graphql` (issue 24 item 1).
    pub persisted: PersistedConfig,
    /// Single sign-on (R48).
    pub sso: SsoConfig,
    /// R51: how often the license checks' last-use times are written.
    pub usage_flush: std::time::Duration,
    /// The marketplace's own support contact (operator-configured).
    pub support: SupportContact,
    /// Database pool and cache sizes (issue 23 item 5).
    pub db_pool: crate::db::PoolSizes,
}

/// Single sign-on (R48).
#[derive(Debug, Clone, Default)]
pub struct SsoConfig {
    /// Origins `returnTo` may name, besides the public base URL's.
    pub return_origins: Vec<String>,
    /// Identity providers on private addresses and plain http allowed.
    pub allow_private: bool,
}

/// The marketplace's own support contact, shown to self-service buyers and admins.
#[derive(Debug, Clone, Default)]
pub struct SupportContact {
    pub url: Option<String>,
    pub email: Option<String>,
}

/// Persisted queries and `GET /graphql` (issue 24 item 1).
#[derive(Debug, Clone, Default)]
pub struct PersistedConfig {
    /// When set, only these documents run.
    pub trusted: Option<std::sync::Arc<crate::service::persisted_queries::TrustedDocuments>>,
    /// `max-age` of a public (anonymous, error-free) `GET /graphql` answer.
    pub get_cache_seconds: u32,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    /// Checks the rules of production mode and fills the defaults that depend on the mode.
    pub fn validate(self) -> Result<Config, String> {
        let production = self.mode == Mode::Production;
        let graphiql = self.graphiql.unwrap_or(!production);
        let introspection = self.introspection.unwrap_or(!production);
        if production {
            match &self.jwt_secret {
                Some(secret) if secret.expose().len() >= MIN_SECRET_BYTES => {}
                _ => {
                    return Err(format!(
                        "production mode needs LICENSEDESK_JWT_SECRET of at least {MIN_SECRET_BYTES} bytes"
                    ));
                }
            }
            if graphiql || introspection {
                return Err("production mode refuses to start with GraphiQL or introspection on".into());
            }
        } else if let Some(secret) = &self.jwt_secret
            && secret.expose().len() < MIN_SECRET_BYTES
        {
            return Err(format!("LICENSEDESK_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"));
        }
        if !(60..=86_400).contains(&self.token_ttl_seconds) {
            return Err("token TTL must be between 60 and 86400 seconds".into());
        }
        if !(1..=365).contains(&self.session_ttl_days) {
            return Err("session lifetime must be between 1 and 365 days".into());
        }
        if !(0..=365).contains(&self.grace_period_days) {
            return Err("grace period must be between 0 and 365 days".into());
        }
        if !(1..=24 * 90).contains(&self.purchase_token_ttl_hours) {
            return Err("purchase token lifetime must be between 1 and 2160 hours".into());
        }
        if !(10..=86_400).contains(&self.pdf_link_ttl_seconds) {
            return Err("PDF link lifetime must be between 10 and 86400 seconds".into());
        }
        let cors_allowed_origins: Vec<String> = self
            .cors_allowed_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        for origin in &cors_allowed_origins {
            let valid = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && axum::http::HeaderValue::from_str(origin).is_ok());
            if !valid {
                return Err(format!("CORS origin {origin:?} is not an origin like https://app.example or *"));
            }
        }
        let seller = Seller {
            name: self.seller_name.trim().to_owned(),
            address: self.seller_address.split('|').map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect(),
            tax_id: Some(self.seller_tax_id.trim().to_owned()).filter(|t| !t.is_empty()),
        };
        let public_base_url = match &self.public_base_url {
            Some(url) => {
                let trimmed = url.trim().trim_end_matches('/').to_owned();
                let parsed = url::Url::parse(&trimmed).map_err(|e| format!("public base URL {url:?}: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(format!("public base URL {url:?} must be an http(s) URL like https://api.example.com"));
                }
                trimmed
            }
            None => format!("http://{}", self.listen),
        };
        let trusted = match &self.trusted_documents {
            Some(path) => {
                let list = crate::service::persisted_queries::TrustedDocuments::load(path)?;
                if list.is_empty() {
                    return Err(format!("{} lists no trusted documents", path.display()));
                }
                Some(std::sync::Arc::new(list))
            }
            None => None,
        };
        let mut return_origins = Vec::new();
        for origin in &self.sso_return_origins {
            let origin = origin.trim();
            if origin.is_empty() {
                continue;
            }
            match crate::service::sso::origin_of(origin) {
                Some(parsed) if parsed == origin.trim_end_matches('/') => return_origins.push(parsed),
                _ => return Err(format!("SSO return origin {origin:?} is not an origin like https://console.example")),
            }
        }
        let support_url = match self.support_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Some(
                licensedesk_core::service::validate::url("supportUrl", url)
                    .map_err(|_| format!("support URL {url:?} must be an http(s) URL"))?,
            ),
            None => None,
        };
        let support_email = match self.support_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            Some(email) => Some(
                licensedesk_core::service::validate::email("supportEmail", email)
                    .map_err(|_| format!("support e-mail {email:?} is not an e-mail address"))?,
            ),
            None => None,
        };
        Ok(Config {
            sso: SsoConfig { return_origins, allow_private: self.sso_allow_private },
            usage_flush: std::time::Duration::from_secs(self.usage_flush_seconds.clamp(1, 300)),
            support: SupportContact { url: support_url, email: support_email },
            public_base_url,
            persisted: PersistedConfig { trusted, get_cache_seconds: self.get_cache_seconds.min(86_400) },
            log_format: self.log_format,
            cors_allowed_origins,
            pdf_link_ttl_seconds: self.pdf_link_ttl_seconds,
            purchase_token_ttl_hours: self.purchase_token_ttl_hours,
            seller,
            database_url: self.database_url,
            listen: self.listen,
            mode: self.mode,
            graphiql,
            introspection,
            token_ttl_seconds: self.token_ttl_seconds,
            session_ttl_days: self.session_ttl_days,
            grace_period_days: self.grace_period_days,
            billing_scheduler: self.billing_scheduler,
            request_timeout_seconds: self.request_timeout_seconds,
            dataloader_delay_ms: self.dataloader_delay_ms.clamp(0, 1000),
            events: self.events.validate()?,
            notices: self.notices.validate()?,
            query_limits: self.robustness.query_limits(),
            db_timeouts: crate::db::Timeouts::from_seconds(
                self.robustness.db_connect_timeout_seconds,
                self.robustness.db_acquire_timeout_seconds,
            ),
            header_read_timeout: std::time::Duration::from_secs(
                self.robustness.header_read_timeout_seconds.clamp(1, 300),
            ),
            sockets: SocketLimits {
                init_timeout: std::time::Duration::from_secs(self.robustness.ws_init_timeout_seconds.clamp(1, 60)),
                keepalive: std::time::Duration::from_secs(self.robustness.ws_keepalive_seconds.clamp(1, 300)),
                idle_timeout: std::time::Duration::from_secs(self.robustness.ws_idle_timeout_seconds.clamp(1, 86_400)),
                max_total: self.robustness.ws_max_connections.max(1),
                max_per_client: self.robustness.ws_max_per_client.max(1),
                caller_recheck: self
                    .robustness
                    .ws_caller_recheck_ms
                    .map(|ms| std::time::Duration::from_millis(ms.clamp(100, 3_600_000))),
            },
            jwt_secret: self.jwt_secret,
            db_pool: crate::db::PoolSizes {
                max_connections: self.robustness.db_max_connections.map(|n| n.clamp(1, 1000)),
                sqlite_cache_kib: self.robustness.sqlite_cache_kib.clamp(64, 1 << 20),
                statement_cache: self.robustness.db_statement_cache.map(|n| n.min(10_000)),
            },
        })
    }
}

impl Config {
    /// A development configuration for tests and tools.
    pub fn for_tests(database_url: &str) -> Config {
        Config {
            database_url: database_url.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_format: LogFormat::Text,
            mode: Mode::Development,
            graphiql: true,
            introspection: true,
            token_ttl_seconds: 1800,
            session_ttl_days: 30,
            grace_period_days: 30,
            billing_scheduler: false,
            request_timeout_seconds: 30,
            dataloader_delay_ms: 0,
            query_limits: Default::default(),
            db_timeouts: Default::default(),
            header_read_timeout: std::time::Duration::from_secs(10),
            sockets: Default::default(),
            jwt_secret: Some(Secret::new("test-secret-test-secret-test-secret-0123")),
            cors_allowed_origins: Vec::new(),
            pdf_link_ttl_seconds: 900,
            purchase_token_ttl_hours: 168,
            seller: Seller {
                name: "LicenseDesk AB".into(),
                address: vec!["Kungsgatan 1".into(), "111 43 Stockholm".into(), "Sweden".into()],
                tax_id: Some("SE556000000001".into()),
            },
            events: events::EventConfig::for_tests(),
            notices: notices::NoticeConfig::for_tests(),
            public_base_url: "http://licensedesk.test".into(),
            persisted: PersistedConfig { trusted: None, get_cache_seconds: 60 },
            sso: SsoConfig { return_origins: vec!["http://console.test".into()], allow_private: true },
            usage_flush: std::time::Duration::from_secs(5),
            support: SupportContact::default(),
            db_pool: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(args: &[&str]) -> Settings {
        let mut argv = vec!["licensedesk"];
        argv.extend_from_slice(args);
        Cli::parse_from(argv).settings
    }

    #[test]
    fn production_refuses_short_or_missing_secret_and_graphiql() {
        assert!(settings(&["--mode", "production"]).validate().is_err());
        assert!(settings(&["--mode", "production", "--jwt-secret", "short"]).validate().is_err());
        let long = "x".repeat(32);
        assert!(settings(&["--mode", "production", "--jwt-secret", &long]).validate().is_ok());
        assert!(settings(&["--mode", "production", "--jwt-secret", &long, "--graphiql", "true"]).validate().is_err());
        assert!(
            settings(&["--mode", "production", "--jwt-secret", &long, "--introspection", "true"]).validate().is_err()
        );
    }

    #[test]
    fn development_defaults_turn_graphiql_and_introspection_on() {
        let config = settings(&[]).validate().expect("valid");
        assert!(config.graphiql && config.introspection);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let config = settings(&["--cors-allowed-origins", "http://localhost:3000, https://app.example/"])
            .validate()
            .expect("valid");
        assert_eq!(config.cors_allowed_origins, vec!["http://localhost:3000", "https://app.example"]);
        assert!(settings(&[]).validate().expect("valid").cors_allowed_origins.is_empty());
        assert!(settings(&["--cors-allowed-origins", "localhost:3000"]).validate().is_err());
    }

    #[test]
    fn r48_sso_return_origins_are_origins() {
        let config = settings(&["--sso-return-origins", "https://console.example, http://localhost:3000/"])
            .validate()
            .expect("valid");
        assert_eq!(config.sso.return_origins, vec!["https://console.example", "http://localhost:3000"]);
        assert!(!config.sso.allow_private, "providers on private addresses are opt-in");
        for bad in ["console.example", "https://console.example/path", "ftp://console.example"] {
            assert!(settings(&["--sso-return-origins", bad]).validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_never_prints() {
        let secret = Secret::new("super-secret-value");
        assert!(!format!("{secret:?}").contains("super"));
    }
}
