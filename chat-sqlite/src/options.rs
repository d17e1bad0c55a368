//! How the store opens its database: [`Options`] and the event log's [`Retention`].

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
    /// page that is not cached — most pages of a database larger than the cache. Writes still
    /// go through the WAL. The mapped file pages count in the process's resident memory
    /// (shared and reclaimable, like the OS cache they are), and an I/O error while reading a
    /// mapped page is a `SIGBUS` rather than an error code: turn it off on storage that fails
    /// that way (network file systems) or where another process may shrink the file. Each
    /// connection maps the file on its own (address space, not memory: 6 connections by
    /// default, 10 with inline reads), and SQLite caps the size at its compile-time maximum
    /// (2 GiB in the bundled build), so a larger value maps no more.
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
    /// Most reads waiting for a reader thread (default 4,096). Past it a read is refused at
    /// once with [`StoreError::Overloaded`](chat_core::store::StoreError::Overloaded) instead
    /// of queueing: a flood costs bounded memory and gets a quick "retry later" rather than
    /// answers too late to matter. The default drains in tens of milliseconds on the default
    /// four readers and is never reached by 1,000 WebSockets connecting at once.
    pub read_queue: usize,
    /// Most writes waiting for the writer thread (default 4,096), refused past it like reads;
    /// a refused write wrote nothing. About two group-commit batches of 64 drain per
    /// millisecond here, so a full queue is tens of milliseconds of work.
    pub write_queue: usize,
    /// Run `PRAGMA quick_check` when the database is opened (default off), so that a damaged
    /// file is refused at start with a clear error rather than failing requests one by one.
    /// It reads the whole file: about 10 s for a 450 MiB database (see
    /// `docs/robustness.md`), which is why it is not the default. A file shorter than its
    /// header says and a file that is not a chat database are refused on every open anyway.
    pub check_on_open: bool,
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
            read_queue: 4096,
            write_queue: 4096,
            check_on_open: false,
        }
    }
}
