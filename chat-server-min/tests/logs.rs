//! One JSON log line per request with the contract's fields; never content or tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use chat_core::AccountRole;
use common::*;
use http::Method;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_lines_are_json_without_secrets() {
    let buffer = Buffer::default();
    let sink = buffer.clone();
    tracing::subscriber::set_global_default(chat_server_min::ops::log::subscriber(
        move || sink.clone(),
        "debug",
    ))
    .unwrap();

    let s = start(config()).await;
    let admin = token(1, 1, AccountRole::Admin);
    let secret_text = "TOP-SECRET-CONTENT-4711";
    let room = s
        .json(
            Method::POST,
            "/api/v1/accounts/1/chat/rooms",
            Some(&admin),
            json!({"type": "room", "name": "Logs"}),
        )
        .await;
    assert_eq!(room.status, 201);
    let id = room.json()["id"].as_str().unwrap().to_owned();
    let msg_path = format!("/api/v1/accounts/1/chat/rooms/{id}/messages");
    let sent = s
        .send(
            Method::POST,
            &msg_path,
            Some(&admin),
            Some(json!({"content": secret_text}).to_string().into_bytes()),
            &[("x-request-id", "log-test-1")],
        )
        .await;
    assert_eq!(sent.status, 201);
    // A refused one, echoing content in a type error, and an unauthenticated one.
    let bad = s
        .json(
            Method::POST,
            &msg_path,
            Some(&admin),
            json!({"content": [secret_text]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        s.get("/api/v1/accounts/1/chat/rooms", Some("garbage.token.here"))
            .await
            .status,
        401
    );
    assert_eq!(s.get("/healthz", None).await.status, 200);
    s.stop().await;

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(!text.contains(secret_text), "content leaked into logs");
    assert!(!text.contains(&admin), "token leaked into logs");
    assert!(
        !text.contains("garbage.token.here"),
        "token leaked into logs"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == chat_server_min::ops::log::ACCESS_TARGET)
        .collect();
    assert_eq!(access.len(), 5, "one line per request: {text}");
    for line in &access {
        for field in [
            "ts",
            "level",
            "request_id",
            "method",
            "route",
            "status",
            "latency_ms",
            "account_id",
            "user_id",
        ] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
        assert!(line["ts"].as_str().unwrap().ends_with('Z'));
        assert!(line["latency_ms"].is_number());
    }
    let sent_line = access
        .iter()
        .find(|l| l["request_id"] == "log-test-1")
        .unwrap();
    assert_eq!(sent_line["method"], "POST");
    assert_eq!(
        sent_line["route"],
        "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/messages"
    );
    assert_eq!(sent_line["status"], 201);
    assert_eq!(sent_line["account_id"], 1);
    assert_eq!(sent_line["user_id"], 1);
    let health = access.iter().find(|l| l["route"] == "/healthz").unwrap();
    assert_eq!(health["account_id"], Value::Null);
    assert_eq!(health["user_id"], Value::Null);
}
