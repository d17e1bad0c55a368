//! Overload (v1.1): past the store's bounded queues a request gets `503 overloaded` with
//! `Retry-After`, nothing written; every request of a burst is answered, and the server
//! serves normally afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::{AccountRole, NewRoom, RoomType};
use common::*;
use futures_util::future::join_all;
use http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_far_past_the_queues_gets_503_overloaded_and_nothing_is_lost() {
    let options = chat_sqlite::Options {
        readers: 1,
        read_queue: 2,
        write_queue: 2,
        group_commit: false,
        busy_timeout_ms: 10_000,
        ..chat_sqlite::Options::default()
    };
    let s = start_with(
        config(),
        chat_core::presence::PresenceConfig::default(),
        options,
    )
    .await;
    let sup = user(&s.chat, 1, 2, AccountRole::Supervisor).await;
    let (room, _) = s
        .chat
        .create_room(
            &sup,
            NewRoom {
                kind: RoomType::Room,
                name: Some("R".into()),
                member_ids: vec![],
            },
        )
        .await
        .unwrap();
    let t = token(1, 2, AccountRole::Supervisor);
    let send_path = format!("/api/v1/accounts/1/chat/rooms/{}/messages", room.id);
    // Warm the caller's admission so the burst's reads are the requests' own.
    assert_eq!(
        s.get("/api/v1/accounts/1/chat/unread", Some(&t))
            .await
            .status,
        200
    );

    // Another connection holds the database's write lock: the writer is stuck on its first
    // write, two more fill its queue, the rest of the burst's writes must be refused.
    let blocker = rusqlite::Connection::open(&s.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let burst = join_all((0..200).map(|i| {
        let (t, send_path) = (&t, &send_path);
        let s = &s;
        async move {
            if i % 2 == 0 {
                s.json(
                    Method::POST,
                    send_path,
                    Some(t),
                    json!({"content": format!("burst {i}")}),
                )
                .await
            } else {
                s.get("/api/v1/accounts/1/chat/unread", Some(t)).await
            }
        }
    }));
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        blocker.execute_batch("ROLLBACK").unwrap();
    };
    let (answers, ()) = tokio::join!(burst, release);
    let mut created = 0;
    let mut overloaded = 0;
    for (i, r) in answers.iter().enumerate() {
        match r.status {
            200 if i % 2 == 1 => {}
            201 if i % 2 == 0 => created += 1,
            503 => {
                overloaded += 1;
                assert_eq!(r.error_code(), "overloaded", "{}", r.text());
                assert_eq!(r.header("retry-after").as_deref(), Some("1"));
                assert!(r.header("x-request-id").is_some());
            }
            other => panic!("request {i}: {other} {}", r.text()),
        }
    }
    assert!(overloaded >= 50, "only {overloaded} refused");
    assert!(
        created >= 1,
        "the queued writes went through once the lock went"
    );
    let page = s
        .get(&format!("{send_path}?limit=100"), Some(&t))
        .await
        .json();
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        created,
        "every 201 stored once, every 503 stored nothing"
    );

    // Normal service afterwards.
    let r = s
        .json(
            Method::POST,
            &send_path,
            Some(&t),
            json!({"content": "after the burst"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(s.get("/healthz", None).await.status, 200);
    s.stop().await;
}
