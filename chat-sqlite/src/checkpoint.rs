//! The checkpointer thread, which folds the WAL back into the database file so that
//! checkpoints never run inside a commit.
//!
//! Checkpoints run on their own thread and connection (`PASSIVE`: never blocks the writer or
//! readers), so the page copies and the fsync a checkpoint needs never land inside some
//! send's commit on the writer thread (which has automatic checkpoints turned off).
//!
//! A passive checkpoint alone cannot bound the WAL under sustained writes: SQLite only starts
//! the WAL over from its beginning when a write begins while *every* frame has been copied
//! back, and a busy writer has always appended more by then — the file grew by gigabytes in a
//! minute of benchmark load, and every append extended it (block allocation, zeroing).
//! So when the WAL is longer than [`REWIND_FRAMES`] the checkpointer raises `rewind`, and the
//! writer, between two batches, runs a `RESTART` checkpoint: what is left to copy is what
//! arrived since the last passive one, and the next commit writes from the start of the file
//! (see `writer`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use crate::error::Result;
use rusqlite::Connection;

use crate::error::internal;

/// How often the checkpointer copies the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// WAL length (in frames of one page, 4 KiB) past which the writer rewinds it (~16 MiB).
pub(crate) const REWIND_FRAMES: i64 = 4096;

/// Starts the checkpointer on its own connection `conn`; it raises `rewind` when the WAL is
/// longer than [`REWIND_FRAMES`]. Dropping the returned sender stops the thread.
pub(crate) fn spawn(conn: Connection, rewind: Arc<AtomicBool>) -> Result<mpsc::Sender<()>> {
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
