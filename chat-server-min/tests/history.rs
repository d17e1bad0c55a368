//! Reading around a message over HTTP (v1.1): `prev_cursor` on every page, `around` a message
//! or the first unread one, paging both ways while messages arrive; bad input is 422 or 404.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::{AccountRole, NewMessage, NewRoom, RoomType, UserId};
use common::*;
use serde_json::{json, Value};

fn seqs(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

/// Pages older from `page`'s `next_cursor` and newer from its `prev_cursor`, all seqs
/// oldest first.
async fn walk(s: &Server, path: &str, token: &str, page: &Value) -> Vec<i64> {
    let mut all = seqs(page);
    for (key, newer) in [("next_cursor", false), ("prev_cursor", true)] {
        let mut cursor = page[key].as_str().map(str::to_owned);
        while let Some(c) = cursor {
            let res = s
                .get(&format!("{path}?limit=7&cursor={c}"), Some(token))
                .await;
            assert_eq!(res.status, 200, "{}", res.text());
            let p = res.json();
            if newer {
                all.splice(0..0, seqs(&p));
            } else {
                all.extend(seqs(&p));
            }
            cursor = p[key].as_str().map(str::to_owned);
        }
    }
    all.reverse();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn around_a_message_and_the_first_unread_page_both_ways_while_messages_arrive() {
    let s = start(config()).await;
    let sup = user(&s.chat, 1, 2, AccountRole::Supervisor).await;
    let agent = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let (room, _) = s
        .chat
        .create_room(
            &sup,
            NewRoom {
                kind: RoomType::Room,
                name: Some("R".into()),
                member_ids: vec![UserId(3)],
            },
        )
        .await
        .unwrap();
    let mut sent = Vec::new();
    for i in 0..50 {
        let (m, _) = s
            .chat
            .send_message(&sup, room.id, text(&format!("m{i}")))
            .await
            .unwrap();
        sent.push(m);
    }
    let path = format!("/api/v1/accounts/1/chat/rooms/{}/messages", room.id);
    let t3 = token(1, 3, AccountRole::Agent);

    // The newest page has no newer one.
    let newest = s.get(&format!("{path}?limit=7"), Some(&t3)).await.json();
    assert_eq!(newest["prev_cursor"], Value::Null);
    assert!(newest.get("anchor_id").is_none(), "only with around");

    // Another device of the agent reads up to seq 20; the first unread is 21.
    s.chat
        .mark_read(&agent, room.id, Some(sent[19].id))
        .await
        .unwrap();
    let chat = s.chat.clone();
    let writer = tokio::spawn(async move {
        for i in 0..40 {
            chat.send_message(&sup, room.id, text(&format!("during {i}")))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    });
    let res = s
        .get(&format!("{path}?around=first_unread&limit=7"), Some(&t3))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let page = res.json();
    assert_eq!(page["anchor_id"], json!(sent[20].id));
    assert_eq!(seqs(&page), (18..=24).rev().collect::<Vec<_>>());
    let all = walk(&s, &path, &t3, &page).await;
    writer.await.unwrap();
    let top = *all.last().unwrap();
    assert!(top >= 50);
    assert_eq!(
        all,
        (1..=top).collect::<Vec<_>>(),
        "each message once, in order"
    );

    // Around a message id.
    let res = s
        .get(&format!("{path}?around={}&limit=5", sent[9].id), Some(&t3))
        .await;
    assert_eq!(res.json()["anchor_id"], json!(sent[9].id));
    assert_eq!(seqs(&res.json()), vec![12, 11, 10, 9, 8]);

    // Bad input: 422, a message elsewhere or unknown: 404.
    for bad in [
        "around=nope".to_owned(),
        format!("around={}&cursor=x", sent[0].id),
        "around=".to_owned(),
    ] {
        let res = s.get(&format!("{path}?{bad}"), Some(&t3)).await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text());
        assert_eq!(res.error_code(), "validation_failed");
    }
    let res = s
        .get(
            &format!("{path}?around={}", uuid::Uuid::now_v7()),
            Some(&t3),
        )
        .await;
    assert_eq!(res.status, 404, "{}", res.text());
    // Reading writes nothing: the read pointer did not move.
    let unread = s
        .get("/api/v1/accounts/1/chat/unread", Some(&t3))
        .await
        .json();
    assert!(unread["total"].as_i64().unwrap() >= 30, "{unread}");
    s.stop().await;
}

fn text(content: &str) -> NewMessage {
    NewMessage {
        content: content.to_owned(),
        ..Default::default()
    }
}
