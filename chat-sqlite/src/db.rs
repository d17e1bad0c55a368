//! Connections: one writer thread, the reader threads, pragmas, and keeping blocking work off
//! the async runtime (but for [`Options::inline_reads`]).
//!
//! SQLite allows one writer at a time; rather than letting connections fight over the lock
//! (`SQLITE_BUSY`), every write goes to a single dedicated thread that owns the only writing
//! connection and runs writes as `BEGIN IMMEDIATE … COMMIT`, batching concurrent ones
//! (group commit, see [`Options::group_commit`]). A checkpointer thread folds the WAL back
//! into the database file so that checkpoints never run inside a commit, and the writer
//! rewinds the WAL between batches when sustained writes leave it no quiet moment. Reads run
//! on a fixed set of reader threads, each with its own `query_only` connection (see
//! `readers`), or on the calling task with [`Options::inline_reads`]; WAL lets them run
//! concurrently with the writer.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use chat_core::store::{Committed, Write};
use chat_core::{ChatError, Result};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::audiences::Audiences;
use crate::readers::Readers;
use crate::{migrate, writes};

/// How the store opens its database.
#[derive(Debug, Clone)]
pub struct Options {
    /// Reader threads, each with its own connection (default 4). With
    /// [`Options::inline_reads`] as many connections again are kept for the calling tasks.
    pub readers: u32,
    /// `PRAGMA synchronous`: `NORMAL` (default; in WAL mode a power loss may drop the last
    /// transactions but never corrupts) or `FULL` (every commit is durable before it returns).
    pub synchronous_full: bool,
    /// `PRAGMA mmap_size` of every connection, in bytes (default 1 GiB; 0 turns it off):
    /// pages of the database file up to that size are read through a memory map instead of
    /// a `pread` into SQLite's page cache, saving a system call and a 4 KiB copy on every
    /// page that is not cached — most pages of a database larger than the cache. Measured on
    /// the 1M-message benchmark database: page reads' p99 −25 to −35%, 32 senders under
    /// `FULL` +30%. Writes still go through the WAL. The mapped file pages count in the
    /// process's resident memory (shared and reclaimable, like the OS cache they are), and an
    /// I/O error while reading a mapped page is a `SIGBUS` rather than an error code: turn it
    /// off on storage that fails that way (network file systems) or where another process may
    /// shrink the file. Each connection maps the file on its own (address space, not memory:
    /// 6 connections by default, 10 with inline reads), and SQLite caps the size at its
    /// compile-time maximum (2 GiB in the bundled build), so a larger value maps no more.
    pub mmap_size: u64,
    /// `PRAGMA busy_timeout` in milliseconds (readers waiting on a checkpoint, other processes).
    pub busy_timeout_ms: u32,
    /// How much of each account's event log is kept for resuming clients.
    pub retention: Retention,
    /// Group commit: writes that arrive while a transaction is committing are applied
    /// together in the next one, each acknowledged only after that transaction commits, and
    /// each failing alone (a batch that hits a failure midway is redone with savepoints).
    /// Default on: it costs a lone writer nothing and multiplies throughput under
    /// concurrency, most of all with `synchronous_full`.
    pub group_commit: bool,
    /// Most writes in one group-commit transaction (default 64).
    pub max_batch: usize,
    /// Run a read on the calling task when one of its connections is free, instead of handing
    /// it to a reader thread (default off). The hand-off — a queue push, and the caller's
    /// task woken when the read is done — costs about as much as a small read. The price is
    /// that the read blocks the host's async worker for its duration: tens of microseconds
    /// for most reads, about a millisecond for unread counts over hundreds of rooms or a page
    /// of the log. When every inline connection is busy the read goes to the reader threads,
    /// so it never waits for a connection on a worker. Turn it on for a host whose workers
    /// can take that.
    pub inline_reads: bool,
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
            mmap_size: 1 << 30,
            busy_timeout_ms: 5_000,
            retention: Retention::default(),
            group_commit: true,
            max_batch: 64,
            inline_reads: false,
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

/// A write waiting for the writer thread, and where to send its outcome.
struct Job {
    write: Write,
    reply: oneshot::Sender<Result<Committed>>,
}

/// How long the writer keeps polling for the next write before it sleeps.
const WRITER_SPIN: std::time::Duration = std::time::Duration::from_micros(50);

/// The next job, or `None` once every sender is gone. A caller that sends again right after
/// its answer (a closed loop, a burst) finds the writer still awake: waking a sleeping thread
/// costs tens of microseconds on a virtual machine, as much as a small write's SQL. The spin
/// is bounded, so an idle store costs at most [`WRITER_SPIN`] of CPU per batch.
fn next_job(rx: &mpsc::Receiver<Job>) -> Option<Job> {
    let start = std::time::Instant::now();
    loop {
        match rx.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if start.elapsed() >= WRITER_SPIN => {
                return rx.recv().ok()
            }
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
}

/// The writer thread's mailbox.
pub(crate) struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Applies `write` on the writer thread; resolves once its transaction has committed.
    pub(crate) async fn apply(&self, write: Write) -> Result<Committed> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send(Job { write, reply })
            .map_err(|_| ChatError::internal("sqlite writer thread is gone"))?;
        wait.await
            .map_err(|_| ChatError::internal("sqlite writer dropped a job"))?
    }

