//! Bounded queues: past `Options::write_queue` / `read_queue` a call is refused at once with
//! `Overloaded`, nothing written, and the store serves normally once the queue drains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chat_core::{
    AccountId, AccountRole, Chat, ChatError, Identity, NewMessage, NewRoom, RoomType, UserId,
};
use chat_sqlite::{Options, SqliteStore};

/// The writer is stuck behind another connection's write lock: 2 writes fill the queue
/// (plus the one the writer holds), the rest are refused at once; when the lock goes, the
/// queued ones commit, and the refused ones left no message behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_past_the_queue_are_refused_and_write_nothing() {
    let options = Options {
        write_queue: 2,
        group_commit: false,
        busy_timeout_ms: 10_000,
        ..Options::default()
    };
    let store = SqliteStore::open_temporary_with(&options).unwrap();
    let path = store.path().to_path_buf();
    let chat = Chat::new(Arc::new(store));
    let sup = chat
        .enter(Identity {
            account: AccountId(1),
            user: UserId(1),
            role: AccountRole::Supervisor,
            name: None,
        })
        .await
        .unwrap();
    let input = NewRoom {
        kind: RoomType::Room,
        name: Some("r".into()),
        member_ids: vec![],
    };
    let (room, _) = chat.create_room(&sup, input).await.unwrap();

    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (chat, sup) = (chat.clone(), sup.clone());
        tasks.push(tokio::spawn(async move {
            let m = NewMessage {
                content: format!("m{i}"),
                ..Default::default()
            };
            chat.send_message(&sup, room.id, m).await
        }));
        // Let each reach the queue in turn.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    blocker.execute_batch("ROLLBACK").unwrap();
    let (mut stored, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => stored += 1,
            Err(ChatError::Overloaded) => refused += 1,
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert!(refused >= 10, "stored {stored}, refused {refused}");
    assert!((1..=3).contains(&stored), "stored {stored}");
    let page = chat
        .list_messages(&sup, room.id, None, Some(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), stored, "a refused write wrote nothing");
    // Drained: writes work again.
    chat.send_message(
        &sup,
        room.id,
        NewMessage {
            content: "after".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}
