//! The writer remembers each room's members to resolve event audiences (`audiences.rs`):
//! every logged event must still go to exactly the room's members at its commit, whatever
//! shares its batch and whoever else writes the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chat_core::{
    AccountId, AccountRole, Actor, Chat, Identity, NewMessage, NewRoom, RoomId, RoomType, UserId,
};
use chat_sqlite::SqliteStore;

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

async fn team_room(chat: &Chat, sup: &Actor, members: &[i64]) -> RoomId {
    let input = NewRoom {
        kind: RoomType::Room,
        name: Some("ops".into()),
        member_ids: members.iter().copied().map(UserId).collect(),
    };
    chat.create_room(sup, input).await.unwrap().0.id
}

async fn send(chat: &Chat, actor: &Actor, room: RoomId, text: &str) {
    let m = NewMessage {
        content: text.into(),
        ..Default::default()
    };
    chat.send_message(actor, room, m).await.unwrap();
}

/// `(type, data, audience)` of the account's logged events, in commit order.
fn log(conn: &rusqlite::Connection) -> Vec<(String, serde_json::Value, Vec<i64>)> {
    conn.prepare(
        "SELECT type, data, audience FROM internal_chat_events WHERE account_id = 1 ORDER BY id",
    )
    .unwrap()
    .query_map([], |r| {
        let data: String = r.get(1)?;
        let audience: String = r.get(2)?;
        Ok((
            r.get(0)?,
            serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
            serde_json::from_str(&audience).unwrap(),
        ))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn last_message_audience(conn: &rusqlite::Connection) -> Vec<i64> {
    log(conn)
        .into_iter()
        .rev()
        .find(|(kind, _, _)| kind == "message.created")
        .map(|(_, _, audience)| audience)
        .unwrap()
}

/// Another connection (another process, a tool) changes the members behind the store's back:
/// the next send's event goes to the members as they are now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_by_another_connection_reaches_the_next_send() {
    let store = SqliteStore::open_temporary().unwrap();
    let path = store.path().to_path_buf();
    let chat = Chat::new(Arc::new(store));
    let sup = enter(&chat, 1, AccountRole::Supervisor).await;
    enter(&chat, 2, AccountRole::Agent).await;
    let room = team_room(&chat, &sup, &[2]).await;
    send(&chat, &sup, room, "first").await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(last_message_audience(&conn), vec![1, 2]);

    conn.execute(
        "DELETE FROM internal_chat_members WHERE room_id = ?1 AND user_id = 2",
        [room.0],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_seq, joined_at) \
         VALUES (?1, 3, 1, 'member', 0, 0)",
        [room.0],
    )
    .unwrap();
    send(&chat, &sup, room, "second").await;
    assert_eq!(last_message_audience(&conn), vec![1, 3]);
}

/// Members come and go while the owner sends, concurrently, so that membership changes and
/// sends share group-commit batches. Replaying the log in commit order, every message event
/// goes to exactly the members at that point of the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_and_membership_changes_agree_with_the_log() {
    let store = SqliteStore::open_temporary().unwrap();
    let path = store.path().to_path_buf();
    let chat = Chat::new(Arc::new(store));
    let sup = enter(&chat, 1, AccountRole::Supervisor).await;
    let others: Vec<i64> = (10..16).collect();
    for u in &others {
        enter(&chat, *u, AccountRole::Agent).await;
    }
    let room = team_room(&chat, &sup, &[]).await;

    let mut tasks = Vec::new();
    for t in 0..4_i64 {
        let (chat, sup) = (chat.clone(), sup.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..60 {
                send(&chat, &sup, room, &format!("t{t} m{i}")).await;
            }
        }));
    }
    for (t, u) in others.iter().copied().enumerate() {
        let (chat, sup) = (chat.clone(), sup.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..12 {
                if (i + t) % 2 == 0 {
                    let _ = chat.add_members(&sup, room, &[UserId(u)], None).await;
                } else {
                    let _ = chat.remove_member(&sup, room, UserId(u)).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }

    let conn = rusqlite::Connection::open(&path).unwrap();
    let (messages, changes) = audiences_follow_the_log(&conn, &[1]);
    assert_eq!(messages, 240);
    assert!(changes > 12, "membership changed only {changes} times");
}

/// Replays the log in commit order from a room's first members: every message event must go
/// to exactly the members at its point of the log. Returns (message events, member changes).
fn audiences_follow_the_log(conn: &rusqlite::Connection, first: &[i64]) -> (usize, usize) {
    let mut members: BTreeSet<i64> = first.iter().copied().collect();
    let (mut messages, mut changes) = (0, 0);
    for (kind, data, audience) in log(conn) {
        match kind.as_str() {
            "member.added" => {
                members.insert(data["member"]["user_id"].as_i64().unwrap());
                changes += 1;
            }
            "member.removed" => {
                members.remove(&data["user_id"].as_i64().unwrap());
                changes += 1;
            }
            "message.created" => {
                messages += 1;
                let expected: Vec<i64> = members.iter().copied().collect();
                assert_eq!(audience, expected, "message event #{messages}");
            }
            _ => {}
        }
    }
    (messages, changes)
}

/// A write started on its own task.
type Start = Box<dyn FnOnce() -> tokio::task::JoinHandle<()>>;

/// Holds the write lock on another connection while `queue` starts writes one after another,
/// so that the first waits for the lock alone and the others queue behind it, to land in one
/// batch once the lock is let go (a rollback: nothing committed, so the writer's memo is not
/// forgotten for it).
async fn in_one_batch(path: &std::path::Path, queue: Vec<Start>) {
    let mut lock = rusqlite::Connection::open(path).unwrap();
    let tx = lock
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let mut tasks = Vec::new();
    for start in queue {
        tasks.push(start());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tx.rollback().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
}

/// A send queued right behind a member's removal, in the same batch, with the room's members
/// remembered from before: its event must not go to the removed member. Then the same with
/// the removal failing inside the batch (the batch is redone write by write): the member
/// stays, and gets the send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_behind_a_membership_change_in_its_batch_sees_it() {
    let store = SqliteStore::open_temporary().unwrap();
    let path = store.path().to_path_buf();
    let chat = Chat::new(Arc::new(store));
    let sup = enter(&chat, 1, AccountRole::Supervisor).await;
    enter(&chat, 2, AccountRole::Agent).await;
    enter(&chat, 3, AccountRole::Agent).await;
    let room = team_room(&chat, &sup, &[2, 3]).await;
    send(&chat, &sup, room, "warms the memo").await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(last_message_audience(&conn), vec![1, 2, 3]);

    let spawn_send = |text: &'static str| -> Start {
        let (chat, sup) = (chat.clone(), sup.clone());
        Box::new(move || tokio::spawn(async move { send(&chat, &sup, room, text).await }))
    };
    let spawn_remove = |user: i64, must: bool| -> Start {
        let (chat, sup) = (chat.clone(), sup.clone());
        Box::new(move || {
            tokio::spawn(async move {
                let removed = chat.remove_member(&sup, room, UserId(user)).await;
                assert_eq!(removed.is_ok(), must, "{removed:?}");
            })
        })
    };
    in_one_batch(
        &path,
        vec![
            spawn_send("before"),
            spawn_remove(2, true),
            spawn_send("after"),
        ],
    )
    .await;
    // The writes start 100 ms apart and reach the writer within a millisecond each, so they
    // share one batch; whatever the order they landed in, the log tells who was a member.
    audiences_follow_the_log(&conn, &[1, 2, 3]);

    // The removal's audit row fails: the batch is redone with savepoints, the removal
    // rolls back alone, and the send behind it goes to 3 still.
    conn.execute_batch(
        "CREATE TRIGGER fail_audit BEFORE INSERT ON internal_chat_audit \
         BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();
    send(&chat, &sup, room, "warms the memo again").await;
    in_one_batch(
        &path,
        vec![
            spawn_send("before"),
            spawn_remove(3, false),
            spawn_send("after"),
        ],
    )
    .await;
    assert_eq!(
        last_message_audience(&conn),
        vec![1, 3],
        "3 is still a member"
    );
}
