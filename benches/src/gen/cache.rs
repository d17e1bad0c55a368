//! The cached database: generated once per size (and generator and schema version) into a
//! temporary file, checked, then renamed into place, so that an interrupted run never
//! leaves a half-written file that a later run would reuse.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::write::write_all;
use super::{verify, Layout, Size, GEN_VERSION};

/// Returns the path of the cached database for `size` in `dir`, generating it if needed.
pub fn ensure(size: Size, dir: &Path) -> chat_core::Result<PathBuf> {
    let path = dir.join(format!("{}.db", size.key()));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir).map_err(internal)?;
    // Files of other generator versions are stale: do not let them pile up.
    let current = format!("chat-v{GEN_VERSION}-");
    for entry in std::fs::read_dir(dir).map_err(internal)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("chat-v") && !name.starts_with(&current) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let tmp = dir.join(format!("{}.tmp", size.key()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    // The schema exactly as the store makes it.
    drop(chat_sqlite::SqliteStore::open(&tmp)?);
    let started = std::time::Instant::now();
    let layout = Layout::new(size);
    let mut conn = Connection::open(&tmp).map_err(internal)?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
    )
    .map_err(internal)?;
    write_all(&mut conn, &layout).map_err(internal)?;
    let problems = verify(&conn).map_err(internal)?;
    if !problems.is_empty() {
        return Err(chat_core::ChatError::internal(format!(
            "generated data breaks store invariants: {problems:?}"
        )));
    }
    // One self-contained file (no -wal) so that copies of it are consistent; the store
    // switches it back to WAL when it opens a copy.
    conn.execute_batch("PRAGMA journal_mode = DELETE; VACUUM;")
        .map_err(internal)?;
    drop(conn);
    std::fs::rename(&tmp, &path).map_err(internal)?;
    eprintln!(
        "generated {} ({} messages) in {:.1}s",
        path.display(),
        size.messages,
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

/// A generator failure as the store's error type.
fn internal(e: impl std::fmt::Display) -> chat_core::ChatError {
    chat_core::ChatError::internal(format!("generator: {e}"))
}
