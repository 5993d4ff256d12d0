//! Bounds on GraphQL documents (issue 12): plain numbers the GraphQL
//! pre-pass reads; configured by `RobustnessSettings`.

/// Bounds for one class of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLimits {
    /// Length of the query text in bytes.
    pub max_bytes: usize,
    /// Selections after expanding every fragment (not multiplied by pages).
    pub max_fields: u64,
    /// Estimated objects in the response (pages multiplied out).
    pub max_cost: u64,
    /// Fields at the root of one operation.
    pub max_root_fields: u64,
    /// Aliased fields in the expanded document.
    pub max_aliases: u64,
}

impl CostLimits {
    pub const AUTHENTICATED: CostLimits =
        CostLimits { max_bytes: 32 * 1024, max_fields: 2_000, max_cost: 25_000, max_root_fields: 20, max_aliases: 50 };
    /// Enough for sign-up, sign-in and the market list; GraphiQL's
    /// introspection query also fits (it is costed by size only).
    pub const ANONYMOUS: CostLimits =
        CostLimits { max_bytes: 4 * 1024, max_fields: 60, max_cost: 60, max_root_fields: 3, max_aliases: 3 };
}

/// The limits for each class of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    pub authenticated: CostLimits,
    pub anonymous: CostLimits,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits { authenticated: CostLimits::AUTHENTICATED, anonymous: CostLimits::ANONYMOUS }
    }
}

/// Bounds on the GraphQL WebSocket endpoint (issue 20 item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketLimits {
    /// A socket that has not sent `connection_init` by then is closed with 4408.
    pub init_timeout: std::time::Duration,
    /// The server pings every socket this often; a socket that has sent
    /// nothing (not even the pong) for three intervals is closed as dead.
    pub keepalive: std::time::Duration,
    /// A socket with no operation running and nothing received for this long is closed.
    pub idle_timeout: std::time::Duration,
    /// Open sockets in total.
    pub max_total: usize,
    /// Open sockets per client address.
    pub max_per_client: usize,
    /// How often an open socket re-checks its caller besides when told to
    /// (`None`: 5 s on PostgreSQL, where instances announce revocations; 0.8 s on SQLite).
    pub caller_recheck: Option<std::time::Duration>,
}

impl Default for SocketLimits {
    fn default() -> Self {
        SocketLimits {
            init_timeout: std::time::Duration::from_secs(5),
            keepalive: std::time::Duration::from_secs(20),
            idle_timeout: std::time::Duration::from_secs(300),
            max_total: 4096,
            max_per_client: 64,
            caller_recheck: None,
        }
    }
}
