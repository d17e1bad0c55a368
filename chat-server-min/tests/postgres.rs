//! The server on PostgreSQL (`CHAT_DATABASE_URL`), black box: two server processes on one
//! fresh database act as one chat — a room created through one and a message sent through
//! the other are read back through the first — and a database that was never migrated is
//! refused at start with a clear message. Needs PostgreSQL as `CHAT_TEST_PG` (default
//! `host=127.0.0.1 port=5432 user=postgres dbname=test`, a superuser; docs/postgres.md).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const BIN: &str = env!("CARGO_BIN_EXE_chat-server-min");
const SECRET: &str = "pg-test-secret-0123456789abcdefghijkl";
const APP_ROLE: &str = "chat_app";

fn admin_url() -> String {
    std::env::var("CHAT_TEST_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_owned())
}

async fn sql(url: &str, statements: &str) {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c.batch_execute(statements)
        .await
        .unwrap_or_else(|e| panic!("{statements}: {e:?}"));
}

/// A fresh database (dropped on drop), optionally migrated for the application role.
struct Db(String);

impl Db {
    async fn create(migrate: bool) -> Self {
        let name = format!("chat_srv_{}", uuid::Uuid::now_v7().simple());
        let admin = admin_url();
        let (c, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        // Another test process may have created the role already.
        let _ = c
            .batch_execute(&format!(
                "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"
            ))
            .await;
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        if migrate {
            chat_postgres::PgStore::migrate(
                &format!("{admin} dbname={name}"),
                &chat_postgres::Options::default(),
                Some(APP_ROLE),
            )
            .await
            .unwrap();
        }
        Self(name)
    }

    fn app_url(&self) -> String {
        format!("{} dbname={} user={APP_ROLE}", admin_url(), self.0)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let name = self.0.clone();
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(sql(
                    &admin_url(),
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
        })
        .join()
        .unwrap();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn server(db: &Db, port: u16) -> Child {
    Command::new(BIN)
        .env_remove("CHAT_DB")
        .env("CHAT_JWT_SECRET", SECRET)
        .env("CHAT_DATABASE_URL", db.app_url())
        .env("CHAT_DATABASE_POOL_SIZE", "4")
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn token(user: i64, role: &str) -> String {
    let out = Command::new(BIN)
        .env("CHAT_JWT_SECRET", SECRET)
        .args([
            "token",
            "--account",
            "7",
            "--user",
            &user.to_string(),
            "--role",
            role,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn call(
    http: &Http,
    method: &str,
    url: String,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .unwrap();
    let resp = http.request(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

async fn wait_ready(http: &Http, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let req = http::Request::get(format!("http://127.0.0.1:{port}/healthz"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        if let Ok(r) = http.request(req).await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "server on {port} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_are_one_chat() {
    let db = Db::create(true).await;
    let (pa, pb) = (free_port(), free_port());
    let (mut a, mut b) = (server(&db, pa), server(&db, pb));
    let http: Http = Client::builder(TokioExecutor::new()).build_http();
    wait_ready(&http, pa).await;
    wait_ready(&http, pb).await;
    let admin = token(12, "admin");
    let base = |port: u16| format!("http://127.0.0.1:{port}/api/v1/accounts/7/chat");

    let (status, room) = call(
        &http,
        "POST",
        format!("{}/rooms", base(pa)),
        &admin,
        Some(serde_json::json!({ "type": "room", "name": "across", "member_ids": [] })),
    )
    .await;
    assert_eq!(status, 201, "{room}");
    let room_id = room["id"].as_str().unwrap().to_owned();
    let (status, sent) = call(
        &http,
        "POST",
        format!("{}/rooms/{room_id}/messages", base(pb)),
        &admin,
        Some(serde_json::json!({ "content": "sent through B" })),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let (status, page) = call(
        &http,
        "GET",
        format!("{}/rooms/{room_id}/messages", base(pa)),
        &admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let contents: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["sent through B"]);
    // Another account's token sees nothing of it through either server.
    let other = Command::new(BIN)
        .env("CHAT_JWT_SECRET", SECRET)
        .args(["token", "--account", "8", "--user", "12", "--role", "admin"])
        .output()
        .unwrap();
    let other = String::from_utf8(other.stdout).unwrap().trim().to_owned();
    let (status, _) = call(
        &http,
        "GET",
        format!("http://127.0.0.1:{pb}/api/v1/accounts/8/chat/rooms/{room_id}/messages"),
        &other,
        None,
    )
    .await;
    assert_eq!(status, 404);
    for s in [&mut a, &mut b] {
        s.kill().unwrap();
        s.wait().unwrap();
    }
}

#[tokio::test]
async fn a_database_that_was_never_migrated_is_refused_at_start() {
    let db = Db::create(false).await;
    let out = Command::new(BIN)
        .env_remove("CHAT_DB")
        .env("CHAT_JWT_SECRET", SECRET)
        .env("CHAT_DATABASE_URL", db.app_url())
        .args(["--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot open the database") && err.contains("run the migration"),
        "{err}"
    );
}
