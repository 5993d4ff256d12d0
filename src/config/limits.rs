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
