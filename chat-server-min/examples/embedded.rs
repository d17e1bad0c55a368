//! Hosting the chat API inside another tokio program, with its own store and its own
//! shutdown signal: the host provisions a user, mints a token, calls the API once and stops
//! the server gracefully.
//!
//! `cargo run -p chat-server-min --example embedded`

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chat_core::{AccountId, AccountRole, Chat, UserId};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host's own store and secret.
    let store = chat_sqlite::SqliteStore::open_temporary()?;
    let chat = Chat::new(Arc::new(store));
    let secret = b"host-platform-secret-at-least-32-bytes!!".to_vec();
    let config = chat_server_min::Config::new(secret.clone())?;

    // The host provisions its users through the library directly.
    chat.provision_user(
        AccountId(1),
        UserId(42),
        Some("Grace"),
        AccountRole::Admin,
        true,
    )
    .await?;

    // Serve on an ephemeral port until the host says stop.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(chat_server_min::serve(listener, chat, config, async {
        let _ = stopped.await;
    }));

    // Call it like a front end would.
    let token = chat_server_min::auth::mint(
        &secret,
        1,
        42,
        AccountRole::Admin,
        Some("Grace"),
        Duration::from_secs(600),
    )?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let req = http::Request::get(format!("http://{addr}/api/v1/accounts/1/chat/rooms"))
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())?;
    let res = client.request(req).await?;
    println!("GET /rooms -> {}", res.status());
    let body = res.into_body().collect().await?.to_bytes();
    println!("{}", String::from_utf8_lossy(&body));

    // Graceful stop: in-flight requests finish, then `serve` returns.
    let _ = stop.send(());
    server.await??;
    Ok(())
}
