//! The directory search at 10,000 users of one account (plus another account's 10,000, which
//! must never be read): latency of `Chat::list_users` with and without a query. Ignored by
//! default (it provisions 20,000 users); run with
//! `cargo test --release -p chat-sqlite --test directory_scale -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::{AccountId, AccountRole, Chat, Identity, UserId};

const FIRST: &[&str] = &[
    "João",
    "Maria",
    "José",
    "Ana",
    "Conceição",
    "Ângela",
    "Íris",
    "Luís",
    "Antônio",
    "Francisca",
    "Sebastião",
    "Mônica",
    "Cláudia",
    "Márcio",
    "Fábio",
    "Júlia",
    "Tânia",
    "Vinícius",
    "Lúcia",
    "Raimundo",
];
const LAST: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Conceição",
    "Gonçalves",
    "Araújo",
    "Pereira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Magalhães",
    "Brandão",
    "Simões",
    "Assunção",
    "Falcão",
    "Guimarães",
    "Pimentel",
    "Figueirêdo",
];

fn name(i: usize) -> String {
    format!(
        "{} {} {} {i}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()],
        LAST[(i / 7) % LAST.len()]
    )
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "provisions 20,000 users; run explicitly for the numbers"]
async fn directory_search_at_10k_users() {
    let store = chat_sqlite::SqliteStore::open_temporary().unwrap();
    let chat = Chat::new(Arc::new(store));
    let started = Instant::now();
    for account in [1_i64, 2] {
        let mut tasks = Vec::new();
        for shard in 0..16 {
            let chat = chat.clone();
            tasks.push(tokio::spawn(async move {
                for i in (shard..10_000).step_by(16) {
                    chat.provision_user(
                        AccountId(account),
                        UserId(i as i64 + 1),
                        Some(&name(i)),
                        AccountRole::Agent,
                        true,
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    println!("provisioned 20,000 users in {:?}", started.elapsed());
    let actor = chat
        .enter(Identity {
            account: AccountId(1),
            user: UserId(1),
            role: AccountRole::Agent,
            name: None,
        })
        .await
        .unwrap();
    for q in [
        None,
        Some("a"),
        Some("jo"),
        Some("joao"),
        Some("conceicao"),
        Some("maria silva"),
        Some("zz"),
    ] {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..300 {
            let t = Instant::now();
            let page = chat.list_users(&actor, q, false, None, None).await.unwrap();
            times.push(t.elapsed());
            found = page.items.len();
            assert!(page.items.iter().all(|e| e.account_id == AccountId(1)));
        }
        println!(
            "q={q:?}: page of {found}, p50 {:?}, p99 {:?}",
            pct(times.clone(), 0.5),
            pct(times, 0.99)
        );
    }
}
