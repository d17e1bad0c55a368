//! Test harness: the real server on 127.0.0.1:0 over a temporary SQLite store, a small HTTP
//! client, token forgery helpers and a database snapshot for "nothing changed" checks.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

pub mod export;
pub mod live;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use chat_core::{AccountId, AccountRole, Actor, Chat, Identity, UserId};
use chat_server_min::{Config, RateConfig};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &[u8] = b"test-secret-0123456789-abcdefghijklmnop";
pub const SERVICE_TOKEN: &str = "service-token-for-tests-0123";

pub struct Server {
    pub addr: SocketAddr,
    pub chat: Chat,
    pub db: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    pub task: Option<JoinHandle<std::io::Result<()>>>,
    _store: Arc<chat_sqlite::SqliteStore>,
}

/// A configuration with the service API on and rate limits out of the way.
pub fn config() -> Config {
    Config::new(SECRET)
        .unwrap()
        .with_service_token(SERVICE_TOKEN)
        .unwrap()
        .with_rate(RateConfig {
            user_per_sec: 10_000,
            user_burst: 10_000,
            account_per_sec: 10_000,
            account_burst: 10_000,
        })
        .unwrap()
}

pub async fn start(config: Config) -> Server {
    start_with(
        config,
        chat_core::presence::PresenceConfig::default(),
        chat_sqlite::Options::default(),
    )
    .await
}

/// [`start`] with presence timings and store options (event retention).
pub async fn start_with(
    config: Config,
    presence: chat_core::presence::PresenceConfig,
    options: chat_sqlite::Options,
) -> Server {
    let store = Arc::new(chat_sqlite::SqliteStore::open_temporary_with(&options).unwrap());
    let db = store.path().to_path_buf();
    let chat = Chat::with_options(
        store.clone(),
        Arc::new(chat_core::hub::LocalBus::default()),
        presence,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(chat_server_min::serve(
        listener,
        chat.clone(),
        config,
        async {
            let _ = rx.await;
        },
    ));
    Server {
        addr,
        chat,
        db,
        client: Client::builder(TokioExecutor::new()).build_http(),
        stop: Some(tx),
        task: Some(task),
        _store: store,
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
    /// The error code, after checking the error body's shape.
    pub fn error_code(&self) -> String {
        let v = self.json();
        let e = &v["error"];
        assert!(e["message"].is_string(), "{v}");
        assert_eq!(
            e["request_id"].as_str(),
            self.header("x-request-id").as_deref(),
            "request id in body and header"
        );
        e["code"].as_str().unwrap().to_owned()
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(self.url(path));
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .unwrap();
        let res = self.client.request(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Sends a GET and returns the response with its body unread (streams).
    pub async fn open(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> http::Response<hyper::body::Incoming> {
        let mut b = Request::builder().method(Method::GET).uri(self.url(path));
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(Bytes::new())).unwrap();
        self.client.request(req).await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Method::GET, path, token, None, &[]).await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: serde_json::Value,
    ) -> Resp {
        self.send(
            method,
            path,
            token,
            Some(body.to_string().into_bytes()),
            &[],
        )
        .await
    }

    /// Writes raw bytes on a fresh connection and returns everything read until the server
    /// closes it (or 5 s pass).
    pub async fn raw(&self, request: &[u8]) -> String {
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let _ = s.write_all(request).await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Triggers shutdown and waits for `serve` to return.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// Every table's rows (the directory without its `last_seen_at`-like churn: row count
    /// only), as text: equal snapshots mean nothing was written.
    pub fn snapshot(&self) -> String {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        tables.retain(|t| !t.starts_with("sqlite_"));
        let mut out = String::new();
        for t in tables {
            if t.contains("directory") {
                let n: i64 = conn
                    .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                    .unwrap();
                out.push_str(&format!("{t}: {n} rows\n"));
                continue;
            }
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let cols = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    let mut line = String::new();
                    for i in 0..cols {
                        let v: rusqlite::types::Value = r.get(i)?;
                        line.push_str(&format!("{v:?}|"));
                    }
                    Ok(line)
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            out.push_str(&format!("{t}:\n{}\n", rows.join("\n")));
        }
        out
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn token(account: i64, user: i64, role: AccountRole) -> String {
    chat_server_min::auth::mint(SECRET, account, user, role, None, Duration::from_secs(3600))
        .unwrap()
}

pub fn token_bad_signature(account: i64, user: i64, role: AccountRole) -> String {
    chat_server_min::auth::mint(
        b"not-the-secret-not-the-secret-not-the",
        account,
        user,
        role,
        None,
        Duration::from_secs(3600),
    )
    .unwrap()
}

pub fn token_alg_none(account: i64, user: i64, role: AccountRole) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "sub": user.to_string(), "account_id": account, "role": role.as_str(),
        "exp": now_secs() + 3600,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.")
}

pub fn token_expired(account: i64, user: i64, role: AccountRole) -> String {
    let claims = chat_server_min::auth::Claims {
        sub: user.to_string(),
        account_id: account,
        role: role.as_str().to_owned(),
        exp: now_secs() - 3600,
        name: None,
        iss: None,
        aud: None,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// A correctly signed token whose `nbf` is an hour ahead (beyond any leeway).
pub fn token_not_yet_valid(account: i64, user: i64, role: AccountRole) -> String {
    let claims = serde_json::json!({
        "sub": user.to_string(), "account_id": account, "role": role.as_str(),
        "exp": now_secs() + 7200, "nbf": now_secs() + 3600,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// Provisions `user` and admits them, as the host platform and a first request would.
pub async fn user(chat: &Chat, account: i64, user: i64, role: AccountRole) -> Actor {
    chat.provision_user(AccountId(account), UserId(user), None, role, true)
        .await
        .unwrap();
    chat.enter(Identity {
        account: AccountId(account),
        user: UserId(user),
        role,
        name: None,
    })
    .await
    .unwrap()
}
