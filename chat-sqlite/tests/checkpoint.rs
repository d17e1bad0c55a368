//! The writer never checkpoints; the checkpointer thread keeps the WAL folded back into the
//! database file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chat_core::{AccountId, AccountRole, Chat, Identity, NewMessage, NewRoom, RoomType, UserId};
use chat_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background() {
    let store = SqliteStore::open_temporary().unwrap();
    let path = store.path().to_path_buf();
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
    // Each commit appends every page it touched to the WAL (~60 KiB a send here). Without
    // checkpoints 1,000 sends leave a WAL of ~60 MiB; with them the WAL is rewound after each
    // quiet moment and stays the size of one batch of 50 (~3 MiB).
    for batch in 0..20 {
        for i in 0..50 {
            let m = NewMessage {
                content: format!("batch {batch} message {i}"),
                ..Default::default()
            };
            chat.send_message(&sup, room.id, m).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let wal = std::fs::metadata(path.with_extension("db-wal"))
        .unwrap()
        .len();
    assert!(
        wal < 16 << 20,
        "WAL is {wal} bytes: checkpoints are not keeping up"
    );
}
