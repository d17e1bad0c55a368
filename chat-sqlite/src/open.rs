//! Opening the database: the writer's connection (WAL, migrations, no automatic
//! checkpoints), the checkpointer's, the readers' (`query_only`), and the pragmas every one
//! of them gets; then the threads that own them.
//!
//! Reads run on a fixed set of reader threads, each with its own `query_only` connection (see
//! `reader_pool`), or on the calling task with [`Options::inline_reads`]; WAL lets them run
//! concurrently with the writer (see `writer`), and the checkpointer (see `checkpoint`) keeps
//! the WAL folded back into the database file.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

use crate::error::Result;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::error::internal;
use crate::options::Options;
use crate::reader_pool::ReaderPool;
use crate::writer::Writer;
use crate::{checkpoint, identity, migrate};

/// What a rewound WAL file is truncated back to (`PRAGMA journal_size_limit`), so that one
/// burst does not leave a giant file behind.
const WAL_FILE_LIMIT: i64 = 32 << 20;

/// The open database: its writer, its readers, and its checkpointer.
pub(crate) struct Db {
    pub(crate) writer: Writer,
    pub(crate) readers: ReaderPool,
    // Dropping it stops the checkpointer thread.
    _checkpointer: mpsc::Sender<()>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer,
    /// the checkpointer and the readers.
    pub(crate) fn open(path: &Path, opts: &Options) -> Result<Self> {
        let mut conn = Connection::open(path).map_err(internal)?;
        // What the file is, before anything writes to it.
        identity::check(&conn)?;
        identity::length_check(&conn, path)?;
        if opts.check_on_open {
            identity::quick_check(&conn)?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(internal)?;
        pragmas(&conn, opts).map_err(internal)?;
        migrate::migrate(&mut conn).map_err(crate::error::internal)?;
        identity::stamp(&conn)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(internal)?;
        conn.pragma_update(None, "journal_size_limit", WAL_FILE_LIMIT)
            .map_err(internal)?;
        let rewind = Arc::new(AtomicBool::new(false));
        let checkpointer = checkpoint::spawn(checkpointer(path, opts)?, rewind.clone())?;

        let writer = Writer::spawn(conn, path, opts, rewind)?;

        let readers = (0..opts.readers.max(1))
            .map(|_| reader(path, opts))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(internal)?;
        let inline = if opts.inline_reads {
            Some(inline_pool(path, opts)?)
        } else {
            None
        };
        let readers = ReaderPool::spawn(readers, inline, opts.read_queue)?;
        Ok(Self {
            writer,
            readers,
            _checkpointer: checkpointer,
        })
    }
}

/// The pragmas of every connection.
fn pragmas(conn: &Connection, opts: &Options) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(u64::from(
        opts.busy_timeout_ms,
    )))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(
        None,
        "mmap_size",
        i64::try_from(opts.mmap_size).unwrap_or(i64::MAX),
    )?;
    conn.pragma_update(
        None,
        "synchronous",
        if opts.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        },
    )?;
    Ok(())
}

/// The checkpointer's connection.
fn checkpointer(path: &Path, opts: &Options) -> Result<Connection> {
    let conn = Connection::open(path).map_err(internal)?;
    pragmas(&conn, opts).map_err(internal)?;
    Ok(conn)
}

/// How every reader connection is opened.
const READER_FLAGS: OpenFlags = OpenFlags::SQLITE_OPEN_READ_WRITE
    .union(OpenFlags::SQLITE_OPEN_NO_MUTEX)
    .union(OpenFlags::SQLITE_OPEN_URI);

/// Makes `conn` a reader: the store's pragmas, and `query_only` so that no read can write.
fn init_reader(conn: &Connection, opts: &Options) -> rusqlite::Result<()> {
    pragmas(conn, opts)?;
    conn.pragma_update(None, "query_only", "ON")
}

/// A reader thread's connection.
fn reader(path: &Path, opts: &Options) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, READER_FLAGS)?;
    init_reader(&conn, opts)?;
    Ok(conn)
}

/// The connections of [`Options::inline_reads`].
fn inline_pool(path: &Path, opts: &Options) -> Result<Pool<SqliteConnectionManager>> {
    let read_opts = opts.clone();
    let manager = SqliteConnectionManager::file(path)
        .with_flags(READER_FLAGS)
        .with_init(move |c| init_reader(c, &read_opts));
    // No validity check per checkout (r2d2's default runs a statement each time): a
    // connection to a local file does not go stale, and reads are the hot path.
    Pool::builder()
        .max_size(opts.readers.max(1))
        .test_on_check_out(false)
        .build(manager)
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mmap_of(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn every_connection_gets_the_configured_memory_map() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        for (bytes, expect) in [(64_u64 << 20, 64_i64 << 20), (0, 0)] {
            let opts = Options {
                mmap_size: bytes,
                ..Options::default()
            };
            let writer = Connection::open(&path).unwrap();
            pragmas(&writer, &opts).unwrap();
            assert_eq!(mmap_of(&writer), expect, "writer, {bytes} bytes");
            let conn = reader(&path, &opts).unwrap();
            assert_eq!(mmap_of(&conn), expect, "reader, {bytes} bytes");
        }
    }
}
