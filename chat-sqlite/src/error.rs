//! The one mapping of SQLite's errors (and those of the threads and files around it) to the
//! store's: a backend failure that keeps SQLite's error as its source, never a client's fault.
//!
//! Errors an operator must fix become [`StoreError::Storage`] with their [`StorageFault`]:
//! `SQLITE_FULL` (no space left: writes fail, reads go on), `SQLITE_READONLY` (the file or its
//! file system cannot be written), `SQLITE_CORRUPT` and `SQLITE_NOTADB` (a damaged file, or
//! not a database). A file system the kernel remounted read-only under the server answers
//! SQLite's writes with `EROFS`, which SQLite reports as a plain `SQLITE_IOERR_WRITE`: the
//! writer tells that case apart with [`read_only_fs`].

use std::error::Error;
use std::path::Path;

use chat_core::store::{BackendError, StorageFault, StoreError};
use rusqlite::ErrorCode;

/// What this crate's store code returns.
pub(crate) type Result<T> = chat_core::store::StoreResult<T>;

/// A failure of the SQLite store, keeping `source` (an error, or a message as text): a
/// [`StoreError::Storage`] when SQLite's code names a storage fault, else a backend failure.
pub(crate) fn internal(source: impl Into<Box<dyn Error + Send + Sync>>) -> StoreError {
    let source: Box<dyn Error + Send + Sync> = source.into();
    match fault_of(sqlite_code(&*source)) {
        Some(fault) => StoreError::Storage {
            fault,
            source: BackendError {
                store: "sqlite",
                source,
            },
        },
        None => StoreError::backend("sqlite", source),
    }
}

/// SQLite's primary code in `e`, found as the error itself or shared behind an `Arc` (a batch
/// that failed as a whole gives every write the same error).
fn sqlite_code(e: &(dyn Error + 'static)) -> Option<ErrorCode> {
    let sqlite = e.downcast_ref::<rusqlite::Error>().or_else(|| {
        e.downcast_ref::<std::sync::Arc<rusqlite::Error>>()
            .map(AsRef::as_ref)
    })?;
    sqlite.sqlite_error_code()
}

/// The storage fault a SQLite code stands for.
fn fault_of(code: Option<ErrorCode>) -> Option<StorageFault> {
    match code? {
        ErrorCode::DiskFull => Some(StorageFault::Full),
        ErrorCode::ReadOnly => Some(StorageFault::ReadOnly),
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(StorageFault::Corrupt),
        _ => None,
    }
}

/// Whether `b` is a bare I/O error of SQLite (`SQLITE_IOERR_*`), which may hide `EROFS`.
fn is_io(b: &BackendError) -> bool {
    sqlite_code(&*b.source) == Some(ErrorCode::SystemIoFailure)
}

/// Whether the file system holding `db` refuses writes (`EROFS`). Probes by creating a file
/// next to the database — never by opening the database file itself: closing any other
/// descriptor of that file would drop the POSIX locks SQLite holds on it.
pub(crate) fn read_only_fs(db: &Path) -> bool {
    let mut name = db.as_os_str().to_owned();
    name.push("-probe");
    let probe = std::path::PathBuf::from(name);
    match std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(e) => e.kind() == std::io::ErrorKind::ReadOnlyFilesystem,
    }
}

/// `e` as a read-only fault when it is an I/O error and the file system of `db` is read-only;
/// else `e` unchanged.
pub(crate) fn refine(e: StoreError, db: &Path) -> StoreError {
    match e {
        StoreError::Backend(source) if is_io(&source) && read_only_fs(db) => StoreError::Storage {
            fault: StorageFault::ReadOnly,
            source,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    fn fault(e: StoreError) -> Option<StorageFault> {
        match e {
            StoreError::Storage { fault, .. } => Some(fault),
            _ => None,
        }
    }

    #[test]
    fn sqlite_codes_become_distinct_storage_faults() {
        for (code, expected) in [
            (ffi::SQLITE_FULL, Some(StorageFault::Full)),
            (ffi::SQLITE_READONLY, Some(StorageFault::ReadOnly)),
            (ffi::SQLITE_READONLY_DBMOVED, Some(StorageFault::ReadOnly)),
            (ffi::SQLITE_CORRUPT, Some(StorageFault::Corrupt)),
            (ffi::SQLITE_NOTADB, Some(StorageFault::Corrupt)),
            (ffi::SQLITE_IOERR_WRITE, None),
            (ffi::SQLITE_CONSTRAINT, None),
        ] {
            assert_eq!(fault(internal(sqlite(code))), expected, "code {code}");
            // A batch shares one error between its writes.
            let shared = std::sync::Arc::new(sqlite(code));
            assert_eq!(fault(internal(shared)), expected, "shared code {code}");
        }
        assert_eq!(fault(internal("a message")), None);
    }

    #[test]
    fn an_io_error_is_read_only_only_on_a_read_only_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        assert!(!read_only_fs(&db));
        assert!(
            !dir.path().join("x.db-probe").exists(),
            "the probe is removed"
        );
        let e = refine(internal(sqlite(ffi::SQLITE_IOERR_WRITE)), &db);
        assert!(matches!(e, StoreError::Backend(_)), "{e:?}");
    }
}
