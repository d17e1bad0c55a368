//! The writer never checkpoints; the checkpointer thread keeps the WAL folded back into the
//! database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

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
    let mut peak = 0;
    for s in senders {
        s.await.unwrap();
        peak = peak.max(std::fs::metadata(&wal_path).unwrap().len());
    }
    // 4,000 sends write well over 100 MiB of WAL frames in all.
    assert!(
        peak < 48 << 20,
        "WAL reached {peak} bytes under sustained writes: it is never rewound"
    );
}
