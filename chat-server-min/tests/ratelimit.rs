//! Rate limits: one user's flood is refused with 429 and `Retry-After`; another user of the
//! same account (within the account budget) and another account are unaffected; waiting
//! `Retry-After` seconds works; reads are never limited.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use chat_core::{AccountRole, NewRoom, RoomType, UserId};
use chat_server_min::RateConfig;
use common::*;
use http::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_contained() {
    let config = config()
        .with_rate(RateConfig {
            user_per_sec: 1,
            user_burst: 3,
            account_per_sec: 1,
            account_burst: 6,
        })
        .unwrap();
    let s = start(config).await;
    let mut rooms = Vec::new();
    for account in [1, 2] {
        let admin = user(&s.chat, account, 1, AccountRole::Admin).await;
        user(&s.chat, account, 3, AccountRole::Agent).await;
        user(&s.chat, account, 4, AccountRole::Agent).await;
        let room = NewRoom {
            kind: RoomType::Room,
            name: Some("Flood".into()),
            member_ids: vec![UserId(3), UserId(4)],
        };
        rooms.push(s.chat.create_room(&admin, room).await.unwrap().0.id);
    }
    let send = |account: i64, user: i64| {
        let path = format!(
            "/api/v1/accounts/{account}/chat/rooms/{}/messages",
            rooms[(account - 1) as usize]
        );
        let tok = token(account, user, AccountRole::Agent);
        let s = &s;
        async move {
            s.json(Method::POST, &path, Some(&tok), json!({"content": "spam"}))
                .await
        }
    };
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..10 {
        let res = send(1, 3).await;
        if res.status == 429 {
            assert_eq!(res.error_code(), "rate_limited");
            let secs: u64 = res
                .header("retry-after")
                .expect("Retry-After")
                .parse()
                .unwrap();
            assert!(secs >= 1);
            retry_after = Some(secs);
        }
        statuses.push(res.status);
    }
    // The burst passes, the next one is refused; at 1/s a slow machine may see a refill or
    // two during the flood, never more.
    assert_eq!(&statuses[..4], &[201, 201, 201, 429], "{statuses:?}");
    let admitted = statuses.iter().filter(|s| **s == 201).count();
    assert!(admitted <= 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 429),
        "{statuses:?}"
    );
    // Only the admitted writes were stored.
    let agent = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let page = s
        .chat
        .list_messages(&agent, rooms[0], None, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), admitted);

    // Reads are not limited.
    let t3 = token(1, 3, AccountRole::Agent);
    assert_eq!(
        s.get("/api/v1/accounts/1/chat/rooms", Some(&t3))
            .await
            .status,
        200
    );
    // Another user of the same account still has the rest of the account budget (6 - 3).
    assert_eq!(send(1, 4).await.status, 201);
    // Another account is not affected at all.
    for _ in 0..3 {
        assert_eq!(send(2, 3).await.status, 201);
    }
    // Honouring Retry-After works.
    tokio::time::sleep(Duration::from_secs(retry_after.unwrap())).await;
    assert_eq!(send(1, 3).await.status, 201);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_budget_is_shared() {
    let config = config()
        .with_rate(RateConfig {
            user_per_sec: 1,
            user_burst: 100,
            account_per_sec: 1,
            account_burst: 4,
        })
        .unwrap();
    let s = start(config).await;
    let mut statuses = Vec::new();
    for u in 1..=8 {
        let res = s
            .json(
                Method::POST,
                "/api/v1/accounts/9/chat/rooms",
                Some(&token(9, u, AccountRole::Admin)),
                json!({"type": "room", "name": format!("r{u}")}),
            )
            .await;
        match res.status {
            201 => {}
            429 => assert!(res.header("retry-after").is_some()),
            other => panic!("{other}: {}", res.text()),
        }
        statuses.push(res.status);
    }
    // Eight different users, one account budget of 4 (plus at most a refill on a slow run).
    assert_eq!(&statuses[..5], &[201, 201, 201, 201, 429], "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 3,
        "{statuses:?}"
    );
    s.stop().await;
}
