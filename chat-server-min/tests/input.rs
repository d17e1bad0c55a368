//! Bad input on every write endpoint and every list: 4xx (never 5xx) with the contract's error
//! body, `details` naming the field for 422, and nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::{AccountRole, NewMessage, NewRoom, RoomType, UserId};
use common::*;
use http::Method;
use serde_json::json;

struct Target {
    name: &'static str,
    method: Method,
    path: String,
    token: String,
    /// A valid body (used to build variants).
    valid: serde_json::Value,
    /// Bodies of the right JSON shape but wrong types or values, with the field to blame.
    wrong: Vec<(serde_json::Value, &'static str)>,
}

async fn setup(s: &Server) -> (Vec<Target>, String, String) {
    let chat = &s.chat;
    let admin = user(chat, 1, 1, AccountRole::Admin).await;
    let agent = user(chat, 1, 3, AccountRole::Agent).await;
    let _four = user(chat, 1, 4, AccountRole::Agent).await;
    let room = chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("R".into()),
                member_ids: vec![UserId(3), UserId(4)],
            },
        )
        .await
        .unwrap()
        .0
        .id;
    let other_room = chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("Other".into()),
                member_ids: vec![UserId(3)],
            },
        )
        .await
        .unwrap()
        .0
        .id;
    let mut msg = None;
    for i in 0..3 {
        let m = NewMessage {
            content: format!("m{i}"),
            ..NewMessage::default()
        };
        msg = Some(
            chat.send_message(&agent, room, m.clone())
                .await
                .unwrap()
                .0
                .id,
        );
        chat.send_message(&agent, other_room, m).await.unwrap();
    }
    let msg = msg.unwrap();
    let base = "/api/v1/accounts/1/chat";
    let admin_t = token(1, 1, AccountRole::Admin);
    let agent_t = token(1, 3, AccountRole::Agent);
    let long = "x".repeat(4001);
    let targets = vec![
        Target {
            name: "create room",
            method: Method::POST,
            path: format!("{base}/rooms"),
            token: admin_t.clone(),
            valid: json!({"type": "room", "name": "N", "member_ids": [3]}),
            wrong: vec![
                (json!({"type": "lobby", "name": "N"}), "type"),
                (json!({"type": "room", "name": 5}), "name"),
                (
                    json!({"type": "room", "name": "N", "member_ids": "3"}),
                    "member_ids",
                ),
                (
                    json!({"type": "room", "name": "N", "member_ids": [3.5]}),
                    "member_ids[0]",
                ),
                (
                    json!({"type": "room", "name": "N", "member_ids": [77]}),
                    "member_ids[0]",
                ),
                (json!({"type": "room", "name": "x".repeat(81)}), "name"),
                (json!({"type": "room", "name": "  "}), "name"),
                (json!({"type": "room"}), "name"),
                (
                    json!({"type": "room", "name": "N", "member_ids": (1..=101).collect::<Vec<_>>()}),
                    "member_ids",
                ),
                (json!({"type": "dm", "member_ids": [3, 4]}), "member_ids"),
                (json!({"name": "N"}), "body"),
            ],
        },
        Target {
            name: "rename room",
            method: Method::PATCH,
            path: format!("{base}/rooms/{room}"),
            token: admin_t.clone(),
            valid: json!({"name": "New name"}),
            wrong: vec![
                (json!({"name": null}), "name"),
                (json!({"name": "a\u{7}b"}), "name"),
                (json!({"name": "Sala\u{2067}x"}), "name"),
                (json!({"name": "\u{200B}"}), "name"),
                (json!({}), "body"),
            ],
        },
        Target {
            name: "add members",
            method: Method::POST,
            path: format!("{base}/rooms/{room}/members"),
            token: admin_t.clone(),
            valid: json!({"user_ids": [1]}),
            wrong: vec![
                (json!({"user_ids": [1], "role": "king"}), "role"),
                (json!({"user_ids": ["1"]}), "user_ids[0]"),
                (json!({"user_ids": []}), "user_ids"),
                (json!({"user_ids": [-1]}), "user_ids[0]"),
                (json!({"user_ids": [99]}), "user_ids[0]"),
            ],
        },
        Target {
            name: "send message",
            method: Method::POST,
            path: format!("{base}/rooms/{room}/messages"),
            token: agent_t.clone(),
            valid: json!({"content": "hi", "client_id": "c-1"}),
            wrong: vec![
                (json!({"content": 5}), "content"),
                (json!({"content": ""}), "content"),
                (json!({"content": long}), "content"),
                (json!({"content": "a\u{0}b"}), "content"),
                // Valid text: something visible, no stray controls, no bidi overrides.
                (json!({"content": "\u{200B}\u{2800}\u{3164}"}), "content"),
                (json!({"content": "a\u{1b}[2Jb"}), "content"),
                (json!({"content": "invoice\u{202E}fdp.exe"}), "content"),
                (
                    json!({"content": "hi", "message_type": "system"}),
                    "message_type",
                ),
                (json!({"content": "hi", "mentions": [99]}), "mentions[0]"),
                (
                    json!({"content": "hi", "client_id": "has space"}),
                    "client_id",
                ),
            ],
        },
        Target {
            name: "edit message",
            method: Method::PATCH,
            path: format!("{base}/messages/{msg}"),
            token: agent_t.clone(),
            valid: json!({"content": "edited"}),
            wrong: vec![
                (json!({"content": ["x"]}), "content"),
                (json!({"content": " \n "}), "content"),
            ],
        },
        Target {
            name: "mark read",
            method: Method::POST,
            path: format!("{base}/rooms/{room}/read"),
            token: agent_t.clone(),
            valid: json!({"message_id": msg.to_string()}),
            wrong: vec![
                (json!({"message_id": "not-a-uuid"}), "message_id"),
                (
                    json!({"message_id": uuid::Uuid::now_v7().to_string()}),
                    "message_id",
                ),
            ],
        },
        Target {
            name: "provision user",
            method: Method::PUT,
            path: format!("{base}/users/9"),
            token: SERVICE_TOKEN.to_owned(),
            valid: json!({"name": "Nine", "role": "agent", "active": true}),
            wrong: vec![
                (
                    json!({"name": "Nine", "role": "root", "active": true}),
                    "role",
                ),
                (
                    json!({"name": "Nine", "role": "agent", "active": "yes"}),
                    "active",
                ),
                (json!({"name": "Nine", "role": "agent"}), "body"),
            ],
        },
        Target {
            name: "set entitlements",
            method: Method::PUT,
            path: format!("{base}/entitlements"),
            token: SERVICE_TOKEN.to_owned(),
            valid: json!({"chat_enabled": true, "max_rooms": 10, "max_members_per_room": 50}),
            wrong: vec![
                (json!({"chat_enabled": true, "max_rooms": -1}), "max_rooms"),
                (
                    json!({"chat_enabled": true, "max_rooms": 1e20}),
                    "max_rooms",
                ),
                (json!({"chat_enabled": 1}), "chat_enabled"),
                // A limit left out is refused, never read as "unlimited".
                (json!({"chat_enabled": true, "max_rooms": 10}), "body"),
                (json!({"chat_enabled": false}), "body"),
            ],
        },
    ];
    // A real cursor of another room, and of another user's room list.
    let other_page = chat
        .list_messages(&agent, other_room, None, Some(1))
        .await
        .unwrap();
    let rooms_page = chat.list_rooms(&agent, None, Some(1)).await.unwrap();
    (
        targets,
        other_page.next_cursor.unwrap(),
        format!("{room}|{}", rooms_page.next_cursor.unwrap()),
    )
}

