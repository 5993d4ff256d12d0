//! Database connections. SQLite runs in WAL mode with a busy timeout and
//! foreign keys on, and every write transaction starts with `BEGIN IMMEDIATE`
//! so concurrent writers queue on the lock instead of failing with
//! "database is locked" when a read transaction tries to upgrade.

use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// How long to wait for the database (issue 12): short, so that start-up
/// against an unreachable server fails fast and a request or readiness probe
/// does not hang when the pool cannot open a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the first connection at start-up.
    pub connect: Duration,
    /// Waiting for a pooled connection (including opening a new one).
    pub acquire: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(5), acquire: Duration::from_secs(30) }
    }
}

impl Timeouts {
    pub fn from_seconds(connect: u64, acquire: u64) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(connect.clamp(1, 300)),
            acquire: Duration::from_secs(acquire.clamp(1, 300)),
        }
    }

    fn apply(&self, options: &mut ConnectOptions) {
        options.connect_timeout(self.connect).acquire_timeout(self.acquire);
    }
}

/// How many connections the pool opens and how much each one caches
/// (issue 23 item 5: resident memory under load). Every connection keeps
/// its own prepared statements and, on SQLite, its own page cache, so these
/// multiply with the pool size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    /// Most connections open at once; None: [`PoolSizes::sqlite_connections`]
    /// on SQLite, 20 on PostgreSQL.
    pub max_connections: Option<u32>,
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size = -N`;
    /// SQLite's own default is 2,000 KiB). The file's pages stay in the
    /// operating system's cache either way.
    pub sqlite_cache_kib: u32,
    /// Prepared statements each connection keeps; None: sqlx's 100. A
    /// SQLite statement holds its compiled program in the process (tens of
    /// KiB for a join); PostgreSQL keeps its plans in the server.
    pub statement_cache: Option<usize>,
}

impl PoolSizes {
    /// SQLite's pool: two connections per core, from 2 to 8. SQLite writes
    /// one at a time and a read holds its core, so more connections than
    /// that only add memory — each keeps its page cache and prepared
    /// statements, about 5 MiB at peak under the benchmark (issue 23 item
    /// 5: 99–101 MiB with 8 on 2 cores, 78 MiB with 4, the same req/s).
    pub fn sqlite_connections() -> u32 {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX).clamp(2, 8)
    }
    pub const POSTGRES_CONNECTIONS: u32 = 20;
}

impl Default for PoolSizes {
    fn default() -> Self {
        PoolSizes { max_connections: None, sqlite_cache_kib: 1024, statement_cache: None }
    }
}

/// The host (and port) of a database URL, without user or password, for messages.
pub fn describe_url(url: &str) -> String {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let file = path.trim_start_matches("//");
        return format!("SQLite file {}", file.split('?').next().unwrap_or(file));
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("PostgreSQL server {host}")
}

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, &Timeouts::default()).await
}

/// Opens the pool, failing within `timeouts.connect` with a message naming
/// the server when it cannot be reached.
pub async fn connect_with(url: &str, timeouts: &Timeouts) -> Result<DatabaseConnection, DbErr> {
    connect_sized(url, timeouts, &PoolSizes::default()).await
}

/// [`connect_with`] with the pool and cache sizes given.
pub async fn connect_sized(url: &str, timeouts: &Timeouts, sizes: &PoolSizes) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    let statement_cache = sizes.statement_cache.unwrap_or(100);
    options.sqlx_logging(false);
    timeouts.apply(&mut options);
    if url.starts_with("sqlite:") {
        // WAL with synchronous=FULL: a commit returns only after its WAL
        // frames are on disk, so an acknowledged write survives a power cut
        // or an OS crash, not only a killed process (NORMAL could lose the
        // last commits there). The price is one fsync of the WAL per write
        // transaction; reads never wait for it (issue 12).
        let cache_size = format!("-{}", sizes.sqlite_cache_kib.max(64));
        options
            .max_connections(sizes.max_connections.unwrap_or_else(PoolSizes::sqlite_connections).max(1))
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(60))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    .pragma("cache_size", cache_size.clone())
                    .statement_cache_capacity(statement_cache)
            })
            .map_sqlx_sqlite_pool_opts(|o| {
                o.after_release(|conn, _| Box::pin(async move { Ok(released_clean::<sea_orm::sqlx::Sqlite>(conn)) }))
            });
    } else {
        // No ping on every pool checkout: a broken connection fails its
        // statement and is dropped; only connections idle for a while are
        // tested (issue 14: 17 extra round trips per page request).
        options
            .max_connections(sizes.max_connections.unwrap_or(PoolSizes::POSTGRES_CONNECTIONS).max(1))
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .map_sqlx_postgres_pool_opts(|o| {
                o.after_release(|conn, _| Box::pin(async move { Ok(released_clean::<sea_orm::sqlx::Postgres>(conn)) }))
            });
        // On loopback TLS buys nothing and costs a handshake plus split
        // records that wait on delayed ACKs; a URL that names `sslmode`
        // keeps its choice.
        let plain = local_without_sslmode(url);
        options.map_sqlx_postgres_opts(move |o| {
            let o = o.statement_cache_capacity(statement_cache);
            if plain { o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable) } else { o }
        });
    }
    let unreachable = |cause: String| {
        DbErr::Conn(sea_orm::RuntimeErr::Internal(format!("cannot reach the {}: {cause}", describe_url(url))))
    };
    match tokio::time::timeout(timeouts.connect, Database::connect(options)).await {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {} s", timeouts.connect.as_secs()))),
    }
}

/// Checked when a connection goes back to the pool (issue 12 §5): it must be
/// outside any transaction. A dropped transaction's rollback has run by then
/// (it is queued before this check); a connection whose rollback failed —
/// SQLite after a full disk or an I/O error has often ended the transaction
/// itself, so `ROLLBACK` fails and the driver still counts one open — is
/// closed instead of pooled (closing rolls back whatever is left and frees
/// the write lock), so the next request never runs inside a failed or
/// foreign transaction and never meets "database is locked" for ever.
fn released_clean<DB: sea_orm::sqlx::Database>(conn: &mut DB::Connection) -> bool {
    use sea_orm::sqlx::Connection;
    let inside = conn.is_in_transaction();
    if inside {
        tracing::warn!("closing a database connection that came back inside a transaction");
        metrics::counter!("licensedesk_db_connections_discarded_total").increment(1);
    }
    !inside
}

/// True when the database answers a trivial query within `limit` (readiness).
pub async fn ping(db: &DatabaseConnection, limit: Duration) -> Result<(), String> {
    match tokio::time::timeout(limit, db.execute_unprepared("SELECT 1")).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
    }
}

/// True for a PostgreSQL URL on a loopback host (or a Unix socket) that does
/// not say which `sslmode` it wants.
fn local_without_sslmode(url: &str) -> bool {
    if url.contains("sslmode=") || std::env::var_os("PGSSLMODE").is_some() {
        return false;
    }
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    matches!(host, "" | "localhost" | "127.0.0.1" | "::1") || host.starts_with("127.")
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    migration::Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`); on PostgreSQL it is a plain transaction.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// True when the error is a unique-constraint violation (used where a race is
/// settled by the database: idempotency keys, one license per user).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// True when a CHECK constraint rejected the write (e.g. assigned > quantity,
/// R21), by the driver's error kind (SQLSTATE 23514 / SQLITE_CONSTRAINT_CHECK),
/// never by the message text.
pub fn is_check_violation(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(&**e, sqlx::Error::Database(db) if db.kind() == sqlx::error::ErrorKind::CheckViolation)
        }
        _ => false,
    }
}

