//! Mounting the whole chat API — REST and realtime — in a host's own axum router, under
//! `/chat`, next to the host's own routes, on the host's listener. The host makes one
//! authenticated request and opens one WebSocket through the prefix, then stops.
//!
//! `cargo run -p chat-server-min --example axum_host` (exits 0 when everything answered)

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use bytes::Bytes;
use chat_core::{AccountId, AccountRole, Chat, UserId};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The host's own store and secret.
    let chat = Chat::new(Arc::new(chat_sqlite::SqliteStore::open_temporary()?));
    let secret = b"host-platform-secret-at-least-32-bytes!!".to_vec();
    let config = chat_server_min::Config::new(secret.clone())?;
    chat.provision_user(
        AccountId(1),
        UserId(42),
        Some("Grace"),
        AccountRole::Admin,
        true,
    )
    .await?;

    // The chat API is one service; axum strips `/chat` before handing requests to it.
    let chat_api = chat_server_min::ChatService::new(chat, config)?;
    let host = axum::Router::new()
        .route("/", get(|| async { "the host's own page" }))
        .nest_service("/chat", chat_api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, host)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );

    let token = chat_server_min::auth::mint(
        &secret,
        1,
        42,
        AccountRole::Admin,
        Some("Grace"),
        Duration::from_secs(600),
    )?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();

    // The host's own route still answers.
    let res = client.get(format!("http://{addr}/").parse()?).await?;
    check(res.status() == 200, "GET / (the host's route)")?;

    // One authenticated REST request through the prefix.
    let req = http::Request::get(format!("http://{addr}/chat/api/v1/accounts/1/chat/rooms"))
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())?;
    let res = client.request(req).await?;
    let status = res.status();
    let body = res.into_body().collect().await?.to_bytes();
    println!("GET /chat/api/v1/accounts/1/chat/rooms -> {status}");
    check(status == 200, "GET rooms through /chat")?;
    check(body.starts_with(b"{\"items\":"), "a page of rooms")?;

    // One WebSocket through the prefix: the upgrade rides on axum's hyper connection.
    let mut req = format!("ws://{addr}/chat/api/v1/accounts/1/chat/ws").into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await?;
    println!(
        "WebSocket /chat/api/v1/accounts/1/chat/ws -> {}",
        res.status()
    );
    ws.send(Message::text(r#"{"type":"ping"}"#)).await?;
    // Events (our own presence going online) may come first; the pong follows.
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(frame) = ws.next().await {
            if let Message::Text(text) = frame? {
                println!("  frame: {text}");
                if text.as_str() == r#"{"type":"pong"}"# {
                    return Ok::<_, Error>(());
                }
            }
        }
        Err("the WebSocket closed before the pong".into())
    })
    .await??;
    ws.close(None).await?;

    // Stop: realtime clients are told `going_away`, then the host's server drains.
    tokio::time::timeout(Duration::from_secs(5), chat_api.shutdown()).await?;
    let _ = stop.send(());
    server.await??;
    Ok(())
}

fn check(ok: bool, what: &str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(format!("failed: {what}").into())
    }
}
