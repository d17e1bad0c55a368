//! Connections: one writer thread, a pool of readers, pragmas, and moving blocking work off
//! the async runtime.
//!
//! SQLite allows one writer at a time; rather than letting connections fight over the lock
//! (`SQLITE_BUSY`), every write goes to a single dedicated thread that owns the only writing
//! connection and runs each job as `BEGIN IMMEDIATE … COMMIT`. Reads run on a pool of
//! `query_only` connections in `spawn_blocking`, concurrent with the writer thanks to WAL.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use chat_core::{ChatError, Result};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::migrate;

/// How the store opens its database.
#[derive(Debug, Clone)]
pub struct Options {
    /// Reader connections in the pool.
    pub readers: u32,
    /// `PRAGMA synchronous`: `NORMAL` (default; in WAL mode a power loss may drop the last
    /// transactions but never corrupts) or `FULL` (every commit is durable before it returns).
    pub synchronous_full: bool,
    /// `PRAGMA busy_timeout` in milliseconds (readers waiting on a checkpoint, other processes).
    pub busy_timeout_ms: u32,
    /// How much of each account's event log is kept for resuming clients.
    pub retention: Retention,
}

/// Event log retention per account: an event is dropped once it is older than `max_age`
/// or more than `max_events` newer events exist. A client resuming from a dropped id gets
/// `resync_required`. Defaults: 100,000 events and 7 days — a day of a busy account's traffic
/// with room to spare, and a week-long absence.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Events kept per account.
    pub max_events: i64,
    /// Age after which events are dropped.
    pub max_age: std::time::Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            max_events: 100_000,
            max_age: std::time::Duration::from_secs(7 * 24 * 3600),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            readers: 4,
            synchronous_full: false,
            busy_timeout_ms: 5_000,
            retention: Retention::default(),
        }
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ChatError {
    ChatError::internal(format!("sqlite: {e}"))
}

fn pragmas(conn: &Connection, opts: &Options) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(u64::from(
        opts.busy_timeout_ms,
    )))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
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

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The writer thread's mailbox.
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Runs `f` on the writer connection and returns its result.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (done, wait) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let _ = done.send(f(conn));
        });
        self.tx
            .send(job)
            .map_err(|_| ChatError::internal("sqlite writer thread is gone"))?;
        wait.await
            .map_err(|_| ChatError::internal("sqlite writer dropped a job"))?
    }
}

/// Both halves of the database.
pub(crate) struct Db {
    pub(crate) writer: Writer,
    pub(crate) readers: Pool<SqliteConnectionManager>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer.
    pub(crate) fn open(path: &Path, opts: &Options) -> Result<Self> {
        let mut conn = Connection::open(path).map_err(internal)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(internal)?;
        pragmas(&conn, opts).map_err(internal)?;
        migrate::migrate(&mut conn).map_err(ChatError::Internal)?;

        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("chat-sqlite-writer".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    // A panicking job (a bug) must not take every later write down with it:
                    // its transaction rolls back as it unwinds, its caller sees the channel
                    // closed (an internal error), and the thread serves the next job.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut conn));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("sqlite writer job panicked; transaction rolled back");
                    }
                }
            })
            .map_err(internal)?;

        let read_opts = opts.clone();
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .with_init(move |c| {
                pragmas(c, &read_opts)?;
                c.pragma_update(None, "query_only", "ON")
            });
        let readers = Pool::builder()
            .max_size(opts.readers.max(1))
            .build(manager)
            .map_err(internal)?;
        Ok(Self {
            writer: Writer { tx },
            readers,
        })
    }

    /// Runs a read on a pooled connection, off the async runtime.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(internal)?;
            f(&conn).map_err(internal)
        })
        .await
        .map_err(internal)?
    }
}
