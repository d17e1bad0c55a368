//! The one error type of the library.
//!
//! Each variant is one error code of the HTTP contract, so the server maps them in a single
//! `match` and embedders get the same distinctions. Refusals only a server makes (body too
//! large, rate limited, the URL's account not the caller's) are the server's own errors, not
//! the library's. `Backend` (a store's failure, with its source) and `Internal` carry the
//! detail for logs;
//! [`ChatError::public_message`] is what a client may see.

use std::error::Error;
use std::fmt;

/// A field-level validation problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The offending field (`content`, `member_ids[3]`, `cursor`…).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A backend failed (the disk, the database, a thread or a connection): which store, and its
/// error as the source. Never a client's fault; clients see only "internal error".
#[derive(Debug, thiserror::Error)]
#[error("{store} store failed: {source}")]
pub struct BackendError {
    /// The backend's name (`sqlite`, `memory`, …).
    pub store: &'static str,
    /// What the backend reported.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

/// Why a store cannot do its work for now, whatever the request: what an operator must fix
/// (free space, a file system gone read-only, a damaged file), never a client's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StorageFault {
    /// The disk or file system is full: writes fail until space is freed; reads still work.
    Full,
    /// The database cannot be written (a read-only file system or file); reads still work.
    ReadOnly,
    /// The database file is damaged or is not a database of this store.
    Corrupt,
}

impl StorageFault {
    /// The reason code `/healthz` gives: `storage_full`, `storage_read_only`,
    /// `storage_corrupt`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Full => "storage_full",
            Self::ReadOnly => "storage_read_only",
            Self::Corrupt => "storage_corrupt",
        }
    }
}

impl fmt::Display for StorageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "storage full",
            Self::ReadOnly => "storage read-only",
            Self::Corrupt => "storage corrupt",
        })
    }
}

/// Every way an operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// No valid credentials (401 `unauthorized`).
    #[error("unauthorized")]
    Unauthorized,
    /// The caller may see the target but not do this to it (403 `forbidden`).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The caller's directory entry is deactivated (403 `user_deactivated`).
    #[error("user deactivated")]
    UserDeactivated,
    /// The account's plan refuses this (403 `entitlement_denied`); names the limit.
    #[error("entitlement denied: {0}")]
    EntitlementDenied(&'static str),
    /// No such thing in the caller's account, or the caller may not know it exists (404).
    #[error("not found")]
    NotFound,
    /// The state changed under the operation and retrying did not settle it (409). The text
    /// is for logs; clients get a generic sentence from [`ChatError::public_message`].
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that breaks a rule of the contract (422 `validation_failed`).
    #[error("validation failed: {}", join(.0))]
    Validation(Vec<FieldError>),
    /// The store sheds load: its bounded queue is full and the operation was refused before
    /// it started, nothing written (503 `overloaded`; retry after a second).
    #[error("overloaded")]
    Overloaded,
    /// The account already runs the one operation of this kind it may run at a time (an
    /// audit export); retry after this many seconds (429 `rate_limited`, `Retry-After`).
    #[error("busy: retry after {0} s")]
    Busy(u64),
    /// A store failed (500 `internal`); keeps the backend's error as its source, for logs.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The store cannot do this until an operator fixes its storage (503
    /// `storage_unavailable`, with `Retry-After`): a full disk or a read-only file system
    /// refuse writes (reads go on), a damaged file refuses what touches it. Nothing was
    /// written. Keeps the backend's error for logs.
    #[error("{fault}: {source}")]
    Storage {
        /// What is wrong.
        fault: StorageFault,
        /// The backend's error.
        source: BackendError,
    },
    /// Anything else, a bug in this library (500 `internal`). The detail is for logs.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ChatError {
    /// One validation error on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// An internal failure; the text goes to logs only.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The contract's snake_case error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::UserDeactivated => "user_deactivated",
            Self::EntitlementDenied(_) => "entitlement_denied",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Validation(_) => "validation_failed",
            Self::Overloaded => "overloaded",
            Self::Storage { .. } => "storage_unavailable",
            Self::Busy(_) => "rate_limited",
            Self::Backend(_) | Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status of [`ChatError::code`].
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden(_) | Self::UserDeactivated | Self::EntitlementDenied(_) => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::Validation(_) => 422,
            Self::Overloaded | Self::Storage { .. } => 503,
            Self::Busy(_) => 429,
            Self::Backend(_) | Self::Internal(_) => 500,
        }
    }

    /// Text safe to show a client: internal details are replaced by a generic sentence.
    pub fn public_message(&self) -> String {
        match self {
            Self::Backend(_) | Self::Internal(_) => "internal error".to_owned(),
            // The detail names internal facts (which precondition, whose membership).
            Self::Conflict(_) => "the resource changed while the request ran; retry".to_owned(),
            Self::Overloaded => "the server is overloaded; retry shortly".to_owned(),
            // Which fault is for operators (`/healthz`, the logs), not for every client.
            Self::Storage { .. } => {
                "the server cannot store data right now; retry later".to_owned()
            }
            Self::Busy(_) => {
                "an audit export of this account is already running; retry later".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// A result whose error is the library's [`ChatError`].
pub type Result<T, E = ChatError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_never_reaches_clients() {
        let e = ChatError::internal("disk I/O error at /var/secret.db");
        assert_eq!(e.http_status(), 500);
        assert_eq!(e.public_message(), "internal error");
        let c = ChatError::Conflict("precondition failed: Membership { .. }".into());
        assert!(!c.public_message().contains("Membership"));
    }

    #[test]
    fn a_storage_fault_is_a_503_that_names_no_internals() {
        let e = ChatError::Storage {
            fault: StorageFault::Full,
            source: BackendError {
                store: "sqlite",
                source: "database or disk is full at /var/secret.db".into(),
            },
        };
        assert_eq!((e.http_status(), e.code()), (503, "storage_unavailable"));
        assert!(!e.public_message().contains("secret"));
        assert!(e.to_string().contains("storage full"), "{e}");
        assert_eq!(StorageFault::ReadOnly.code(), "storage_read_only");
    }

    #[test]
    fn validation_lists_fields() {
        let e = ChatError::Validation(vec![
            FieldError::new("content", "empty"),
            FieldError::new("name", "too long"),
        ]);
        assert_eq!(e.http_status(), 422);
        assert_eq!(e.code(), "validation_failed");
        assert!(e.to_string().contains("content: empty; name: too long"));
    }
}