    /// Starts the writer thread on `conn`; `rewind` is raised by the checkpointer when the
    /// WAL has grown past [`REWIND_FRAMES`].
    fn spawn(mut conn: Connection, opts: &Options, rewind: Arc<AtomicBool>) -> Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let retention = opts.retention;
        let busy_timeout = std::time::Duration::from_millis(u64::from(opts.busy_timeout_ms));
        let max_batch = if opts.group_commit {
            opts.max_batch.max(1)
        } else {
            1
        };
        thread::Builder::new()
            .name("chat-sqlite-writer".into())
            .spawn(move || {
                let mut rewinds = Rewinds::default();
                let mut audiences = Audiences::default();
                while let Some(first) = next_job(&rx) {
                    // Group commit: whatever queued up while the last batch was committing
                    // goes into this one. A lone writer never waits for company.
                    let mut batch = vec![first];
                    while batch.len() < max_batch {
                        match rx.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let writes: Vec<&Write> = batch.iter().map(|j| &j.write).collect();
                    // A panicking write (a bug) must not take every later write down with it:
                    // its transaction rolls back as it unwinds and its callers see an error.
                    let run = std::panic::AssertUnwindSafe(|| {
                        writes::apply_batch(&mut conn, &writes, &retention, &mut audiences)
                    });
                    let results = std::panic::catch_unwind(run).unwrap_or_else(|_| {
                        tracing::error!("sqlite writer panicked; batch rolled back");
                        audiences.forget();
                        writes
                            .iter()
                            .map(|_| Err(ChatError::internal("writer panicked")))
                            .collect()
                    });
                    drop(writes);
                    for (job, result) in batch.into_iter().zip(results) {
                        // The caller may have gone away; the write stands either way.
                        let _ = job.reply.send(result);
                    }
                    if rewind.swap(false, Ordering::Relaxed) {
                        rewinds.attempt(&conn, busy_timeout);
                    }
                }
            })
            .map_err(internal)?;
        Ok(Self { tx })
    }
}

/// Both halves of the database.
pub(crate) struct Db {
    pub(crate) writer: Writer,
    readers: Readers,
    /// Connections for reads on the calling task ([`Options::inline_reads`]).
    inline: Option<Pool<SqliteConnectionManager>>,
    // Dropping it stops the checkpointer thread.
    _checkpointer: mpsc::Sender<()>,
}

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// WAL length (in frames of one page, 4 KiB) past which the writer rewinds it (~16 MiB).
const REWIND_FRAMES: i64 = 4096;

/// What a rewound WAL file is truncated back to (`PRAGMA journal_size_limit`), so that one
/// burst does not leave a giant file behind.
const WAL_FILE_LIMIT: i64 = 32 << 20;

