//! v1.1 black-box: the directory (`GET /users`, `GET /users/{user_id}`) with real Portuguese
//! names, every room of the account (`GET /rooms?scope=account`), and the audit's time range.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::HashSet;

use chat_core::{AccountRole, UserId};
use common::*;
use http::Method;
use serde_json::{json, Value};

const NAMES: &[&str] = &[
    "João Pereira",
    "Maria João Silva",
    "Conceição Alves",
    "Ângela Souza",
    "Íris Conceição",
    "Luís Gonçalves",
];

async fn provision(s: &Server, account: i64, base: i64) {
    for (i, name) in NAMES.iter().enumerate() {
        let res = s
            .json(
                Method::PUT,
                &format!("/api/v1/accounts/{account}/chat/users/{}", base + i as i64),
                Some(SERVICE_TOKEN),
                json!({"name": name, "role": "agent", "active": true}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn enc(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_search_with_portuguese_names() {
    let s = start(config()).await;
    provision(&s, 1, 100).await;
    provision(&s, 2, 100).await;
    let agent = token(1, 100, AccountRole::Agent);
    let base = "/api/v1/accounts/1/chat/users";
    let search = |q: &str| format!("{base}?q={}", enc(q));
    for (q, want) in [
        ("joao", vec!["João Pereira", "Maria João Silva"]),
        ("JOÃO", vec!["João Pereira", "Maria João Silva"]),
        ("conceicao", vec!["Conceição Alves", "Íris Conceição"]),
        ("angela", vec!["Ângela Souza"]),
        ("IRIS", vec!["Íris Conceição"]),
        ("goncalves", vec!["Luís Gonçalves"]),
        ("joão silva", vec!["Maria João Silva"]),
        ("ao", vec![]),
    ] {
        let res = s.get(&search(q), Some(&agent)).await;
        assert_eq!(res.status, 200, "{q}: {}", res.text());
        assert_eq!(names(&res.json()), want, "q={q}");
        assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    }
    // The whole directory: sorted by folded name, then id; only account 1.
    let res = s.get(&format!("{base}?limit=100"), Some(&agent)).await;
    let body = res.json();
    let items = body["items"].as_array().unwrap();
    assert!(items.iter().all(|e| e["account_id"] == 1));
    assert_eq!(items.len(), NAMES.len());
    assert_eq!(
        names(&body),
        vec![
            "Ângela Souza",
            "Conceição Alves",
            "Íris Conceição",
            "João Pereira",
            "Luís Gonçalves",
            "Maria João Silva"
        ]
    );
    for key in ["user_id", "name", "role", "active", "last_seen_at"] {
        assert!(items[0].get(key).is_some(), "{key}");
    }
    // Keyset pages of 2: the same entries, once each.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}?limit=2&cursor={}", enc(c)),
            None => format!("{base}?limit=2"),
        };
        let page = s.get(&path, Some(&agent)).await.json();
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, names(&body));
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    // Bad input: 422 naming the field.
    for (path, field) in [
        (format!("{base}?q="), "q"),
        (format!("{base}?q={}", "a".repeat(81)), "q"),
        (format!("{base}?limit=0"), "limit"),
        (format!("{base}?limit=101"), "limit"),
        (format!("{base}?include_inactive=yes"), "include_inactive"),
        (format!("{base}?cursor=bm9wZQ"), "cursor"),
    ] {
        let res = s.get(&path, Some(&agent)).await;
        assert_eq!(res.status, 422, "{path}: {}", res.text());
        assert_eq!(res.error_code(), "validation_failed");
        assert!(res.text().contains(field), "{path}: {}", res.text());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_inactive_users_and_single_entries() {
    let s = start(config()).await;
    provision(&s, 1, 100).await;
    provision(&s, 2, 200).await;
    let res = s
        .json(
            Method::PUT,
            "/api/v1/accounts/1/chat/users/150",
            Some(SERVICE_TOKEN),
            json!({"name": "João Inativo", "role": "agent", "active": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let base = "/api/v1/accounts/1/chat/users";
    let agent = token(1, 100, AccountRole::Agent);
    let sup = token(1, 101, AccountRole::Supervisor);
    let admin = token(1, 102, AccountRole::Admin);
    let found = |v: Value| names(&v).contains(&"João Inativo".to_owned());
    assert!(!found(
        s.get(&format!("{base}?q=joao"), Some(&agent)).await.json()
    ));
    assert!(!found(
        s.get(&format!("{base}?q=joao"), Some(&admin)).await.json()
    ));
    for t in [&sup, &admin] {
        let res = s
            .get(&format!("{base}?q=joao&include_inactive=true"), Some(t))
            .await;
        assert_eq!(res.status, 200);
        assert!(found(res.json()));
    }
    let before = s.snapshot();
    let res = s
        .get(
            &format!("{base}?q=joao&include_inactive=true"),
            Some(&agent),
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.error_code(), "forbidden");
    assert_eq!(before, s.snapshot());

    // One entry: own account only; another account's user is 404, as is an unknown one.
    let res = s.get(&format!("{base}/150"), Some(&agent)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["active"], false);
    assert_eq!(res.json()["name"], "João Inativo");
    for missing in ["200", "999", "0", "abc"] {
        let res = s.get(&format!("{base}/{missing}"), Some(&admin)).await;
        assert_eq!(res.status, 404, "{missing}");
        assert_eq!(res.error_code(), "not_found");
    }
    let b_admin = token(2, 200, AccountRole::Admin);
    let res = s
        .get("/api/v1/accounts/2/chat/users/200", Some(&b_admin))
        .await;
    assert_eq!(res.status, 200);
    let res = s
        .get("/api/v1/accounts/2/chat/users/100", Some(&b_admin))
        .await;
    assert_eq!(res.status, 404, "user 100 exists only in account 1");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_list_every_team_room_of_the_account() {
    let s = start(config()).await;
    let chat = &s.chat;
    let _adm = user(chat, 1, 1, AccountRole::Admin).await;
    let sup = user(chat, 1, 2, AccountRole::Supervisor).await;
    let a3 = user(chat, 1, 3, AccountRole::Agent).await;
    let _a4 = user(chat, 1, 4, AccountRole::Agent).await;
    let b = user(chat, 2, 1, AccountRole::Admin).await;
    let team = |name: &str, members: Vec<i64>| chat_core::NewRoom {
        kind: chat_core::RoomType::Room,
        name: Some(name.into()),
        member_ids: members.into_iter().map(UserId).collect(),
    };
    let r1 = chat
        .create_room(&sup, team("one", vec![3]))
        .await
        .unwrap()
        .0;
    let r2 = chat
        .create_room(&sup, team("two", vec![3, 4]))
        .await
        .unwrap()
        .0;
    chat.create_room(
        &a3,
        chat_core::NewRoom {
            kind: chat_core::RoomType::Dm,
            name: None,
            member_ids: vec![UserId(4)],
        },
    )
    .await
    .unwrap();
    chat.create_room(&b, team("other account", vec![]))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    chat.send_message(
        &a3,
        r1.id,
        chat_core::NewMessage {
            content: "hi".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let base = "/api/v1/accounts/1/chat/rooms";
    for who in [
        token(1, 1, AccountRole::Admin),
        token(1, 2, AccountRole::Supervisor),
    ] {
        let res = s.get(&format!("{base}?scope=account"), Some(&who)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        let items = body["items"].as_array().unwrap();
        let ids: Vec<&str> = items.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![r1.id.to_string(), r2.id.to_string()]);
        assert_eq!(items[0]["member_count"], 2);
        assert_eq!(items[1]["member_count"], 3);
        assert!(items[0]["last_message_at"].is_string());
        assert!(items[1]["last_message_at"].is_null());
        assert!(items.iter().all(|r| r["type"] == "room"));
        // Paging.
        let first = s
            .get(&format!("{base}?scope=account&limit=1"), Some(&who))
            .await
            .json();
        let c = first["next_cursor"].as_str().unwrap();
        let second = s
            .get(
                &format!("{base}?scope=account&limit=1&cursor={}", enc(c)),
                Some(&who),
            )
            .await
            .json();
        assert_eq!(second["items"][0]["id"], r2.id.to_string());
        assert!(second["next_cursor"].is_null());
    }
    // The admin is a member of nothing: the v1 list (no scope, or scope=member) is empty.
    let admin = token(1, 1, AccountRole::Admin);
    for q in ["", "?scope=member"] {
        let res = s.get(&format!("{base}{q}"), Some(&admin)).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json()["items"], json!([]));
    }
    let agent = token(1, 3, AccountRole::Agent);
    let res = s.get(&format!("{base}?scope=account"), Some(&agent)).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.error_code(), "forbidden");
    let res = s
        .get(&format!("{base}?scope=everything"), Some(&admin))
        .await;
    assert_eq!(res.status, 422);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_from_and_to() {
    let s = start(config()).await;
    let sup = token(1, 2, AccountRole::Supervisor);
    let admin = token(1, 1, AccountRole::Admin);
    let mut times = Vec::new();
    for i in 0..4 {
        let res = s
            .json(
                Method::POST,
                "/api/v1/accounts/1/chat/rooms",
                Some(&sup),
                json!({"type": "room", "name": format!("r{i}"), "member_ids": []}),
            )
            .await;
        assert_eq!(res.status, 201);
        times.push(res.json()["created_at"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let audit = |q: String| {
        let admin = admin.clone();
        let s = &s;
        async move {
            let res = s
                .get(&format!("/api/v1/accounts/1/chat/audit{q}"), Some(&admin))
                .await;
            (res.status, res.json())
        }
    };
    let (status, body) = audit(format!("?from={}&to={}", enc(&times[1]), enc(&times[3]))).await;
    assert_eq!(status, 200);
    let got: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["created_at"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![times[2].as_str(), times[1].as_str()]);
    let (_, body) = audit(format!("?from={}", enc(&times[3]))).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let (_, body) = audit(format!("?to={}", enc(&times[0]))).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    // An offset is fine (it is the same instant).
    let (status, _) = audit("?from=2020-01-01T00:00:00%2B03:00".into()).await;
    assert_eq!(status, 200);
    for bad in [
        "?from=yesterday",
        "?to=2026-13-01T00:00:00Z",
        "?from=1700000000",
    ] {
        let (status, body) = audit(bad.into()).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["error"]["code"], "validation_failed");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_changes_are_audited_with_no_actor() {
    let s = start(config()).await;
    let admin = token(1, 1, AccountRole::Admin);
    let put_user = |body: Value| {
        let s = &s;
        async move {
            let res = s
                .json(
                    Method::PUT,
                    "/api/v1/accounts/1/chat/users/9",
                    Some(SERVICE_TOKEN),
                    body,
                )
                .await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
    };
    let log = || {
        let s = &s;
        let admin = admin.clone();
        async move {
            let res = s
                .get("/api/v1/accounts/1/chat/audit?limit=100", Some(&admin))
                .await;
            assert_eq!(res.status, 200);
            res.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["actor_id"].is_null())
                .cloned()
                .collect::<Vec<Value>>()
        }
    };
    put_user(json!({"name": "Rita", "role": "agent", "active": true})).await;
    put_user(json!({"name": "Rita", "role": "agent", "active": true})).await;
    put_user(json!({"name": "Rita Lee", "role": "agent", "active": true})).await;
    put_user(json!({"name": "Rita Lee", "role": "agent", "active": false})).await;
    put_user(json!({"name": "Rita Lee", "role": "agent", "active": true})).await;
    let ent = json!({"chat_enabled": true, "max_rooms": 5, "max_members_per_room": null});
    for _ in 0..2 {
        let res = s
            .json(
                Method::PUT,
                "/api/v1/accounts/1/chat/entitlements",
                Some(SERVICE_TOKEN),
                ent.clone(),
            )
            .await;
        assert_eq!(res.status, 200);
    }
    let entries = log().await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first; the second identical PUT of each wrote nothing. (The admin's own first
    // request records them in the directory, which is not the service's and not audited.)
    assert_eq!(
        actions,
        vec![
            "entitlements.updated",
            "user.reactivated",
            "user.deactivated",
            "user.updated",
            "user.provisioned"
        ]
    );
    for e in &entries {
        assert_eq!(e["metadata"]["actor"], "service");
        assert!(e.get("actor_id").is_some_and(Value::is_null));
    }
    assert_eq!(entries[1]["target_id"], "9");
    assert_eq!(entries[0]["target_id"], "1");
    s.stop().await;
}