/// A range bound written into the statement instead of bound as a parameter,
/// when it is plain text (no quote, backslash or control character; anything
/// else stays a parameter). For ranges whose width decides the plan: sqlx
/// keeps statements prepared, and after five runs PostgreSQL may switch to a
/// cached generic plan that cannot see how much the range holds (issues 22
/// and 23: a search prefix and a spend period, 3–6× slower on dataset L).
/// Each distinct value is then planned on its own.
pub fn planned_bound(text: String) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::Expr;
    if text.chars().any(|c| c == '\'' || c == '\\' || c.is_control()) {
        Expr::val(text)
    } else {
        Expr::cust(format!("'{text}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::local_without_sslmode;

    #[test]
    fn tls_is_skipped_only_on_loopback_without_an_explicit_sslmode() {
        assert!(local_without_sslmode("postgres://postgres@127.0.0.1:5432/db"));
        assert!(local_without_sslmode("postgres://u:p@localhost/db"));
        assert!(local_without_sslmode("postgres://u@[::1]:5432/db"));
        assert!(!local_without_sslmode("postgres://u@127.0.0.1/db?sslmode=require"));
        assert!(!local_without_sslmode("postgres://u:p@db.example/db"));
        assert!(!local_without_sslmode("postgres://u:p@10.0.0.5:5432/db"));
    }
}
