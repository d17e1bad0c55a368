//! Operations and cross-cutting behaviour: OpenAPI ↔ router, health, metrics, request ids,
//! unknown paths and methods, the service API and its guards, deactivation, entitlements,
//! graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chat_core::{AccountRole, NewRoom, RoomType};
use common::*;
use http::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn openapi_documents_exactly_the_router() {
    let s = start(config()).await;
    let res = s.get("/api/v1/openapi.json", None).await;
    assert_eq!(res.status, 200);
    let doc = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = chat_server_min::routes::list()
        .into_iter()
        // matchit's catch-all `{*path}` is OpenAPI's `{path}`.
        .map(|(m, p)| (m, p.replace("{*", "{")))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes without documentation: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
    // Every $ref resolves.
    let text = res.text();
    for piece in text.split("\"$ref\": \"#/").skip(1) {
        let pointer = format!("/{}", &piece[..piece.find('"').unwrap()]);
        assert!(doc.pointer(&pointer).is_some(), "dangling $ref {pointer}");
    }
    s.stop().await;
}

#[tokio::test]
async fn health_metrics_request_ids_and_unknown_routes() {
    let s = start(config()).await;
    let res = s.get("/healthz", None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({"status": "ok"}));
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        res.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );

    // Request ids: kept when sane, replaced otherwise, present on errors too.
    let res = s
        .send(
            Method::GET,
            "/healthz",
            None,
            None,
            &[("x-request-id", "abc.DEF_12-3")],
        )
        .await;
    assert_eq!(res.header("x-request-id").as_deref(), Some("abc.DEF_12-3"));
    let long = "a".repeat(65);
    for bad in ["has space", "semi;colon", long.as_str()] {
        let res = s
            .send(
                Method::GET,
                "/healthz",
                None,
                None,
                &[("x-request-id", bad)],
            )
            .await;
        let id = res.header("x-request-id").unwrap();
        assert_ne!(id, bad);
        assert!(!id.is_empty() && id.len() <= 64);
    }
    let res = s
        .send(
            Method::GET,
            "/api/v1/accounts/1/chat/rooms",
            None,
            None,
            &[("x-request-id", "trace-me")],
        )
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["error"]["request_id"], "trace-me");

    let res = s.get("/nope", None).await;
    assert_eq!(res.status, 404);
    assert_eq!(res.error_code(), "not_found");
    let res = s
        .send(
            Method::PUT,
            "/api/v1/accounts/1/chat/rooms",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(res.status, 405);
    assert_eq!(res.error_code(), "method_not_allowed");
    assert_eq!(res.header("allow").as_deref(), Some("GET, POST"));

    // A room and a message show up in the metrics; labels are route templates.
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let _ = admin;
    let t = token(1, 1, AccountRole::Admin);
    let room = s
        .json(
            Method::POST,
            "/api/v1/accounts/1/chat/rooms",
            Some(&t),
            json!({"type": "room", "name": "M"}),
        )
        .await;
    assert_eq!(room.status, 201);
    let id = room.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/accounts/1/chat/rooms/{id}/messages");
    let sent = s
        .json(
            Method::POST,
            &path,
            Some(&t),
            json!({"content": "x", "client_id": "k"}),
        )
        .await;
    assert_eq!(sent.status, 201);
    let again = s
        .json(
            Method::POST,
            &path,
            Some(&t),
            json!({"content": "x", "client_id": "k"}),
        )
        .await;
    assert_eq!(again.status, 200, "idempotent replay");
    assert_eq!(again.json()["id"], sent.json()["id"]);
    let metrics = s.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(text.contains("chat_messages_total 1\n"), "{text}");
    assert!(text.contains("chat_rooms_created_total{type=\"room\"} 1\n"));
    assert!(text.contains(
        "chat_http_requests_total{method=\"POST\",route=\"/api/v1/accounts/{account_id}/chat/rooms/{room_id}/messages\",status=\"201\"} 1\n"
    ));
    assert!(text.contains("chat_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",status=\"200\""));
    assert!(text.contains("route=\"unmatched\""));
    assert!(!text.contains(&id), "raw paths never become labels");
    s.stop().await;
}

