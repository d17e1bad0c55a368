//! What a store call fails with: the outcomes the facade acts on, and a backend's own error
//! kept whole, as its source, for the logs (object_store's `Error::Generic { store, source }`).

use std::error::Error;

use crate::error::ChatError;
pub use crate::error::{BackendError, StorageFault};

/// Every way a [`ChatStore`](super::ChatStore) call can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A [`Precondition`](super::Precondition) of the write no longer holds: nothing was
    /// written, and the facade decides again. The text names the precondition, for logs.
    #[error("precondition failed: {0}")]
    Conflict(String),
    /// A decision handed to the store ([`DecideMember`](super::DecideMember),
    /// [`DecideRoom`](super::DecideRoom)) refused: its error, as it came.
    #[error(transparent)]
    Refused(ChatError),
    /// The backend's queue for this kind of work is full: the call was refused before it
    /// started, so nothing was read or written. The caller may try again shortly.
    #[error("{0} queue full")]
    Overloaded(&'static str),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The backend's storage cannot do this until an operator fixes it (full, read-only,
    /// damaged): a write that fails so has written nothing. A backend maps its own error
    /// codes to a [`StorageFault`] (SQLite: `SQLITE_FULL`, `SQLITE_READONLY`,
    /// `SQLITE_CORRUPT`, `SQLITE_NOTADB`).
    #[error("{fault}: {source}")]
    Storage {
        /// What is wrong.
        fault: StorageFault,
        /// The backend's error.
        source: BackendError,
    },
}

impl StoreError {
    /// A failure of the backend `store`, keeping `source` (an error, or a message as text).
    pub fn backend(store: &'static str, source: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self::Backend(BackendError {
            store,
            source: source.into(),
        })
    }
}

/// The result of a store call.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// The facade's view: a stale precondition is its `Conflict` (which it retries), a refusal
/// stays what it was, a backend failure keeps its source as [`ChatError::Backend`].
impl From<StoreError> for ChatError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(why) => ChatError::Conflict(why),
            StoreError::Refused(e) => e,
            StoreError::Overloaded(_) => ChatError::Overloaded,
            StoreError::Backend(e) => ChatError::Backend(e),
            StoreError::Storage { fault, source } => ChatError::Storage { fault, source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_failure_keeps_its_source_and_tells_clients_nothing() {
        let io = std::io::Error::other("disk I/O error at /var/secret.db");
        let e: ChatError = StoreError::backend("sqlite", io).into();
        assert_eq!(e.http_status(), 500);
        assert_eq!(e.public_message(), "internal error");
        let source = e.source().map(ToString::to_string);
        assert!(source.is_some_and(|s| s.contains("disk I/O")), "{e:?}");
        assert!(e.to_string().contains("sqlite store failed"));
    }

    #[test]
    fn conflicts_and_refusals_become_the_facades_own() {
        let e: ChatError = StoreError::Conflict("RoomLive".into()).into();
        assert!(matches!(e, ChatError::Conflict(_)));
        let e: ChatError = StoreError::Refused(ChatError::NotFound).into();
        assert!(matches!(e, ChatError::NotFound));
    }
}
