//! The writer never checkpoints; the checkpointer thread keeps the WAL folded back into the
//! database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::{
    AccountId, AccountRole, Actor, Chat, Identity, NewMessage, NewRoom, RoomId, RoomType, UserId,
};
use chat_sqlite::SqliteStore;

async fn setup() -> (Chat, std::path::PathBuf, Actor, RoomId) {
    let store = SqliteStore::open_temporary().unwrap();
    let path = store.path().with_extension("db-wal");
    let chat = Chat::new(Arc::new(store));
    let id = Identity {
        account: AccountId(1),
        user: UserId(1),
        role: AccountRole::Supervisor,
        name: None,
    };
    let sup = chat.enter(id).await.unwrap();
    let room = NewRoom {
        kind: RoomType::Room,
        name: Some("r".into()),
        member_ids: vec![],
    };
    let (room, _) = chat.create_room(&sup, room).await.unwrap();
    (chat, path, sup, room.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background() {
    let (chat, wal_path, sup, room) = setup().await;
    // Each commit appends every page it touched to the WAL (~60 KiB a send here). Without
    // checkpoints 1,000 sends leave a WAL of ~60 MiB; with them the WAL is rewound after each
    // quiet moment and stays the size of one batch of 50 (~3 MiB).
    for batch in 0..20 {
        for i in 0..50 {
            let m = NewMessage {
                content: format!("batch {batch} message {i}"),
                ..Default::default()
            };
            chat.send_message(&sup, room, m).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let wal = std::fs::metadata(&wal_path).unwrap().len();
    assert!(
        wal < 16 << 20,
        "WAL is {wal} bytes: checkpoints are not keeping up"
    );
}

/// Under sustained writes there is no quiet moment: a passive checkpoint never finds every
/// frame copied back when a write begins, and the WAL would grow without bound (it did: by
/// gigabytes in a minute of benchmark load). The writer rewinds it once it passes ~16 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_under_sustained_writes() {
    let (chat, wal_path, sup, room) = setup().await;
    let senders: Vec<_> = (0..8)
        .map(|s| {
            let (chat, sup) = (chat.clone(), sup.clone());
            tokio::spawn(async move {
                for i in 0..500 {
                    let m = NewMessage {
                        content: format!("sender {s} message {i}"),
                        ..Default::default()
                    };
                    chat.send_message(&sup, room, m).await.unwrap();
                }
            })
        })
        .collect();
    // The WAL's size sampled throughout, not only at the end.
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (wal_path, peak) = (wal_path.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                let len = std::fs::metadata(&wal_path).map_or(0, |m| m.len());
                peak.fetch_max(len, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    for s in senders {
        s.await.unwrap();
    }
    sampler.abort();
    let peak = peak
        .load(Ordering::Relaxed)
        .max(std::fs::metadata(&wal_path).unwrap().len());
    // 4,000 sends write well over 100 MiB of WAL frames in all.
    assert!(
        peak < 48 << 20,
        "WAL reached {peak} bytes under sustained writes: it is never rewound"
    );
}

/// A reader that holds an old snapshot (a backup tool, an ops shell) pins the WAL: no rewind
/// can finish while it reads. The writer must not stall writes waiting for it (it did: 5 s,
/// the busy timeout, every time it asked again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reader_does_not_stall_writes() {
    let (chat, wal_path, sup, room) = setup().await;
    let db_path = wal_path.with_extension("db");
    let (held, hold) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let c = rusqlite::Connection::open(&db_path).unwrap();
        c.execute_batch("BEGIN").unwrap();
        let _: i64 = c
            .query_row("SELECT COUNT(*) FROM internal_chat_rooms", [], |r| r.get(0))
            .unwrap();
        held.send(()).unwrap();
        std::thread::sleep(Duration::from_secs(6));
        c.execute_batch("COMMIT").unwrap();
    });
    hold.recv().unwrap();
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    let mut i = 0;
    // Big messages: the WAL passes the rewind threshold within the first second.
    while start.elapsed() < Duration::from_secs(4) {
        let m = NewMessage {
            content: format!("{i} {}", "x".repeat(3000)),
            ..Default::default()
        };
        let t = Instant::now();
        chat.send_message(&sup, room, m).await.unwrap();
        worst = worst.max(t.elapsed());
        i += 1;
    }
    reader.join().unwrap();
    let wal = std::fs::metadata(&wal_path).unwrap().len();
    assert!(
        wal > 16 << 20,
        "the test never passed the rewind threshold ({wal} bytes)"
    );
    assert!(
        worst < Duration::from_secs(1),
        "a send waited {worst:?} for a rewind that could not finish"
    );
}
