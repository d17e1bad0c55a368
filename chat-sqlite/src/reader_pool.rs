//! The reader threads: a fixed set of threads, each owning one `query_only` connection, that
//! take reads from one shared queue; and the connections for reads on the calling task
//! ([`Options::inline_reads`]). WAL lets reads run concurrently with the writer.
//!
//! Why not tokio's blocking pool: `spawn_blocking` starts (or wakes) a thread per concurrent
//! read, and with more reads in flight than connections those threads then queue again inside
//! the connection pool — 64 concurrent `GET`s kept ~64 threads alive for 4 connections, each
//! read paying two thread wake-ups and the scheduler's churn between them. Here the threads
//! *are* the connections: a read is one queue push, taken by whichever thread is free, and
//! one wake of the caller's task when it is done. (A thread that polled 50 µs for the next
//! read before sleeping shortened sequential tails in the bench but gave the server nothing
//! on two cores: left out, see `docs/performance.md`.) A read whose caller has gone away (a
//! dropped request) is skipped rather than run for nobody.
//!
//! [`Options::inline_reads`]: crate::Options::inline_reads

use std::panic::AssertUnwindSafe;
use std::thread;

use crate::error::Result;
use chat_core::store::StoreError;
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::internal;

/// A read waiting for a thread: it runs the caller's closure and sends back the outcome.
type Job = Box<dyn FnOnce(&Connection) + Send>;

/// The reader threads' mailbox, and the connections for reads on the calling task; dropping
/// it ends the threads once the queue is drained.
pub(crate) struct ReaderPool {
    tx: crossbeam_channel::Sender<Job>,
    /// Connections for reads on the calling task
    /// ([`Options::inline_reads`](crate::Options::inline_reads)).
    inline: Option<Pool<SqliteConnectionManager>>,
}

impl ReaderPool {
    /// Starts one thread per connection of `conns`; `inline`, if any, serves reads on the
    /// calling task.
    pub(crate) fn spawn(
        conns: Vec<Connection>,
        inline: Option<Pool<SqliteConnectionManager>>,
        queue: usize,
    ) -> Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded::<Job>(queue.max(1));
        for (i, conn) in conns.into_iter().enumerate() {
            let rx = rx.clone();
            thread::Builder::new()
                .name(format!("chat-sqlite-reader-{i}"))
                .spawn(move || {
                    for job in rx {
                        // A panicking read (a bug) drops its reply, so its caller sees an
                        // error; the thread and its connection serve the next read.
                        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&conn))).is_err() {
                            tracing::error!("sqlite reader panicked");
                        }
                        // A read left inside a transaction (a failed rollback on drop) would
                        // pin its snapshot: later reads stale, the WAL never rewound.
                        if !conn.is_autocommit() {
                            tracing::error!("sqlite reader left a transaction open; rolling back");
                            let _ = conn.execute_batch("ROLLBACK");
                        }
                    }
                })
                .map_err(internal)?;
        }
        Ok(Self { tx, inline })
    }

    /// Runs a read on a reader thread, or on the calling task when
    /// [`Options::inline_reads`](crate::Options::inline_reads) is on and one of its
    /// connections is free.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        if let Some(conn) = self.inline.as_ref().and_then(Pool::try_get) {
            return f(&conn).map_err(internal);
        }
        self.run(f).await
    }

    /// Runs `f` on a reader thread; resolves with its outcome.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, wait) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            if reply.is_closed() {
                return; // nobody waits for it any more
            }
            // The caller may still go away meanwhile; nothing to undo.
            let _ = reply.send(f(conn).map_err(internal));
        });
        self.tx.try_send(job).map_err(|e| match e {
            crossbeam_channel::TrySendError::Full(_) => StoreError::Overloaded("sqlite read"),
            crossbeam_channel::TrySendError::Disconnected(_) => {
                crate::error::internal("sqlite reader threads are gone")
            }
        })?;
        wait.await
            .map_err(|_| crate::error::internal("sqlite reader dropped a read"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readers(n: usize) -> ReaderPool {
        let conns = (0..n)
            .map(|_| Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        ReaderPool::spawn(conns, None, 64).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn reads_run_and_answer() {
        let r = readers(2);
        let v: i64 = r
            .run(|c| c.query_row("SELECT 40 + 2", [], |row| row.get(0)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, 42);
        let err = r
            .run(|c| c.query_row("SELECT * FROM nowhere", [], |row| row.get::<_, i64>(0)))
            .await;
        assert!(
            matches!(err, Err(chat_core::store::StoreError::Backend(_))),
            "{err:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_past_the_queue_are_refused_at_once() {
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let r = std::sync::Arc::new(
            ReaderPool::spawn(vec![conn], None, 2).unwrap_or_else(|e| panic!("{e}")),
        );
        // The one reader is held until `release`; two more reads fill the queue.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = std::sync::Mutex::new(held);
        let first = tokio::spawn({
            let r = std::sync::Arc::clone(&r);
            async move {
                r.run(move |_| {
                    let _ = held.lock().map(|h| h.recv());
                    Ok(1)
                })
                .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let r = std::sync::Arc::clone(&r);
                tokio::spawn(async move { r.run(|_| Ok(2)).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let refused = r.run(|_| Ok(3)).await;
        assert!(
            matches!(refused, Err(StoreError::Overloaded(_))),
            "{refused:?}"
        );
        let _ = release.send(());
        assert_eq!(first.await.ok().and_then(Result::ok), Some(1));
        for q in queued {
            assert_eq!(q.await.ok().and_then(Result::ok), Some(2));
        }
        assert_eq!(r.run(|_| Ok(4)).await.ok(), Some(4), "served again");
    }

    #[tokio::test]
    async fn a_panicking_read_fails_alone_and_the_thread_lives_on() {
        let r = readers(1);
        let bad = r
            .run(|_| -> rusqlite::Result<i64> { panic!("a bug in a read") })
            .await;
        assert!(bad.is_err());
        // One thread only: it must still be there to answer.
        let v: i64 = r
            .run(|c| c.query_row("SELECT 7", [], |row| row.get(0)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v, 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn more_reads_in_flight_than_threads_all_complete() {
        let r = std::sync::Arc::new(readers(2));
        let tasks: Vec<_> = (0..64_i64)
            .map(|i| {
                let r = r.clone();
                tokio::spawn(async move {
                    r.run(move |c| c.query_row("SELECT ?1 * 2", [i], |row| row.get::<_, i64>(0)))
                        .await
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let v = t.await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v.unwrap_or_else(|e| panic!("{e}")), i as i64 * 2);
        }
    }
}
