//! The one mapping of SQLite's errors (and those of the threads and files around it) to the
//! store's: a backend failure that keeps SQLite's error as its source, never a client's fault.

use chat_core::store::StoreError;

/// What this crate's store code returns.
pub(crate) type Result<T> = chat_core::store::StoreResult<T>;

/// A backend failure of the SQLite store, keeping `source` (an error, or a message as text).
pub(crate) fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend("sqlite", source)
}
