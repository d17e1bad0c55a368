//! Event log retention: pruned ids are never replayed; resuming from one is `resync_required`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use chat_core::events::{Event, EventType};
use chat_core::{
    AccountId, AccountRole, Chat, Identity, NewMessage, NewRoom, RoomType, Subscription, UserId,
};
use chat_sqlite::{Options, Retention, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_events_require_resync_and_recent_ones_replay() {
    let options = Options {
        retention: Retention {
            max_events: 50,
            max_age: Duration::from_secs(3600),
        },
        ..Options::default()
    };
    let chat = Chat::new(Arc::new(
        SqliteStore::open_temporary_with(&options).unwrap(),
    ));
    let id = |user: i64, role| Identity {
        account: AccountId(7),
        user: UserId(user),
        role,
        name: None,
    };
    let sup = chat.enter(id(1, AccountRole::Supervisor)).await.unwrap();
    let agent = chat.enter(id(2, AccountRole::Agent)).await.unwrap();
    let room = NewRoom {
        kind: RoomType::Room,
        name: Some("r".into()),
        member_ids: vec![agent.user()],
    };
    let (room, _) = chat.create_room(&sup, room).await.unwrap();
    for i in 0..600 {
        let m = NewMessage {
            content: format!("m{i}"),
            ..Default::default()
        };
        chat.send_message(&sup, room.id, m).await.unwrap();
    }
    // 601 events were written; pruning (at every 256th id) kept only recent ones.
    let mut old = chat.subscribe(&agent, Some(1)).await.unwrap();
    assert_eq!(next(&mut old).await.kind, EventType::ResyncRequired);
    let mut recent = chat.subscribe(&agent, Some(595)).await.unwrap();
    for want in 596..=601 {
        let e = next(&mut recent).await;
        assert_eq!((e.id, e.kind), (Some(want), EventType::MessageCreated));
    }
}

async fn next(sub: &mut Subscription) -> std::sync::Arc<Event> {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("an event in time")
        .expect("the subscription is open")
}
