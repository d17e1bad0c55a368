//! Store benchmarks, storage policies and the physical limit, in one run.
//!
//! `cargo bench -p chat-benches` generates (once, cached under `target/chat-bench-data/`) a
//! deterministic world of 1M messages over 1k rooms and 2 accounts plus a 100k-message twin,
//! copies it, and measures through the facade (`Chat` over `SqliteStore`) side by side with
//! raw `rusqlite` on the same file with the same pragmas. It prints markdown tables (also
//! written to `target/chat-bench-data/results.md`). `CHAT_BENCH_QUICK=1` runs everything on
//! tiny data in seconds (CI). No figure is asserted.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_benches::gen::{self, Layout, Size};
use chat_benches::raw;
use chat_benches::stats::{interleaved, sample, Samples};
use chat_core::store::AuditFilter;
use chat_core::{AccountId, Actor, Chat, Identity, NewMessage, RoomId, UserId};
use chat_sqlite::{Options, Retention, SqliteStore};
use tokio::runtime::Runtime;

struct Budget {
    /// Samples per latency figure.
    samples: usize,
    /// Time bound per latency figure.
    time: Duration,
    /// Duration of each throughput run.
    tput: Duration,
}

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

fn options(synchronous_full: bool, group_commit: bool, readers: u32) -> Options {
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

fn open(path: &Path, opts: &Options) -> Chat {
    Chat::new(Arc::new(SqliteStore::open_with(path, opts).unwrap()))
}

async fn enter(chat: &Chat, account: i64, user: i64) -> Actor {
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

fn text(i: usize) -> NewMessage {
    NewMessage {
        content: format!("benchmark message {i}: cliente pediu reembolso do pedido"),
        ..Default::default()
    }
}

/// `senders` send concurrently (closed loop) for `budget`; one sample per send.
fn send_load(rt: &Runtime, chat: &Chat, senders: &[(Actor, RoomId)], budget: Duration) -> Samples {
    rt.block_on(async {
        let run = |budget: Duration| {
            let deadline = Instant::now() + budget;
            let tasks: Vec<_> = senders
                .iter()
                .cloned()
                .map(|(actor, room)| {
                    let chat = chat.clone();
                    tokio::spawn(async move {
                        let mut s = Samples::new();
                        let mut i = 0;
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            chat.send_message(&actor, room, text(i)).await.unwrap();
                            s.push(t.elapsed());
                            i += 1;
                        }
                        s
                    })
                })
                .collect();
            async move {
                let start = Instant::now();
                let mut all = Samples::new();
                for t in tasks {
                    all.merge(t.await.unwrap());
                }
                all.wall = start.elapsed();
                all
            }
        };
        run(budget / 10).await; // warm-up
        run(budget).await
    })
}

/// `readers` tasks list newest pages of random rooms for `budget`.
fn read_load(
    rt: &Runtime,
    chat: &Chat,
    actor: &Actor,
    rooms: &[RoomId],
    readers: usize,
    budget: Duration,
) -> Samples {
    rt.block_on(async {
        let deadline = Instant::now() + budget;
        let start = Instant::now();
        let tasks: Vec<_> = (0..readers)
            .map(|k| {
                let (chat, actor, rooms) = (chat.clone(), actor.clone(), rooms.to_vec());
                tokio::spawn(async move {
                    let mut s = Samples::new();
                    let mut i = k * 7;
                    while Instant::now() < deadline {
                        let room = rooms[i % rooms.len()];
                        let t = Instant::now();
                        chat.list_messages(&actor, room, None, Some(50))
                            .await
                            .unwrap();
                        s.push(t.elapsed());
                        i += 1;
                    }
                    s
                })
            })
            .collect();
        let mut all = Samples::new();
        for t in tasks {
            all.merge(t.await.unwrap());
        }
        all.wall = start.elapsed();
        all
    })
}

fn ms(x: f64) -> String {
    if x < 1.0 {
        format!("{x:.3}")
    } else {
        format!("{x:.2}")
    }
}
fn lat(s: &Samples) -> String {
    format!("p50 {} / p99 {} ms", ms(s.p50()), ms(s.p99()))
}
fn rate(s: &Samples) -> String {
    format!("{:.0}/s", s.rate())
}
fn ratio(x: f64) -> String {
    format!("{x:.2}×")
}

struct Table {
    out: String,
}

impl Table {
    fn new(title: &str, head: &[&str]) -> Self {
        let mut out = format!("\n### {title}\n\n| {} |\n|", head.join(" | "));
        for _ in head {
            out.push_str("---|");
        }
        out.push('\n');
        Self { out }
    }
    fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "{date} · {cpu} · {cores} cores · SQLite {} · {} build",
        rusqlite::version(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

fn main() {
    let quick = std::env::var_os("CHAT_BENCH_QUICK").is_some();
    let (big, small, b) = if quick {
        (
            Size::quick(3_000),
            Size::quick(1_000),
            Budget {
                samples: 30,
                time: Duration::from_millis(100),
                tput: Duration::from_millis(150),
            },
        )
    } else {
        (
            Size::full(1_000_000),
            Size::full(100_000),
            Budget {
                samples: 5_000,
                time: Duration::from_secs(3),
                tput: Duration::from_secs(5),
            },
        )
    };
    let started = Instant::now();
    let data = target_dir().join("chat-bench-data");
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

    if let Some(n) = std::env::var("CHAT_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        // For `perf record`: CHAT_BENCH_PROFILE=<senders> closed-loop senders for 20 s.
        let chat = open(&work, &options(false, true, 4));
        let senders: Vec<(Actor, RoomId)> = rt.block_on(async {
            let mut v = Vec::new();
            for k in 0..n {
                let spec = &layout.rooms
                    [big.reader_rooms + k % (big.rooms_per_account - big.reader_rooms)];
                v.push((enter(&chat, 1, spec.senders[0]).await, spec.id));
            }
            v
        });
        let s = send_load(&rt, &chat, &senders, Duration::from_secs(20));
        println!("profile: {} {}", rate(&s), lat(&s));
        return;
    }
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load_before = load();
    let mut report = format!(
        "## Store benchmarks\n\n{} · data: {} messages over {} rooms in 2 accounts ({} MiB), \
         a user in {} rooms; twin with {} messages{}\n",
        machine(),
        big.messages,
        layout.rooms.len(),
        db_mb,
        big.reader_rooms,
        small.messages,
        if quick {
            " · QUICK MODE (tiny data, figures meaningless)"
        } else {
            ""
        }
    );

    // ---------------------------------------------------------------- reads (default options)
    eprintln!("reads…");
    let hot = layout.hot_room();
    let reader_rooms: Vec<RoomId> = layout.rooms[..big.reader_rooms]
        .iter()
        .map(|r| r.id)
        .collect();
    let chat = open(&work, &options(false, true, 4));
    let rawc = raw::open(&work, false).unwrap();
    let (backlog, caught_up, admin) = rt.block_on(async {
        (
            enter(&chat, 1, Layout::backlog_reader().0).await,
            enter(&chat, 1, Layout::caught_up_reader().0).await,
            enter(&chat, 1, Layout::admin(1).0).await,
        )
    });
    // 100 pages deep by cursor.
    let (cursor, deep_seq) = rt.block_on(async {
        let mut cursor = None;
        let mut seq = i64::MAX;
        for _ in 0..100 {
            let page = chat
                .list_messages(&caught_up, hot.id, cursor.as_deref(), Some(50))
                .await
                .unwrap();
            if page.next_cursor.is_none() {
                break; // quick data: fewer than 100 pages
            }
            seq = page.items.last().map_or(seq, |m| m.seq);
            cursor = page.next_cursor;
        }
        (cursor, seq)
    });
    // Store and raw figures that are compared as ratios are sampled in turn (a, b, a, b…).
    let [store_newest, raw_newest, store_deep, raw_deep, hop]: [Samples; 5] = interleaved(
        b.samples,
        b.time * 2,
        &mut [
            &mut || {
                rt.block_on(chat.list_messages(&caught_up, hot.id, None, Some(50)))
                    .unwrap();
            },
            &mut || {
                raw::page(&rawc, hot.id.0, 1, i64::MAX, 51).unwrap();
            },
            &mut || {
                let page = rt
                    .block_on(chat.list_messages(&caught_up, hot.id, cursor.as_deref(), Some(50)))
                    .unwrap();
                assert!(!page.items.is_empty());
            },
            &mut || {
                raw::page(&rawc, hot.id.0, 1, deep_seq, 51).unwrap();
            },
            // The floor of every store read: one empty `spawn_blocking` round trip.
            &mut || {
                rt.block_on(async { tokio::task::spawn_blocking(|| ()).await })
                    .unwrap();
            },
        ],
    )
    .try_into()
    .unwrap();
    let backlog_total = rt.block_on(chat.unread(&backlog)).unwrap().total;
    let chat_small = open(&work_small, &options(false, true, 4));
    let raw_small = raw::open(&work_small, false).unwrap();
    let small_user = rt.block_on(enter(&chat_small, 1, Layout::caught_up_reader().0));
    let [store_unread_backlog, store_unread_none, store_unread_small, raw_unread_backlog, raw_unread_none, raw_unread_small]: [Samples; 6] =
        interleaved(
            b.samples,
            b.time * 2,
            &mut [
                &mut || {
                    rt.block_on(chat.unread(&backlog)).unwrap();
                },
                &mut || {
                    rt.block_on(chat.unread(&caught_up)).unwrap();
                },
                &mut || {
                    rt.block_on(chat_small.unread(&small_user)).unwrap();
                },
                &mut || {
                    raw::unread(&rawc, 1, backlog.user().0).unwrap();
                },
                &mut || {
                    raw::unread(&rawc, 1, caught_up.user().0).unwrap();
                },
                &mut || {
                    raw::unread(&raw_small, 1, small_user.user().0).unwrap();
                },
            ],
        )
        .try_into()
        .unwrap();
    drop((chat_small, raw_small));
    let [store_audit, raw_audit]: [Samples; 2] = interleaved(
        b.samples,
        b.time,
        &mut [
            &mut || {
                rt.block_on(chat.list_audit(&admin, &AuditFilter::default(), None, Some(50)))
                    .unwrap();
            },
            &mut || {
                raw::audit(&rawc, 1, 51).unwrap();
            },
        ],
    )
    .try_into()
    .unwrap();
    // Reads under concurrency, by reader pool size.
    drop(chat);
    let mut pool = Table::new(
        "Reader pool size (8 concurrent readers, newest page of 50 in the user's rooms)",
        &[
            "readers",
            "store pages/s",
            "store latency",
            "raw pages/s (1 connection, sequential)",
            "ratio",
        ],
    );
    let raw_seq_page_rate = 1e3 / raw_newest.p50();
    for readers in [1u32, 4, 8] {
        let chat = open(&work, &options(false, true, readers));
        let actor = rt.block_on(enter(&chat, 1, Layout::caught_up_reader().0));
        let s = read_load(&rt, &chat, &actor, &reader_rooms, 8, b.tput);
        pool.row(&[
            readers.to_string(),
            rate(&s),
            lat(&s),
            format!("{raw_seq_page_rate:.0}/s"),
            ratio(s.rate() / raw_seq_page_rate),
        ]);
    }

    // ---------------------------------------------------------------- writes, per policy
    let mut raw_single = Vec::new();
    let mut raw_batched = Vec::new();
    let mut raw_send_like = Vec::new();
    let mut policies = Table::new(
        "Storage policies: send throughput (closed-loop senders, each in its own room)",
        &[
            "synchronous",
            "write path",
            "senders",
            "store sends/s",
            "store latency",
            "raw single-row tx/s",
            "ratio",
        ],
    );
    let mut send_results = Vec::new();
    let mut raw_room = None;
    for full in [false, true] {
        let sync = if full { "FULL" } else { "NORMAL" };
        eprintln!("writes, synchronous={sync}…");
        let mut conn = raw::open(&work, full).unwrap();
        let (room, mut seq) = *raw_room.get_or_insert_with(|| raw::raw_room(&conn).unwrap());
        seq = seq.max(raw::raw_room(&conn).unwrap().1);
        let single = raw::insert(&mut conn, room, &mut seq, 1, b.time, b.samples * 3).unwrap();
        let batched = raw::insert(&mut conn, room, &mut seq, 1000, b.time, 1_000).unwrap();
        // The send's own SQL replayed raw, today's and with each proposed change added.
        let spec = &layout.rooms[big.rooms_per_account - 1];
        let mut ladder = Vec::new();
        let steps: [(&str, raw::SendVariant, Option<i64>, bool, usize); 6] = [
            ("today's SQL", raw::SendVariant::default(), None, false, 1),
            (
                "+ event prune bound by two range lookups, not one OR",
                raw::SendVariant {
                    split_prune: true,
                    ..Default::default()
                },
                None,
                false,
                1,
            ),
            (
                "+ no read-pointer recount when only the own message is new",
                raw::SendVariant {
                    split_prune: true,
                    skip_idle_advance: true,
                },
                None,
                false,
                1,
            ),
            (
                "+ 64 MiB page cache on the writer",
                raw::SendVariant {
                    split_prune: true,
                    skip_idle_advance: true,
                },
                Some(-65_536),
                false,
                1,
            ),
            (
                "+ checkpoints on a background connection",
                raw::SendVariant {
                    split_prune: true,
                    skip_idle_advance: true,
                },
                Some(-65_536),
                true,
                1,
            ),
            (
                "all of the above, 32 sends per transaction (group commit's SQL ceiling)",
                raw::SendVariant {
                    split_prune: true,
                    skip_idle_advance: true,
                },
                Some(-65_536),
                true,
                32,
            ),
        ];
        for (what, v, cache, bg_checkpoint, per_tx) in steps {
            let mut c = raw::open(&work, full).unwrap();
            if let Some(kib) = cache {
                c.pragma_update(None, "cache_size", kib).unwrap();
            }
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let checkpointer = bg_checkpoint.then(|| {
                c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
                let (stop, path) = (stop.clone(), work.clone());
                std::thread::spawn(move || {
                    let ck = raw::open(&path, full).unwrap();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                        let _ = ck.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    }
                })
            });
            let mut s = sample(b.samples * 3, b.time, || {
                raw::send_like(
                    &mut c,
                    1,
                    spec.id.0,
                    spec.senders[0],
                    big.keep_events,
                    per_tx,
                    v,
                )
                .unwrap();
            });
            s.ops *= per_tx as u64;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            if let Some(t) = checkpointer {
                t.join().unwrap();
            }
            ladder.push((what, s));
        }
        let like = ladder[0].1.clone();
        drop(conn);
        for gc in [true, false] {
            let chat = open(&work, &options(full, gc, 4));
            for c in [1usize, 8, 32] {
                let senders: Vec<(Actor, RoomId)> = rt.block_on(async {
                    let mut v = Vec::new();
                    let first = big.reader_rooms.min(big.rooms_per_account - 1);
                    let span = big.rooms_per_account - first;
                    for k in 0..c {
                        let spec = &layout.rooms[first + k % span];
                        let user = spec.senders[(k / span) % spec.senders.len()];
                        v.push((enter(&chat, 1, user).await, spec.id));
                    }
                    v
                });
                let s = send_load(&rt, &chat, &senders, b.tput);
                send_results.push((full, gc, c, s));
            }
        }
        // Raw again after the store runs: fsync cost drifts on a shared VM, so the baseline
        // is the rate over both measurements around the store's.
        let mut conn = raw::open(&work, full).unwrap();
        let after = raw::insert(&mut conn, room, &mut seq, 1, b.time, b.samples * 3).unwrap();
        drop(conn);
        eprintln!(
            "raw single-row tx, {sync}: before {} / after {}",
            rate(&single),
            rate(&after)
        );
        let wall = single.wall + after.wall;
        let mut single = single;
        single.merge(after);
        single.wall = wall;
        for (_, gc, c, s) in send_results.iter().filter(|r| r.0 == full) {
            policies.row(&[
                sync.into(),
                if *gc { "group commit" } else { "tx per write" }.into(),
                c.to_string(),
                rate(s),
                lat(s),
                rate(&single),
                ratio(s.rate() / single.rate()),
            ]);
        }
        raw_single.push(single);
        raw_batched.push(batched);
        raw_send_like.push((like, ladder));
    }
    // Mark read: another member sends one message (untimed), the reader marks the room read.
    let chat = open(&work, &options(false, true, 4));
    let spec = &layout.rooms[big.reader_rooms.min(big.rooms_per_account - 1)];
    let (sender, owner) = rt.block_on(async {
        (
            enter(&chat, 1, spec.senders[0]).await,
            enter(&chat, 1, Layout::admin(1).0).await,
        )
    });
    let store_mark = {
        let mut only = Samples::new();
        let start = Instant::now();
        for k in 0..(b.samples / 3).max(5) {
            if k > 0 && start.elapsed() > b.time {
                break;
            }
            rt.block_on(chat.send_message(&sender, spec.id, text(k)))
                .unwrap();
            let t = Instant::now();
            rt.block_on(chat.mark_read(&owner, spec.id, None)).unwrap();
            only.push(t.elapsed());
        }
        only.wall = start.elapsed();
        only
    };
    drop(chat);

    // The same database after ANALYZE (what `PRAGMA optimize` or an operator may do): with
    // the bundled SQLite's STAT4, statements whose plan depends on a bound range value are
    // re-prepared on every execution.
    eprintln!("ANALYZE…");
    raw::open(&work, false)
        .unwrap()
        .execute_batch("ANALYZE")
        .unwrap();
    let (analyzed_send, analyzed_page) = {
        let chat = open(&work, &options(false, true, 4));
        let spec = &layout.rooms[big.reader_rooms.min(big.rooms_per_account - 1)];
        let actor = rt.block_on(enter(&chat, 1, spec.senders[0]));
        let reader = rt.block_on(enter(&chat, 1, Layout::caught_up_reader().0));
        let send = send_load(&rt, &chat, &[(actor, spec.id)], b.tput);
        let page = sample(b.samples, b.time, || {
            rt.block_on(chat.list_messages(&reader, hot.id, None, Some(50)))
                .unwrap();
        });
        (send, page)
    };

    // ---------------------------------------------------------------- the summary
    let find = |full: bool, gc: bool, c: usize| {
        &send_results
            .iter()
            .find(|(f, g, n, _)| *f == full && *g == gc && *n == c)
            .unwrap()
            .3
    };
    let mut t = Table::new(
        "Figures against the physical limit (same run, same file, same pragmas)",
        &["figure", "store", "raw SQLite", "ratio", "target"],
    );
    for (k, full) in [false, true].into_iter().enumerate() {
        let sync = if full { "FULL" } else { "NORMAL" };
        let one = find(full, true, 1);
        t.row(&[
            format!("send one message, 1 caller, {sync}"),
            format!("{} ({})", rate(one), lat(one)),
            format!("{} ({})", rate(&raw_single[k]), lat(&raw_single[k])),
            ratio(one.rate() / raw_single[k].rate()),
            "≥ 0.6×".into(),
        ]);
        let (like, _) = &raw_send_like[k];
        t.row(&[
            format!("send one message, 1 caller, {sync}, vs the send's own SQL replayed raw"),
            rate(one),
            format!("{} ({})", rate(like), lat(like)),
            ratio(one.rate() / like.rate()),
            "—".into(),
        ]);
        for c in [8, 32] {
            let s = find(full, true, c);
            t.row(&[
                format!("send, {c} concurrent senders, group commit, {sync}"),
                format!("{} ({})", rate(s), lat(s)),
                format!("{} single-row tx", rate(&raw_single[k])),
                ratio(s.rate() / raw_single[k].rate()),
                if c == 32 { "≥ 2.5×" } else { "—" }.into(),
            ]);
        }
        let s = find(full, true, 32);
        t.row(&[
            format!("send, 32 concurrent, group commit, {sync}, vs batched inserts"),
            rate(s),
            format!("{} rows (1000-row tx)", rate(&raw_batched[k])),
            ratio(s.rate() / raw_batched[k].rate()),
            "—".into(),
        ]);
    }
    t.row(&[
        "newest page of 50".into(),
        lat(&store_newest),
        lat(&raw_newest),
        format!("p99 {}", ratio(store_newest.p99() / raw_newest.p99())),
        "p99 ≤ 2×".into(),
    ]);
    t.row(&[
        "page 100 pages deep, by cursor".into(),
        lat(&store_deep),
        lat(&raw_deep),
        format!("p99 {}", ratio(store_deep.p99() / raw_deep.p99())),
        "p99 ≤ 2×".into(),
    ]);
    t.row(&[
        "(floor) one empty spawn_blocking round trip; a page read makes 2".into(),
        lat(&hop),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    t.row(&[
        format!(
            "unread + mentions, {} rooms, {backlog_total} unread",
            big.reader_rooms
        ),
        lat(&store_unread_backlog),
        lat(&raw_unread_backlog),
        format!(
            "p99 {}",
            ratio(store_unread_backlog.p99() / raw_unread_backlog.p99())
        ),
        "p99 ≤ 1 ms".into(),
    ]);
    t.row(&[
        format!("unread + mentions, {} rooms, 0 unread", big.reader_rooms),
        lat(&store_unread_none),
        lat(&raw_unread_none),
        format!(
            "p99 {}",
            ratio(store_unread_none.p99() / raw_unread_none.p99())
        ),
        "p99 ≤ 1 ms".into(),
    ]);
    t.row(&[
        format!("unread p50: {backlog_total} backlog ÷ none"),
        ratio(store_unread_backlog.p50() / store_unread_none.p50()),
        ratio(raw_unread_backlog.p50() / raw_unread_none.p50()),
        "—".into(),
        "≤ 1.5×".into(),
    ]);
    t.row(&[
        format!(
            "unread p50: {} ÷ {} messages of history",
            big.messages, small.messages
        ),
        ratio(store_unread_none.p50() / store_unread_small.p50()),
        ratio(raw_unread_none.p50() / raw_unread_small.p50()),
        "—".into(),
        "≤ 1.5×".into(),
    ]);
    t.row(&[
        "mark read (1 new message), NORMAL".into(),
        lat(&store_mark),
        format!("{} single-row tx", lat(&raw_single[0])),
        format!("p50 {}", ratio(store_mark.p50() / raw_single[0].p50())),
        "—".into(),
    ]);
    let one = find(false, true, 1);
    t.row(&[
        "(hazard) send, 1 caller, NORMAL, after ANALYZE (STAT4)".into(),
        format!("{} ({})", rate(&analyzed_send), lat(&analyzed_send)),
        format!("{} ({}) without statistics", rate(one), lat(one)),
        ratio(analyzed_send.rate() / one.rate()),
        "—".into(),
    ]);
    t.row(&[
        "(hazard) newest page of 50 after ANALYZE (STAT4)".into(),
        lat(&analyzed_page),
        format!("{} without statistics", lat(&store_newest)),
        format!("p50 {}", ratio(analyzed_page.p50() / store_newest.p50())),
        "—".into(),
    ]);
    t.row(&[
        "audit listing, newest 50".into(),
        lat(&store_audit),
        lat(&raw_audit),
        format!("p99 {}", ratio(store_audit.p99() / raw_audit.p99())),
        "—".into(),
    ]);
    report.push_str(&t.out);
    let mut d = Table::new(
        "Diagnosis: the store's send SQL replayed raw, with each proposed library change added",
        &[
            "synchronous",
            "send SQL",
            "sends/s",
            "latency",
            "vs today's SQL",
            "vs raw single-row tx",
        ],
    );
    for (k, full) in [false, true].into_iter().enumerate() {
        let sync = if full { "FULL" } else { "NORMAL" };
        let (like, ladder) = &raw_send_like[k];
        for (what, s) in ladder {
            d.row(&[
                sync.into(),
                (*what).into(),
                rate(s),
                lat(s),
                ratio(s.rate() / like.rate()),
                ratio(s.rate() / raw_single[k].rate()),
            ]);
        }
    }
    report.push_str(&d.out);
    report.push_str(&policies.out);
    report.push_str(&pool.out);
    let _ = writeln!(
        report,
        "\nTotal run time {:.0}s (data generation included when not cached). \
         Load average before: {}; after: {} (the machine is shared).",
        started.elapsed().as_secs_f64(),
        load_before
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        load()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    println!("{report}");
    let _ = std::fs::write(data.join("results.md"), &report);
}
