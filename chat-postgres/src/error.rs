//! PostgreSQL's and the pool's errors as the store's ([`StoreError`]).

use chat_core::store::{StoreError, StoreResult};
use tokio_postgres::error::SqlState;

/// Every fallible function of this crate returns the store's error.
pub(crate) type Result<T> = StoreResult<T>;

/// Name of this backend in [`StoreError::Backend`], for the logs.
pub(crate) const STORE: &str = "postgres";

/// An error of this backend with `source` kept for the logs.
pub(crate) fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend(STORE, source)
}

/// A database error. The three ways a racing transaction loses — a unique index taken by a
/// concurrent insert (a DM pair, a client id), a deadlock, a serialization failure — are
/// [`StoreError::Conflict`]: nothing was written, and the facade re-reads its facts and
/// decides again, exactly as for a stale precondition.
pub(crate) fn db(e: tokio_postgres::Error) -> StoreError {
    let lost_race = e.code().is_some_and(|c| {
        *c == SqlState::UNIQUE_VIOLATION
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
    });
    if lost_race {
        let what = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned());
        return StoreError::Conflict(format!("concurrent write: {what}"));
    }
    internal(PgError::from(e))
}

/// A driver error with what the server said in its text (tokio-postgres's own text is only
/// "db error"), the driver's error kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub(crate) struct PgError {
    text: String,
    #[source]
    source: tokio_postgres::Error,
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        let text = match e.as_db_error() {
            Some(d) => format!("{} {}: {}", d.severity(), d.code().code(), d.message()),
            None => match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            },
        };
        Self { text, source: e }
    }
}

/// A connection could not be had: the pool's wait timed out (every connection busy) is
/// [`StoreError::Overloaded`] — nothing was read or written, and the caller may try again —
/// anything else (the database unreachable) a backend failure.
pub(crate) fn pool(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => {
            StoreError::Overloaded("postgres pool")
        }
        other => internal(other),
    }
}