/// Checkpoints run on their own thread and connection (`PASSIVE`: never blocks the writer or
/// readers), so the page copies and the fsync a checkpoint needs never land inside some
/// send's commit on the writer thread (which has automatic checkpoints turned off).
///
/// A passive checkpoint alone cannot bound the WAL under sustained writes: SQLite only starts
/// the WAL over from its beginning when a write begins while *every* frame has been copied
/// back, and a busy writer has always appended more by then — the file grew by gigabytes in a
/// minute of benchmark load, and every append extended it (block allocation, zeroing).
/// So when the WAL is longer than [`REWIND_FRAMES`] the checkpointer raises `rewind`, and the
/// writer, between two batches, runs a `RESTART` checkpoint: what is left to copy is what
/// arrived since the last passive one, and the next commit writes from the start of the file.
fn spawn_checkpointer(
    path: &Path,
    opts: &Options,
    rewind: Arc<AtomicBool>,
) -> Result<mpsc::Sender<()>> {
    let conn = Connection::open(path).map_err(internal)?;
    pragmas(&conn, opts).map_err(internal)?;
    let (stop, stopped) = mpsc::channel::<()>();
    thread::Builder::new()
        .name("chat-sqlite-checkpoint".into())
        .spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                // (busy, frames in the WAL, frames copied back)
                let done =
                    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
                match done {
                    Ok(frames) if frames >= REWIND_FRAMES => rewind.store(true, Ordering::Relaxed),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
                }
            }
        })
        .map_err(internal)?;
    Ok(stop)
}

/// How long a rewind waits for readers on older snapshots: reads take milliseconds, and
/// every queued write waits meanwhile.
const REWIND_WAIT: std::time::Duration = std::time::Duration::from_millis(30);

/// The writer's rewinds of the WAL, and when to try again after one could not finish.
#[derive(Default)]
struct Rewinds {
    not_before: Option<std::time::Instant>,
    backoff: std::time::Duration,
}

impl Rewinds {
    /// Copies the rest of the WAL back and makes the next commit start the WAL over, waiting
    /// at most [`REWIND_WAIT`] for readers still on older snapshots. A reader that holds one
    /// longer (a backup, an ops shell) pins the WAL whatever the writer does: the rewind is
    /// then retried after a backoff (1 s doubling to 30 s) instead of stalling writes again
    /// every 100 ms.
    fn attempt(&mut self, conn: &Connection, busy_timeout: std::time::Duration) {
        let now = std::time::Instant::now();
        if self.not_before.is_some_and(|t| now < t) {
            return;
        }
        let done = conn
            .busy_timeout(REWIND_WAIT)
            .and_then(|()| {
                conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
            })
            .map(|busy| busy == 0);
        if let Err(e) = conn.busy_timeout(busy_timeout) {
            tracing::error!(error = %e, "cannot restore the writer's busy timeout");
        }
        match done {
            Ok(true) => *self = Self::default(),
            Ok(false) | Err(_) => {
                self.backoff = (self.backoff * 2).clamp(
                    std::time::Duration::from_secs(1),
                    std::time::Duration::from_secs(30),
                );
                self.not_before = Some(now + self.backoff);
                tracing::warn!(
                    retry_in = ?self.backoff,
                    error = ?done.err().map(|e| e.to_string()),
                    "WAL rewind could not finish: a reader holds an old snapshot"
                );
            }
        }
    }
}

impl Db {
    /// Opens (creating if needed) the database at `path`, migrates it, and starts the writer.
    pub(crate) fn open(path: &Path, opts: &Options) -> Result<Self> {
        let mut conn = Connection::open(path).map_err(internal)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(internal)?;
        pragmas(&conn, opts).map_err(internal)?;
        migrate::migrate(&mut conn).map_err(ChatError::Internal)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(internal)?;
        conn.pragma_update(None, "journal_size_limit", WAL_FILE_LIMIT)
            .map_err(internal)?;
        let rewind = Arc::new(AtomicBool::new(false));
        let checkpointer = spawn_checkpointer(path, opts, rewind.clone())?;

        let writer = Writer::spawn(conn, opts, rewind)?;

        let readers = (0..opts.readers.max(1))
            .map(|_| reader(path, opts))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(internal)?;
        let readers = Readers::spawn(readers)?;
        let inline = if opts.inline_reads {
            Some(inline_pool(path, opts)?)
        } else {
            None
        };
        Ok(Self {
            writer,
            readers,
            inline,
            _checkpointer: checkpointer,
        })
    }

    /// Runs a read on a reader thread, or on the calling task when [`Options::inline_reads`]
    /// is on and one of its connections is free.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if let Some(conn) = self.inline.as_ref().and_then(Pool::try_get) {
            return f(&conn).map_err(internal);
        }
        self.readers.run(f).await
    }
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
