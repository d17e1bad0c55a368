//! `GET /stats` and what keeping statistics costs sends, in one run.
//!
//! `cargo bench -p chat-benches --bench stats` generates (every run: the data must be dated
//! in the last 30 days) one account with 1M messages spread evenly over the 30 days of `range=month` (from 00:00 UTC 29 days ago to now) in
//! 1,000 team rooms of 10 members among 500 users, then measures through the facade (`Chat`
//! over `SqliteStore`, release build):
//!
//! * `Chat::stats` for `month`, `day` and `hour`: the first request (nothing cached: every
//!   hour of the month read from the messages index), then p50/p99 of the following ones
//!   (ended buckets cached, the last minutes read);
//! * the first request again on a fresh `Chat` each time (a restarted process);
//! * sends, interleaved one by one on two copies of the database: as shipped (nothing kept
//!   for statistics, the same send as before this feature), and with the rejected
//!   alternative — rollup rows upserted in the send's transaction (by hour and by day, per
//!   sender, as distinct senders need), emulated with an `AFTER INSERT` trigger doing the two
//!   upserts — so the ratio is measured under the same machine load.
//!
//! `CHAT_BENCH_QUICK=1` runs it on 3,000 messages in seconds (CI; figures meaningless). No
//! figure is asserted; results go to stdout and `target/chat-bench-data/stats/results.md`.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_benches::stats::{interleaved, sample, Samples};
use chat_core::ids::{RoomId, Timestamp};
use chat_core::stats::StatsRange;
use chat_core::{AccountId, AccountRole, Actor, Chat, Identity, NewMessage, UserId};
use chat_sqlite::SqliteStore;
use rusqlite::params;

const DAY_MS: i64 = 86_400_000;
const MEMBERS: usize = 10;

struct Size {
    messages: usize,
    rooms: usize,
    users: i64,
    samples: usize,
    budget: Duration,
}