#[tokio::test]
async fn service_api_guards_and_effects() {
    let s = start(config()).await;
    let base = "/api/v1/accounts/5/chat";
    let body = json!({"name": "Nia", "role": "agent", "active": true});
    let admin = token(5, 1, AccountRole::Admin);
    // User tokens, no token and a wrong service token are all 401.
    for tok in [
        None,
        Some(admin.as_str()),
        Some("service-token-for-tests-0124"),
        Some("x"),
    ] {
        let res = s
            .json(Method::PUT, &format!("{base}/users/7"), tok, body.clone())
            .await;
        assert_eq!(res.status, 401, "{tok:?}");
        assert_eq!(res.error_code(), "unauthorized");
        let res = s.get(&format!("{base}/entitlements"), tok).await;
        assert_eq!(res.status, 401);
    }
    let res = s
        .json(
            Method::PUT,
            &format!("{base}/users/7"),
            Some(SERVICE_TOKEN),
            body,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["user_id"], 7);
    assert_eq!(res.json()["active"], true);
    let res = s
        .get(&format!("{base}/entitlements"), Some(SERVICE_TOKEN))
        .await;
    assert_eq!(
        res.json(),
        json!({"chat_enabled": true, "max_rooms": null, "max_members_per_room": null})
    );

    // Deactivation: the user's tokens get 403 user_deactivated.
    let agent = token(5, 7, AccountRole::Agent);
    assert_eq!(
        s.get(&format!("{base}/rooms"), Some(&agent)).await.status,
        200
    );
    let res = s
        .json(
            Method::PUT,
            &format!("{base}/users/7"),
            Some(SERVICE_TOKEN),
            json!({"role": "agent", "active": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = s.get(&format!("{base}/rooms"), Some(&agent)).await;
    assert_eq!(res.status, 403);
    assert_eq!(res.error_code(), "user_deactivated");

    // max_rooms: exceeding it is 403 entitlement_denied naming the limit.
    let res = s
        .json(
            Method::PUT,
            &format!("{base}/entitlements"),
            Some(SERVICE_TOKEN),
            json!({"chat_enabled": true, "max_rooms": 1, "max_members_per_room": null}),
        )
        .await;
    assert_eq!(res.status, 200);
    let room = json!({"type": "room", "name": "One"});
    assert_eq!(
        s.json(
            Method::POST,
            &format!("{base}/rooms"),
            Some(&admin),
            room.clone()
        )
        .await
        .status,
        201
    );
    let res = s
        .json(Method::POST, &format!("{base}/rooms"), Some(&admin), room)
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(res.error_code(), "entitlement_denied");
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("max_rooms"));

    // chat_enabled false: every user route of the account is 403 entitlement_denied.
    let res = s
        .json(
            Method::PUT,
            &format!("{base}/entitlements"),
            Some(SERVICE_TOKEN),
            json!({"chat_enabled": false, "max_rooms": null, "max_members_per_room": null}),
        )
        .await;
    assert_eq!(res.status, 200);
    for path in ["rooms", "unread", "audit"] {
        let res = s.get(&format!("{base}/{path}"), Some(&admin)).await;
        assert_eq!(res.status, 403, "{path}");
        assert_eq!(res.error_code(), "entitlement_denied");
    }
    // Other accounts are unaffected.
    assert_eq!(
        s.get(
            "/api/v1/accounts/6/chat/rooms",
            Some(&token(6, 1, AccountRole::Admin))
        )
        .await
        .status,
        200
    );
    s.stop().await;

    // Without CHAT_SERVICE_TOKEN the service routes do not exist.
    let s = start(chat_server_min::Config::new(SECRET).unwrap()).await;
    let res = s
        .get(&format!("{base}/entitlements"), Some(SERVICE_TOKEN))
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(res.error_code(), "not_found");
    s.stop().await;
}

#[tokio::test]
async fn dm_create_is_201_then_200() {
    let s = start(config()).await;
    let a = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let _b = user(&s.chat, 1, 4, AccountRole::Agent).await;
    let _ = s
        .chat
        .create_room(
            &a,
            NewRoom {
                kind: RoomType::Room,
                name: Some("x".into()),
                member_ids: vec![],
            },
        )
        .await
        .expect_err("agents cannot create rooms");
    let t3 = token(1, 3, AccountRole::Agent);
    let t4 = token(1, 4, AccountRole::Agent);
    let first = s
        .json(
            Method::POST,
            "/api/v1/accounts/1/chat/rooms",
            Some(&t3),
            json!({"type": "dm", "member_ids": [4]}),
        )
        .await;
    assert_eq!(first.status, 201);
    let second = s
        .json(
            Method::POST,
            "/api/v1/accounts/1/chat/rooms",
            Some(&t4),
            json!({"type": "dm", "member_ids": [3]}),
        )
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(first.json()["name"], serde_json::Value::Null);
    // The audit log spells actions as the contract does. (The provisioning of the users is
    // audited too, as the service's: `actor_id` null.)
    user(&s.chat, 1, 1, AccountRole::Admin).await;
    let audit = s
        .get(
            "/api/v1/accounts/1/chat/audit?action=room.created",
            Some(&token(1, 1, AccountRole::Admin)),
        )
        .await;
    assert_eq!(audit.status, 200);
    let items = audit.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["action"], "room.created");
    assert_eq!(items[0]["target_id"], first.json()["id"]);
    assert_eq!(items[0]["actor_id"], 3);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests() {
    let s = start(config()).await;
    // A request whose body is still arriving when shutdown starts.
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let body = br#"{"type":"dm","member_ids":[4]}"#;
    let head = format!(
        "POST /api/v1/accounts/1/chat/rooms HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-length: {}\r\n\r\n",
        token(1, 3, AccountRole::Agent),
        body.len()
    );
    user(&s.chat, 1, 4, AccountRole::Agent).await;
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = s.addr;
    let stopping = tokio::spawn(s.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New connections are refused once the listener is closed.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    conn.write_all(&body[10..]).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 201"), "{text}");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn serve_refuses_an_invalid_config() {
    let mut config = config();
    config.jwt_secret = b"too-short".to_vec();
    let store = chat_sqlite::SqliteStore::open_temporary().unwrap();
    let chat = chat_core::Chat::new(std::sync::Arc::new(store));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = chat_server_min::serve(listener, chat, config, std::future::pending())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn audit_entries_carry_the_request_id_and_the_contract_spelling() {
    let s = start(config()).await;
    let sup = token(1, 2, AccountRole::Supervisor);
    let admin = token(1, 1, AccountRole::Admin);
    let body =
        serde_json::to_vec(&json!({"type": "room", "name": "Ops", "member_ids": []})).unwrap();
    let res = s
        .send(
            Method::POST,
            "/api/v1/accounts/1/chat/rooms",
            Some(&sup),
            Some(body),
            &[("x-request-id", "trace-audit-42")],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let audit = s.get("/api/v1/accounts/1/chat/audit", Some(&admin)).await;
    assert_eq!(audit.status, 200);
    let entry = &audit.json()["items"][0];
    assert_eq!(entry["action"], "room.created");
    assert_eq!(entry["metadata"]["request_id"], "trace-audit-42");
    s.stop().await;
}
