//! The one mapping of SQLite's errors (and those of the threads and files around it) to the
//! store's: an internal error, never a client's fault.

use chat_core::ChatError;

/// An internal error that names SQLite as its source.
pub(crate) fn internal(e: impl std::fmt::Display) -> ChatError {
    ChatError::internal(format!("sqlite: {e}"))
}