fn main() {
    let quick = std::env::var_os("CHAT_BENCH_QUICK").is_some();
    let size = if quick {
        Size {
            messages: 3_000,
            rooms: 20,
            users: 40,
            samples: 20,
            budget: Duration::from_millis(200),
        }
    } else {
        Size {
            messages: 1_000_000,
            rooms: 1_000,
            users: 500,
            samples: 1_000,
            budget: Duration::from_secs(20),
        }
    };
    let dir = target_dir().join(if quick {
        "chat-bench-data/stats-quick"
    } else {
        "chat-bench-data/stats"
    });
    std::fs::create_dir_all(&dir).unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let db = dir.join("stats.db");
    let t = Instant::now();
    let rooms = generate(&db, &size);
    let generated = t.elapsed();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut out = format!(
        "## /stats and sends ({} messages in one account over the month's 30 days, {} rooms, {} users)\n\n\
         Generated in {:.1} s. Load average at start: {}\n\n",
        size.messages,
        size.rooms,
        size.users,
        generated.as_secs_f64(),
        load.trim()
    );

    // Statistics through the facade.
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let chat = Chat::new(store.clone());
    let admin = rt.block_on(enter(&chat, 1, AccountRole::Admin));
    let t = Instant::now();
    let month = rt.block_on(chat.stats(&admin, StatsRange::Month)).unwrap();
    let cold = t.elapsed();
    let counted: u64 = month.series.iter().map(|p| p.messages).sum();
    assert_eq!(
        counted, size.messages as u64,
        "every generated message counted"
    );
    out.push_str("| request | p50 ms | p99 ms | samples |\n|---|---|---|---|\n");
    out.push_str(&format!(
        "| month, first (nothing cached) | {:.2} | - | 1 |\n",
        ms(cold)
    ));
    for range in [StatsRange::Month, StatsRange::Day, StatsRange::Hour] {
        let s = sample(size.samples, size.budget, || {
            rt.block_on(chat.stats(&admin, range)).unwrap();
        });
        out.push_str(&row(&format!("{range}, cached ended buckets"), &s));
    }
    let restarts = sample(5.min(size.samples), size.budget, || {
        let fresh = Chat::new(store.clone());
        rt.block_on(fresh.stats(&admin, StatsRange::Month)).unwrap();
    });
    out.push_str(&row("month, fresh process each time", &restarts));
    drop(chat);
    drop(store);

    // Sends: as shipped vs. rollups kept in the send's transaction.
    let plain = copy(&db, "plain.db");
    let rollup = copy(&db, "rollup.db");
    add_rollup_triggers(&rollup);
    let a = Chat::new(Arc::new(SqliteStore::open(&plain).unwrap()));
    let b = Chat::new(Arc::new(SqliteStore::open(&rollup).unwrap()));
    let (sa, sb) = rt.block_on(async {
        (
            enter(&a, 2, AccountRole::Agent).await,
            enter(&b, 2, AccountRole::Agent).await,
        )
    });
    // User 2 is a member of every room with an even index (see `generate`).
    let room = rooms[0];
    let mut i = 0;
    let mut send_a = || {
        i += 1;
        rt.block_on(a.send_message(&sa, room, text(i))).unwrap();
    };
    let mut j = 0;
    let mut send_b = || {
        j += 1;
        rt.block_on(b.send_message(&sb, room, text(j))).unwrap();
    };
    let sends = interleaved(
        size.samples * 3,
        size.budget,
        &mut [&mut send_a, &mut send_b],
    );
    out.push_str(
        "\n| send (one at a time, interleaved) | p50 ms | p99 ms | samples |\n|---|---|---|---|\n",
    );
    out.push_str(&row("as shipped: nothing kept for statistics", &sends[0]));
    out.push_str(&row(
        "rejected: hour + day rollup upserts in the transaction",
        &sends[1],
    ));
    out.push_str(&format!(
        "\nRollups cost sends {:+.1}% at p50 and {:+.1}% in mean.\n",
        (sends[1].p50() / sends[0].p50() - 1.0) * 100.0,
        (mean(&sends[1]) / mean(&sends[0]) - 1.0) * 100.0,
    ));
    let end = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    out.push_str(&format!("\nLoad average at end: {}\n", end.trim()));
    println!("{out}");
    let _ = std::fs::write(dir.join("results.md"), &out);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean(s: &Samples) -> f64 {
    s.mean_ms()
}

fn row(name: &str, s: &Samples) -> String {
    format!(
        "| {name} | {:.2} | {:.2} | {} |\n",
        s.p50(),
        s.p99(),
        s.len()
    )
}

fn text(i: usize) -> NewMessage {
    NewMessage {
        content: format!("benchmark message {i}: cliente pediu reembolso do pedido"),
        ..Default::default()
    }
}

async fn enter(chat: &Chat, user: i64, role: AccountRole) -> Actor {
    chat.enter(Identity {
        account: AccountId(1),
        user: UserId(user),
        role,
        name: None,
    })
    .await
    .unwrap()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn copy(src: &Path, name: &str) -> PathBuf {
    let dst = src.with_file_name(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", dst.display()));
    }
    std::fs::copy(src, &dst).unwrap();
    dst
}

/// The alternative design, emulated: per-(hour, sender) and per-(day, sender) counters
/// upserted by the send's own transaction (a trigger runs inside it, as statements issued by
/// the writer would).
fn add_rollup_triggers(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "CREATE TABLE rollup_hour (account_id INTEGER NOT NULL, bucket INTEGER NOT NULL, sender_id INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (account_id, bucket, sender_id)) WITHOUT ROWID;
         CREATE TABLE rollup_day (account_id INTEGER NOT NULL, bucket INTEGER NOT NULL, sender_id INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (account_id, bucket, sender_id)) WITHOUT ROWID;
         CREATE TRIGGER rollup_on_send AFTER INSERT ON internal_chat_messages BEGIN
           INSERT INTO rollup_hour VALUES (NEW.account_id, NEW.created_at / 3600000, NEW.sender_id, 1)
             ON CONFLICT (account_id, bucket, sender_id) DO UPDATE SET n = n + 1;
           INSERT INTO rollup_day VALUES (NEW.account_id, NEW.created_at / 86400000, NEW.sender_id, 1)
             ON CONFLICT (account_id, bucket, sender_id) DO UPDATE SET n = n + 1;
         END;",
    )
    .unwrap();
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Writes the account: users (1 admin, the rest agents), rooms whose members are user 1,
/// user 2 (even rooms) and random others, and messages evenly spread over the last 30 days,
/// each from a member of its room. Returns the rooms' ids.
fn generate(db: &Path, size: &Size) -> Vec<RoomId> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    drop(SqliteStore::open(db).unwrap());
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    let now = Timestamp::now().0;
    // The month's buckets: from the start of the day 29 days ago up to now.
    let start = StatsRange::Month.from(Timestamp(now)).0;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tx = conn.transaction().unwrap();
    for u in 1..=size.users {
        let role = if u == 1 { "admin" } else { "agent" };
        tx.execute(
            "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) VALUES (1, ?1, ?2, ?3, 1, ?4)",
            params![u, format!("User {u}"), role, now - rng.below(2 * DAY_MS as u64) as i64],
        )
        .unwrap();
    }
    let mut rooms = Vec::new();
    let mut members: Vec<Vec<i64>> = Vec::new();
    for r in 0..size.rooms {
        let id = RoomId::new();
        let created = start - DAY_MS + r as i64;
        tx.execute(
            "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, last_seq) VALUES (?1, 1, 'room', ?2, 1, ?3, ?3, 0)",
            params![id.0, format!("Room {r}"), created],
        )
        .unwrap();
        let mut m = vec![1, if r % 2 == 0 { 2 } else { 3 }];
        while m.len() < MEMBERS.min(size.users as usize) {
            let u = 1 + rng.below(size.users as u64) as i64;
            if !m.contains(&u) {
                m.push(u);
            }
        }
        for (k, u) in m.iter().enumerate() {
            let role = if k == 0 { "owner" } else { "member" };
            tx.execute(
                "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_seq, joined_at) VALUES (?1, ?2, 1, ?3, 0, ?4)",
                params![id.0, u, role, created],
            )
            .unwrap();
        }
        rooms.push(id);
        members.push(m);
    }
    let mut seqs = vec![0i64; size.rooms];
    let mut last_at = vec![0i64; size.rooms];
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, seq, created_at) \
                 VALUES (?1, ?2, 1, ?3, 'generated message', 'text', '[]', ?4, ?5)",
            )
            .unwrap();
        let step = (now - 1 - start) as f64 / size.messages as f64;
        for i in 0..size.messages {
            let r = rng.below(size.rooms as u64) as usize;
            let sender = members[r][rng.below(members[r].len() as u64) as usize];
            let at = start + (i as f64 * step) as i64;
            seqs[r] += 1;
            last_at[r] = at;
            let id = uuid::Uuid::now_v7();
            insert
                .execute(params![id, rooms[r].0, sender, seqs[r], at])
                .unwrap();
        }
    }
    for (r, id) in rooms.iter().enumerate() {
        tx.execute(
            "UPDATE internal_chat_rooms SET last_seq = ?1, last_message_at = ?2 WHERE id = ?3",
            params![seqs[r], (seqs[r] > 0).then_some(last_at[r]), id.0],
        )
        .unwrap();
        // Every member has read the room: sends then touch only the sender's row.
        tx.execute(
            "UPDATE internal_chat_members SET last_read_seq = ?1 WHERE room_id = ?2",
            params![seqs[r], id.0],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
    rooms
}
