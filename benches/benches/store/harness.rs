//! What every phase of the run shares: the budget, the data and its working copies, the
//! runtime, and the few steps each phase repeats (store options, opening the store, entering
//! as a generated user, a message to send).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chat_benches::gen::{self, Layout, Size};
use chat_core::{AccountId, Actor, Chat, Identity, NewMessage, UserId};
use chat_sqlite::{Options, Retention, SqliteStore};
use tokio::runtime::Runtime;

/// How long each figure may take: small in quick mode, enough for stable percentiles in full.
pub struct Budget {
    /// Samples per latency figure.
    pub samples: usize,
    /// Time bound per latency figure.
    pub time: Duration,
    /// Duration of each throughput run.
    pub tput: Duration,
}

impl Budget {
    /// The data sizes (the big world and its small twin) and budget of a run.
    pub fn select(quick: bool) -> (Size, Size, Self) {
        if quick {
            (
                Size::quick(3_000),
                Size::quick(1_000),
                Self {
                    samples: 30,
                    time: Duration::from_millis(100),
                    tput: Duration::from_millis(150),
                },
            )
        } else {
            (
                Size::full(1_000_000),
                Size::full(100_000),
                Self {
                    samples: 5_000,
                    time: Duration::from_secs(3),
                    tput: Duration::from_secs(5),
                },
            )
        }
    }
}

/// One run: what it measures on and with.
pub struct Run {
    /// Tiny data, figures meaningless (CI).
    pub quick: bool,
    /// The big world.
    pub big: Size,
    /// Its twin with less history (does a figure grow with history?).
    pub small: Size,
    /// Time and samples per figure.
    pub b: Budget,
    /// Where the cached data and `results.md` live.
    pub data: PathBuf,
    /// Working copy of the big world (benchmarks write to it).
    pub work: PathBuf,
    /// Working copy of the twin.
    pub work_small: PathBuf,
    /// Size of the big working copy, MiB.
    pub db_mb: u64,
    /// Who is who in the big world.
    pub layout: Layout,
    /// The runtime every store call is driven on.
    pub rt: Runtime,
}

impl Run {
    /// Generates (or finds cached) data, makes fresh working copies and starts the runtime.
    pub fn prepare(quick: bool, big: Size, small: Size, b: Budget) -> Self {
        // Quick runs (CI) get their own directory: they must never replace a full run's
        // report or delete its working copies from under it.
        let data = target_dir().join(if quick {
            "chat-bench-data/quick"
        } else {
            "chat-bench-data"
        });
        let big_db = gen::ensure(big, &data).unwrap();
        let small_db = gen::ensure(small, &data).unwrap();
        let work = work_copy(&big_db, "work-big.db");
        let work_small = work_copy(&small_db, "work-small.db");
        let db_mb = std::fs::metadata(&work).map_or(0, |m| m.len()) / (1 << 20);
        let layout = Layout::new(big);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            quick,
            big,
            small,
            b,
            data,
            work,
            work_small,
            db_mb,
            layout,
            rt,
        }
    }
}

/// Cargo's target directory: the data is cached there, out of the source tree.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A fresh working copy of a cached database (benchmarks write to it).
fn work_copy(src: &Path, name: &str) -> PathBuf {
    let dst = src.with_file_name(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", dst.display()));
    }
    std::fs::copy(src, &dst).unwrap();
    dst
}

/// The store's options for a policy under test.
pub fn options(synchronous_full: bool, group_commit: bool, readers: u32) -> Options {
    Options {
        readers,
        synchronous_full,
        group_commit,
        // The generated history is dated in the past: age pruning would delete the whole
        // generated log in the first measured send. Count pruning (the steady state) stays.
        retention: Retention {
            max_events: 100_000,
            max_age: Duration::from_secs(10 * 365 * 24 * 3600),
        },
        ..Options::default()
    }
}

/// The facade over a store on `path`.
pub fn open(path: &Path, opts: &Options) -> Chat {
    open_store(path, opts).0
}

/// The facade and the store under it (for figures of the store alone).
pub fn open_store(path: &Path, opts: &Options) -> (Chat, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open_with(path, opts).unwrap());
    (Chat::new(store.clone()), store)
}

/// Enters as a generated user, with the account role the generator gave them.
pub async fn enter(chat: &Chat, account: i64, user: i64) -> Actor {
    let n = user - (account - 1) * 1000;
    chat.enter(Identity {
        account: AccountId(account),
        user: UserId(user),
        role: Layout::role_of(n),
        name: None,
    })
    .await
    .unwrap()
}

/// The `i`-th benchmark message: a typical short support-chat line.
pub fn text(i: usize) -> NewMessage {
    NewMessage {
        content: format!("benchmark message {i}: cliente pediu reembolso do pedido"),
        ..Default::default()
    }
}