fn check_422(res: &Resp, field: &str, ctx: &str) {
    assert_eq!(res.status, 422, "{ctx}: {}", res.text());
    assert_eq!(res.error_code(), "validation_failed", "{ctx}");
    let details = res.json()["error"]["details"].clone();
    let fields: Vec<&str> = details
        .as_array()
        .unwrap_or_else(|| panic!("{ctx}: no details"))
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&field),
        "{ctx}: details {details} should name {field}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_and_write_nothing() {
    let s = start(config()).await;
    let (targets, _, _) = setup(&s).await;
    for t in &targets {
        let before = s.snapshot();
        let mut with_unknown = t.valid.clone();
        with_unknown["surprise"] = json!(1);
        let key = t.valid.as_object().unwrap().keys().next().unwrap().clone();
        let mut bad_utf8 = format!("{{\"{key}\": \"").into_bytes();
        bad_utf8.extend_from_slice(b"\xff\xfe\"}");
        let mut bodies: Vec<(Vec<u8>, &str)> = vec![
            (b"{".to_vec(), "body"),
            (b"{,}".to_vec(), "body"),
            (b"[]".to_vec(), "body"),
            (b"null".to_vec(), "body"),
            (b"".to_vec(), "body"),
            (with_unknown.to_string().into_bytes(), "surprise"),
            (bad_utf8, "body"),
            (format!("{{\"{key}\": NaN}}").into_bytes(), "body"),
            (
                format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
                "body",
            ),
            (
                b"{\"user_ids\": [99999999999999999999999]}".to_vec(),
                "user_ids[0]",
            ),
            (format!("{} trailing", t.valid).into_bytes(), "body"),
        ];
        if t.name == "mark read" {
            // An empty body is valid there ("up to the newest").
            bodies.retain(|(b, _)| !b.is_empty());
        }
        if t.name != "add members" {
            // Only add-members has `user_ids`; elsewhere it is an unknown field.
            bodies.retain(|(_, f)| *f != "user_ids[0]");
        }
        for (body, field) in bodies {
            let ctx = format!(
                "{}: {}",
                t.name,
                String::from_utf8_lossy(&body[..body.len().min(60)])
            );
            let res = s
                .send(t.method.clone(), &t.path, Some(&t.token), Some(body), &[])
                .await;
            check_422(&res, field, &ctx);
        }
        for (body, field) in &t.wrong {
            let ctx = format!("{}: {body}", t.name);
            let res = s
                .json(t.method.clone(), &t.path, Some(&t.token), body.clone())
                .await;
            check_422(&res, field, &ctx);
        }
        // Over 64 KiB, declared up front.
        let huge = json!({"content": "x".repeat(70 * 1024)})
            .to_string()
            .into_bytes();
        let res = s
            .send(t.method.clone(), &t.path, Some(&t.token), Some(huge), &[])
            .await;
        assert_eq!(res.status, 413, "{}", t.name);
        assert_eq!(res.error_code(), "payload_too_large");
        // Over 64 KiB, streamed without a length: refused while reading.
        let mut raw = format!(
            "{} {} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
            t.method, t.path, t.token
        )
        .into_bytes();
        for _ in 0..20 {
            raw.extend_from_slice(format!("{:x}\r\n{}\r\n", 8192, "y".repeat(8192)).as_bytes());
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        let answer = s.raw(&raw).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{}: {answer}", t.name);
        assert_eq!(
            before,
            s.snapshot(),
            "{}: a refused body changed the database",
            t.name
        );
        // The valid body works (so the refusals above were about the input).
        let res = s
            .json(t.method.clone(), &t.path, Some(&t.token), t.valid.clone())
            .await;
        assert!(
            res.status < 300,
            "{}: valid body: {} {}",
            t.name,
            res.status,
            res.text()
        );
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_and_cursors_are_422() {
    let s = start(config()).await;
    let (targets, foreign_cursor, rooms_cursor) = setup(&s).await;
    let agent = token(1, 3, AccountRole::Agent);
    let admin = token(1, 1, AccountRole::Admin);
    let (room, my_rooms_cursor) = rooms_cursor.split_once('|').unwrap();
    let _ = targets;
    let base = "/api/v1/accounts/1/chat";
    let lists = [
        format!("{base}/rooms"),
        format!("{base}/rooms/{room}/messages"),
        format!("{base}/audit"),
    ];
    for list in &lists {
        let tok = if list.ends_with("audit") {
            &admin
        } else {
            &agent
        };
        for q in [
            "limit=0",
            "limit=101",
            "limit=-1",
            "limit=abc",
            "limit=1.5",
            "limit=1&limit=2",
            "limit=99999999999",
        ] {
            let res = s.get(&format!("{list}?{q}"), Some(tok)).await;
            check_422(&res, "limit", &format!("{list}?{q}"));
        }
        for c in ["AAAA", "not%20base64!", "YWJj", &"A".repeat(600)] {
            let res = s.get(&format!("{list}?cursor={c}"), Some(tok)).await;
            check_422(&res, "cursor", &format!("{list}?cursor={c}"));
        }
        let res = s.get(&format!("{list}?limit=100"), Some(tok)).await;
        assert_eq!(res.status, 200, "{list}");
    }
    // A genuine cursor of another room, or of another user's room list.
    let res = s
        .get(
            &format!("{base}/rooms/{room}/messages?cursor={foreign_cursor}"),
            Some(&agent),
        )
        .await;
    check_422(&res, "cursor", "foreign room cursor");
    let res = s
        .get(
            &format!("{base}/rooms?cursor={my_rooms_cursor}"),
            Some(&token(1, 4, AccountRole::Agent)),
        )
        .await;
    check_422(&res, "cursor", "another user's cursor");
    let res = s
        .get(
            &format!("{base}/rooms?cursor={my_rooms_cursor}"),
            Some(&agent),
        )
        .await;
    assert_eq!(res.status, 200, "own cursor works: {}", res.text());
    // Audit filters.
    for (q, field) in [
        ("action=room.exploded", "action"),
        ("actor_id=abc", "actor_id"),
    ] {
        let res = s.get(&format!("{base}/audit?{q}"), Some(&admin)).await;
        check_422(&res, field, q);
    }
    let res = s
        .get(
            &format!("{base}/audit?action=room.created&actor_id=1"),
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["items"].as_array().unwrap().len(), 2);
    s.stop().await;
}
