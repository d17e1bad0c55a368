//! Group commit: writes that share a transaction still succeed or fail one by one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chat_core::{
    AccountId, AccountRole, Chat, ChatError, Identity, NewMessage, NewRoom, RoomType, UserId,
};
use chat_sqlite::SqliteStore;

/// With audit inserts failing, 24 concurrent writers — renames (audited: must fail) and sends
/// (not audited: must succeed) — land in shared batches: every send is stored with a distinct
/// seq, no rename happens, and the failures leave nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_rolls_back_alone_inside_a_batch() {
    let store = SqliteStore::open_temporary().unwrap();
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
        name: Some("before".into()),
        member_ids: vec![],
    };
    let (room, _) = chat.create_room(&sup, input).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_audit BEFORE INSERT ON internal_chat_audit \
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();

    let mut tasks = Vec::new();
    for i in 0..24 {
        let (chat, sup) = (chat.clone(), sup.clone());
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let m = NewMessage {
                    content: format!("m{i}"),
                    ..Default::default()
                };
                chat.send_message(&sup, room.id, m)
                    .await
                    .map(|(m, _)| Some(m.seq))
            } else {
                chat.rename_room(&sup, room.id, &format!("r{i}"))
                    .await
                    .map(|_| None)
            }
        }));
    }
    let mut seqs = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match (i % 2, t.await.unwrap()) {
            (0, Ok(Some(seq))) => seqs.push(seq),
            (1, Err(ChatError::Backend(_))) => {}
            (kind, other) => panic!("task {i} ({kind}): {other:?}"),
        }
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=12).collect::<Vec<_>>(),
        "every send stored, seq gapless"
    );
    let detail = chat.get_room(&sup, room.id).await.unwrap();
    assert_eq!(
        detail.room.name.as_deref(),
        Some("before"),
        "no rename happened"
    );
    let audit: i64 = conn
        .query_row("SELECT COUNT(*) FROM internal_chat_audit", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audit, 1, "only the room's creation was ever audited");
}
