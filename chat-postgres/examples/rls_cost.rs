//! What row-level security costs: the same store, the same data and the same calls, once as
//! a role the policies bind and once as a role with BYPASSRLS (the policies skipped), calls
//! interleaved so both see the same machine. Not run by CI; numbers and setup in
//! docs/performance.md.
//!
//! `cargo run --release -p chat-postgres --example rls_cost` (server of `CHAT_TEST_PG`, default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`, a superuser; makes and drops its own
//! database and two roles `chat_rls_on` / `chat_rls_off`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::ids::AccountId;
use chat_core::testing::fixtures::{people, team, text};
use chat_core::Chat;
use chat_postgres::{Options, PgStore};

const ACCOUNTS: i64 = 10;
const ROOMS: usize = 20;
const HISTORY: usize = 200;
const ROUNDS: usize = 2_000;

async fn admin(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c
}

fn pct(times: &mut [Duration], q: f64) -> f64 {
    times.sort_unstable();
    let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
    times[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let base = std::env::var("CHAT_TEST_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_owned());
    let db = format!("chat_rls_cost_{}", std::process::id());
    let a = admin(&base).await;
    for (role, bypass) in [
        ("chat_rls_on", "NOBYPASSRLS"),
        ("chat_rls_off", "BYPASSRLS"),
    ] {
        let _ = a
            .batch_execute(&format!("CREATE ROLE {role} LOGIN NOSUPERUSER {bypass}"))
            .await;
    }
    a.batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let url = |user: Option<&str>| {
        let mut u = format!("{base} dbname={db}");
        if let Some(user) = user {
            u.push_str(&format!(" user={user}"));
        }
        u
    };
    let options = Options::default();
    PgStore::migrate(&url(None), &options, Some("chat_rls_on"))
        .await
        .unwrap();
    PgStore::migrate(&url(None), &options, Some("chat_rls_off"))
        .await
        .unwrap();
    let on = Chat::new(Arc::new(
        PgStore::connect(&url(Some("chat_rls_on")), &options)
            .await
            .unwrap(),
    ));
    let off_store = PgStore::connect(&url(Some("chat_rls_off")), &options)
        .await
        .unwrap();
    assert!(!off_store.rls_enforced().await.unwrap());
    let off = Chat::new(Arc::new(off_store));

    // Every account alike: ROOMS rooms of 5 members, HISTORY messages in the first.
    let mut subjects = Vec::new();
    for acc in 1..=ACCOUNTS {
        let who = people(&on, AccountId(acc), acc * 100).await;
        let members: Vec<_> = who.all().into_iter().skip(1).collect();
        let mut first = None;
        for r in 0..ROOMS {
            let (room, _) = on
                .create_room(&who.admin, team(&format!("r{r}"), &members))
                .await
                .unwrap();
            on.send_message(&who.admin, room.id, text("hello"))
                .await
                .unwrap();
            first.get_or_insert(room.id);
        }
        let room = first.unwrap();
        for i in 0..HISTORY {
            on.send_message(&who.admin, room, text(&format!("m{i}")))
                .await
                .unwrap();
        }
        subjects.push((who, room));
    }
    let (who, room) = &subjects[ACCOUNTS as usize / 2];
    let reader = &who.agents[0];

    let mut t: [[Vec<Duration>; 3]; 2] = Default::default();
    for i in 0..ROUNDS {
        for (side, chat) in [&on, &off].into_iter().enumerate() {
            let s = Instant::now();
            chat.list_messages(reader, *room, None, Some(50))
                .await
                .unwrap();
            t[side][0].push(s.elapsed());
            let s = Instant::now();
            chat.unread(reader).await.unwrap();
            t[side][1].push(s.elapsed());
            let s = Instant::now();
            chat.send_message(&who.admin, *room, text(&format!("b{i}")))
                .await
                .unwrap();
            t[side][2].push(s.elapsed());
        }
    }
    println!("| call | RLS p50 ms | bypass p50 ms | RLS p99 ms | bypass p99 ms |");
    println!("|---|---|---|---|---|");
    for (k, name) in [
        "list_messages (page of 50)",
        "unread (20 rooms)",
        "send_message",
    ]
    .iter()
    .enumerate()
    {
        let [on_t, off_t] = &mut t;
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} |",
            pct(&mut on_t[k], 0.5),
            pct(&mut off_t[k], 0.5),
            pct(&mut on_t[k], 0.99),
            pct(&mut off_t[k], 0.99)
        );
    }
    drop((on, off));
    a.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await
        .unwrap();
}
