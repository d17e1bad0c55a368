//! `PgBus`: two nodes (two stores, two buses, two facades) on one database. A subscriber on
//! node A receives, live, every message sent through node B — also across the loss of both
//! nodes' LISTEN connections (`pg_terminate_backend`) in the middle of the run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::events::EventType;
use chat_core::ids::AccountId;
use chat_core::testing::fixtures::{people, team, text};
use chat_core::Chat;
use chat_postgres::{Options, PgBus, PgStore};
use common::{client, TestDb, APP_ROLE};

fn node(db: &TestDb) -> Chat {
    let options = Options {
        pool_size: 4,
        ..Options::default()
    };
    let url = db.url(Some(APP_ROLE));
    let store = Arc::new(PgStore::new(&url, &options).unwrap());
    let bus = PgBus::start(&url, &options, Arc::clone(&store)).unwrap();
    Chat::with_bus(store, bus)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_node_gets_every_message_sent_through_another() {
    const MESSAGES: usize = 60;
    let db = TestDb::create();
    let (a, b) = (node(&db), node(&db));
    let who = people(&b, AccountId(1), 100).await;
    let reader = who.agents[0].clone();
    let (room, _) = b
        .create_room(&who.admin, team("cross", &[&reader]))
        .await
        .unwrap();
    let mut sub = a.subscribe(&reader, None).await.unwrap();
    // Let node A's listener connect before the run.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let sender = {
        let (b, admin, url) = (b.clone(), who.admin.clone(), db.url(None));
        tokio::spawn(async move {
            let admin_db = client(&url).await;
            for i in 0..MESSAGES {
                if i == MESSAGES / 2 {
                    // Both nodes lose their LISTEN connection mid-run.
                    let killed = admin_db
                        .query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                            &[],
                        )
                        .await
                        .unwrap();
                    assert_eq!(killed.len(), 2, "one LISTEN connection per node");
                }
                b.send_message(&admin, room.id, text(&format!("m{i}")))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut got = Vec::new();
    let mut slowest = Duration::ZERO;
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.len() < MESSAGES {
        let waited = Instant::now();
        let e = tokio::time::timeout_at(deadline.into(), sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {MESSAGES} messages arrived", got.len()))
            .unwrap();
        slowest = slowest.max(waited.elapsed());
        if e.kind == EventType::MessageCreated {
            got.push(e.data["content"].as_str().unwrap().to_owned());
        }
    }
    sender.await.unwrap();
    let expected: Vec<String> = (0..MESSAGES).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected, "every message, once, in order");
    eprintln!("longest wait for an event on node A: {slowest:?}");
}
