//! The writer thread: the write queue, group commit, and the WAL rewinds between batches.
//!
//! SQLite allows one writer at a time; rather than letting connections fight over the lock
//! (`SQLITE_BUSY`), every write goes to a single dedicated thread that owns the only writing
//! connection and runs writes as `BEGIN IMMEDIATE … COMMIT`, batching concurrent ones
//! (group commit, see [`Options::group_commit`]). The checkpointer thread folds the WAL back
//! into the database file (see `checkpoint`), and the writer rewinds the WAL between batches
//! when sustained writes leave it no quiet moment.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Instant;

use crate::error::Result;
use chat_core::store::{Committed, StorageFault, StoreError, Write};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::audiences::Audiences;
use crate::error::{internal, refine};
use crate::options::Options;
use crate::writes;

/// Work for the writer thread, and where to send its outcome.
// Nearly every job is a write: boxing it to shrink the rare probe would cost every write an
// allocation.
#[allow(clippy::large_enum_variant)]
enum Job {
    /// A write.
    Write {
        write: Write,
        reply: oneshot::Sender<Result<Committed>>,
    },
    /// A write of nothing (see [`probe`]) to learn whether writes work again.
    Probe(oneshot::Sender<Result<()>>),
}

/// The storage fault the last write ran into and when, until a write commits again: what
/// `/healthz` reports while reads still work. Shared by the writer thread and its mailbox.
#[derive(Debug, Default)]
pub(crate) struct Fault(std::sync::Mutex<Option<(StorageFault, Instant)>>);

/// How long after a write hit a storage fault `health` reports it without probing: a probe
/// of one page may pass where a real write just failed (the WAL reuses its own space on a
/// full disk), and a load balancer polling `/healthz` must not cause a write per poll.
const PROBE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

impl Fault {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(StorageFault, Instant)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self) -> Option<(StorageFault, Instant)> {
        *self.lock()
    }

    /// Records the outcome of a batch: a commit clears the fault, a storage fault sets it.
    fn record<T>(&self, results: &[Result<T>]) {
        if results.iter().any(Result::is_ok) {
            *self.lock() = None;
        } else if let Some(fault) = results.iter().find_map(|r| match r {
            Err(StoreError::Storage { fault, .. }) => Some(*fault),
            _ => None,
        }) {
            *self.lock() = Some((fault, Instant::now()));
        }
    }
}

/// A real write that changes nothing: `application_id` rewritten with its own value dirties
/// the database header, so the commit appends a frame to the WAL like any write — and fails
/// as one would on a full or read-only file system.
fn probe(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let id: i64 = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    tx.pragma_update(None, "application_id", id)?;
    tx.commit()
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
    tx: mpsc::SyncSender<Job>,
    fault: Arc<Fault>,
}

impl Writer {
    fn send(&self, job: Job) -> Result<()> {
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => StoreError::Overloaded("sqlite write"),
            mpsc::TrySendError::Disconnected(_) => {
                crate::error::internal("sqlite writer thread is gone")
            }
        })
    }

    /// Applies `write` on the writer thread; resolves once its transaction has committed.
    pub(crate) async fn apply(&self, write: Write) -> Result<Committed> {
        let (reply, wait) = oneshot::channel();
        self.send(Job::Write { write, reply })?;
        wait.await
            .map_err(|_| crate::error::internal("sqlite writer dropped a job"))?
    }

    /// `Ok` unless the last write ran into a storage fault. That fault is reported as is for
    /// [`PROBE_AFTER`]; after it, a probe write tells whether writes work again (freed space,
    /// say), so recovery needs no write from a client.
    pub(crate) async fn health(&self) -> Result<()> {
        match self.fault.get() {
            None => return Ok(()),
            Some((fault, at)) if at.elapsed() < PROBE_AFTER => {
                return Err(StoreError::Storage {
                    fault,
                    source: chat_core::store::BackendError {
                        store: "sqlite",
                        source: format!("a write failed {} ms ago", at.elapsed().as_millis())
                            .into(),
                    },
                })
            }
            Some(_) => {}
        }
        let (reply, wait) = oneshot::channel();
        self.send(Job::Probe(reply))?;
        wait.await
            .map_err(|_| crate::error::internal("sqlite writer dropped a probe"))?
    }

    /// Starts the writer thread on `conn`; `rewind` is raised by the checkpointer when the
    /// WAL has grown past [`REWIND_FRAMES`](crate::checkpoint::REWIND_FRAMES).
    pub(crate) fn spawn(
        mut conn: Connection,
        path: &Path,
        opts: &Options,
        rewind: Arc<AtomicBool>,
    ) -> Result<Self> {
        let fault = Arc::new(Fault::default());
        let faults = fault.clone();
        let path: PathBuf = path.to_path_buf();
        let (tx, rx) = mpsc::sync_channel::<Job>(opts.write_queue.max(1));
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
                let mut probes = Vec::new();
                while let Some(first) = next_job(&rx) {
                    // Group commit: whatever queued up while the last batch was committing
                    // goes into this one. A lone writer never waits for company.
                    let mut batch = Vec::new();
                    let mut job = Some(first);
                    while let Some(j) = job.take() {
                        match j {
                            Job::Write { write, reply } => batch.push((write, reply)),
                            Job::Probe(reply) => probes.push(reply),
                        }
                        if batch.len() < max_batch {
                            job = rx.try_recv().ok();
                        }
                    }
                    for reply in probes.drain(..) {
                        let result = probe(&mut conn).map_err(|e| refine(internal(e), &path));
                        faults.record(std::slice::from_ref(&result));
                        let _ = reply.send(result);
                    }
                    if batch.is_empty() {
                        continue;
                    }
                    let writes: Vec<&Write> = batch.iter().map(|(w, _)| w).collect();
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
                            .map(|_| Err(crate::error::internal("writer panicked")))
                            .collect()
                    });
                    drop(writes);
                    // A failed write rolled back (its transaction, or the batch's, was dropped
                    // uncommitted): the connection is ready for the next batch, which retries
                    // the storage; a storage fault is remembered for `health` until then.
                    let results: Vec<_> = results
                        .into_iter()
                        .map(|r| r.map_err(|e| refine(e, &path)))
                        .collect();
                    faults.record(&results);
                    for ((_, reply), result) in batch.into_iter().zip(results) {
                        // The caller may have gone away; the write stands either way.
                        let _ = reply.send(result);
                    }
                    if rewind.swap(false, Ordering::Relaxed) {
                        rewinds.attempt(&conn, busy_timeout);
                    }
                }
            })
            .map_err(internal)?;
        Ok(Self { tx, fault })
    }
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
