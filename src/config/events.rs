//! Settings of event delivery (R45).

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct EventSettings {
    /// Allow webhook endpoints on private, loopback or link-local addresses.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Time limit of one webhook delivery, in seconds.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub webhook_timeout_seconds: u64,
    /// First retry delay in milliseconds; doubles per attempt, with jitter.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_RETRY_BASE_MS", default_value_t = 30_000, global = true)]
    pub webhook_retry_base_ms: u64,
    /// Longest delay between two attempts, in milliseconds.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_RETRY_MAX_MS", default_value_t = 6 * 3_600_000, global = true)]
    pub webhook_retry_max_ms: u64,
    /// How long a delivery is retried before it is marked FAILED, in seconds (3 days).
    #[arg(long, env = "LICENSEDESK_WEBHOOK_RETRY_FOR_SECONDS", default_value_t = 259_200, global = true)]
    pub webhook_retry_for_seconds: u64,
    /// How often each instance polls the outbox when no notification came, in milliseconds.
    #[arg(long, env = "LICENSEDESK_EVENT_POLL_MS", default_value_t = 1_000, global = true)]
    pub event_poll_ms: u64,
    /// Webhook deliveries in flight at once to one endpoint (all instances together).
    #[arg(long, env = "LICENSEDESK_WEBHOOK_ENDPOINT_CONCURRENCY", default_value_t = 2, global = true)]
    pub webhook_endpoint_concurrency: u32,
    /// Webhook deliveries in flight at once to one publisher's endpoints (all instances together).
    #[arg(long, env = "LICENSEDESK_WEBHOOK_PUBLISHER_CONCURRENCY", default_value_t = 16, global = true)]
    pub webhook_publisher_concurrency: u32,
    /// Webhook deliveries in flight at once in this instance.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_MAX_IN_FLIGHT", default_value_t = 256, global = true)]
    pub webhook_max_in_flight: u32,
    /// Consecutive failed deliveries after which an endpoint's circuit opens.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_BREAKER_FAILURES", default_value_t = 5, global = true)]
    pub webhook_breaker_failures: u32,
    /// How long an open circuit holds an endpoint's deliveries before one probe, in milliseconds.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_BREAKER_OPEN_MS", default_value_t = 60_000, global = true)]
    pub webhook_breaker_open_ms: u64,
    /// Run the webhook delivery worker in this instance.
    #[arg(long, env = "LICENSEDESK_WEBHOOK_WORKER", default_value_t = true, global = true, action = clap::ArgAction::Set)]
    pub webhook_worker: bool,
}

#[derive(Debug, Clone)]
pub struct EventConfig {
    pub webhook_allow_private: bool,
    pub webhook_timeout_ms: u64,
    pub webhook_retry_base_ms: u64,
    pub webhook_retry_max_ms: u64,
    pub webhook_retry_for_seconds: u64,
    pub event_poll_ms: u64,
    pub webhook_worker: bool,
    /// Issue 20 item 6: no endpoint or publisher can hold up another.
    pub webhook_endpoint_concurrency: u32,
    pub webhook_publisher_concurrency: u32,
    pub webhook_max_in_flight: u32,
    pub webhook_breaker_failures: u32,
    pub webhook_breaker_open_ms: u64,
}

impl EventSettings {
    pub fn validate(&self) -> Result<EventConfig, String> {
        if !(1..=120).contains(&self.webhook_timeout_seconds) {
            return Err("webhook timeout must be between 1 and 120 seconds".into());
        }
        if self.webhook_retry_base_ms == 0 || self.webhook_retry_max_ms < self.webhook_retry_base_ms {
            return Err("webhook retry delays must be positive and max ≥ base".into());
        }
        if !(10..=60_000).contains(&self.event_poll_ms) {
            return Err("event poll interval must be between 10 and 60000 ms".into());
        }
        if !(1..=64).contains(&self.webhook_endpoint_concurrency) {
            return Err("webhook endpoint concurrency must be between 1 and 64".into());
        }
        if self.webhook_publisher_concurrency < self.webhook_endpoint_concurrency
            || self.webhook_max_in_flight < self.webhook_publisher_concurrency
        {
            return Err("webhook concurrency: endpoint ≤ publisher ≤ max in flight".into());
        }
        if self.webhook_max_in_flight > 10_000 {
            return Err("webhook max in flight must be at most 10000".into());
        }
        if self.webhook_breaker_failures == 0 || !(100..=86_400_000).contains(&self.webhook_breaker_open_ms) {
            return Err("webhook breaker: at least 1 failure, open between 100 ms and 24 h".into());
        }
        Ok(EventConfig {
            webhook_allow_private: self.webhook_allow_private,
            webhook_timeout_ms: self.webhook_timeout_seconds * 1000,
            webhook_retry_base_ms: self.webhook_retry_base_ms,
            webhook_retry_max_ms: self.webhook_retry_max_ms,
            webhook_retry_for_seconds: self.webhook_retry_for_seconds,
            event_poll_ms: self.event_poll_ms,
            webhook_worker: self.webhook_worker,
            webhook_endpoint_concurrency: self.webhook_endpoint_concurrency,
            webhook_publisher_concurrency: self.webhook_publisher_concurrency,
            webhook_max_in_flight: self.webhook_max_in_flight,
            webhook_breaker_failures: self.webhook_breaker_failures,
            webhook_breaker_open_ms: self.webhook_breaker_open_ms,
        })
    }
}

impl EventConfig {
    /// Defaults for tests: loopback receivers allowed, fast polling and retries.
    pub fn for_tests() -> EventConfig {
        EventConfig {
            webhook_allow_private: true,
            webhook_timeout_ms: 2_000,
            webhook_retry_base_ms: 50,
            webhook_retry_max_ms: 400,
            webhook_retry_for_seconds: 259_200,
            event_poll_ms: 100,
            webhook_worker: true,
            webhook_endpoint_concurrency: 2,
            webhook_publisher_concurrency: 16,
            webhook_max_in_flight: 256,
            webhook_breaker_failures: 5,
            webhook_breaker_open_ms: 1_000,
        }
    }
}
