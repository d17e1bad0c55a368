//! [`Options`]: the pool, the timeouts and the event log's retention.

use std::time::Duration;

/// How the store uses the database.
#[derive(Debug, Clone)]
pub struct Options {
    /// Connections in the pool (each is one PostgreSQL backend process).
    pub pool_size: usize,
    /// How long a call waits for a free connection before it is refused as overloaded.
    pub pool_wait: Duration,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// `statement_timeout` of every connection: a statement running longer is cancelled
    /// (and its transaction rolled back), so a runaway query cannot hold a connection.
    pub statement_timeout: Duration,
    /// `lock_timeout`: how long a statement waits for a row lock held by another transaction.
    pub lock_timeout: Duration,
    /// `idle_in_transaction_session_timeout`: a session that stalls inside a transaction is
    /// ended, releasing its locks (an account's counter row among them: see `event_log`).
    pub idle_in_transaction_timeout: Duration,
    /// What the event log keeps.
    pub retention: Retention,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            pool_size: 16,
            pool_wait: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(5),
            idle_in_transaction_timeout: Duration::from_secs(30),
            retention: Retention::default(),
        }
    }
}

/// What each account's event log keeps: the newest `max_events` events no older than
/// `max_age` (pruned every few hundred events of the account, after the write commits).
#[derive(Debug, Clone)]
pub struct Retention {
    /// Events kept per account at most.
    pub max_events: i64,
    /// Oldest event kept.
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_events: 100_000,
            max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}
