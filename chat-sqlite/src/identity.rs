//! Whether a file is this store's database before anything writes to it: a file of another
//! application, a newer schema or a damaged file is refused at open with a clear error rather
//! than migrated into, or failing request by request later.
//!
//! The database header's `application_id` marks the file as ours ([`APPLICATION_ID`]; set
//! on every open, so databases created before it existed get it too). A file without it is
//! accepted when it is new (no schema at all: an empty file is a valid empty database) or
//! when it already holds this store's tables.

use rusqlite::Connection;

use chat_core::store::{BackendError, StorageFault, StoreError};

/// `PRAGMA application_id` of a chat database: "CHAT" in ASCII.
pub(crate) const APPLICATION_ID: i64 = 0x4348_4154;

/// A table every version of the schema has.
const OUR_TABLE: &str = "internal_chat_rooms";

/// Refuses a file that is not a chat database (see the module docs). Reading the header and
/// the schema also fails on a file that is not SQLite at all (`SQLITE_NOTADB`).
pub(crate) fn check(conn: &Connection) -> Result<(), StoreError> {
    let sql = |e: rusqlite::Error| crate::error::internal(e);
    let app: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(sql)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    let (objects, ours): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE type = 'table' AND name = ?1) FROM sqlite_master",
            [OUR_TABLE],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(sql)?;
    if app != 0 && app != APPLICATION_ID {
        return Err(not_ours(format!(
            "the file belongs to another application (application_id {app:#x})"
        )));
    }
    if app == 0 && objects > 0 && (version == 0 || ours == 0) {
        return Err(not_ours(format!(
            "the file is a SQLite database of another application ({objects} schema objects, user_version {version}, no {OUR_TABLE} table)"
        )));
    }
    Ok(())
}

/// A file shorter than its header says (cut off by a copy or a full disk): the pages past its
/// end are gone. Cheap — a `stat` and the header — so it runs on every open. Skipped while a
/// WAL file exists: pages past the end of the database file may legitimately be in the WAL.
pub(crate) fn length_check(conn: &Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(std::path::Path::new(&wal)).is_ok_and(|m| m.len() > 0) {
        return Ok(());
    }
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
        return Ok(()); // A new database: nothing to compare.
    };
    let (pages, page_size): (i64, i64) = conn
        .query_row(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(crate::error::internal)?;
    let expected = u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0);
    if len < expected {
        return Err(StoreError::Storage {
            fault: StorageFault::Corrupt,
            source: BackendError {
                store: "sqlite",
                source: format!(
                    "the database is damaged: the file has {len} bytes, its header says {expected}"
                )
                .into(),
            },
        });
    }
    Ok(())
}

/// `PRAGMA quick_check`: the b-trees are well formed and every page is accounted for (no
/// index-to-table cross check, which `integrity_check` adds). Reads the whole file once.
pub(crate) fn quick_check(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(crate::error::internal)?;
    let problems = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(crate::error::internal)?;
    if problems != ["ok"] {
        return Err(StoreError::Storage {
            fault: StorageFault::Corrupt,
            source: BackendError {
                store: "sqlite",
                source: format!(
                    "the database is damaged (quick_check: {})",
                    problems.join("; ")
                )
                .into(),
            },
        });
    }
    Ok(())
}

/// Marks the file as a chat database (after the migrations made it one).
pub(crate) fn stamp(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(crate::error::internal)
}

fn not_ours(why: String) -> StoreError {
    StoreError::Storage {
        fault: StorageFault::Corrupt,
        source: BackendError {
            store: "sqlite",
            source: format!("not a chat database: {why}").into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_and_our_own_pass_another_apps_does_not() {
        let fresh = Connection::open_in_memory().unwrap();
        check(&fresh).unwrap();
        let other = Connection::open_in_memory().unwrap();
        other
            .execute_batch("CREATE TABLE songs (title TEXT); PRAGMA user_version = 3;")
            .unwrap();
        let e = check(&other).unwrap_err().to_string();
        assert!(e.contains("another application"), "{e}");
        let stamped = Connection::open_in_memory().unwrap();
        stamped
            .execute_batch("PRAGMA application_id = 1234;")
            .unwrap();
        assert!(check(&stamped).is_err());
        let mut ours = Connection::open_in_memory().unwrap();
        crate::migrate::migrate(&mut ours).unwrap();
        check(&ours).unwrap();
        stamp(&ours).unwrap();
        check(&ours).unwrap();
        quick_check(&ours).unwrap();
    }
}
