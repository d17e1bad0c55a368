//! `ChatService` mounted by a plain hyper host under a prefix: routing through the prefix,
//! paths outside it, the WebSocket upgrade, and the host's own shutdown of realtime clients.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chat_core::{AccountRole, Chat};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "service-test-secret-0123456789abcdefgh";

#[tokio::test]
async fn a_hyper_host_mounts_the_api_under_a_prefix() {
    let chat = Chat::new(Arc::new(
        chat_sqlite::SqliteStore::open_temporary().unwrap(),
    ));
    let config = chat_server_min::Config::new(SECRET).unwrap();
    let service = chat_server_min::ChatService::new(chat, config)
        .unwrap()
        .with_prefix("/chat/");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The host's accept loop: its own listener, our service per connection.
    tokio::spawn({
        let service = service.clone();
        async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service.clone())
                    .with_upgrades();
                tokio::spawn(conn);
            }
        }
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let get = |path: &str| {
        let uri = format!("http://{addr}{path}").parse().unwrap();
        let client = client.clone();
        async move {
            let res = client.get(uri).await.unwrap();
            let status = res.status().as_u16();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    assert_eq!(
        get("/chat/healthz").await,
        (200, r#"{"status":"ok"}"#.into())
    );
    let (status, body) = get("/chat/api/v1/openapi.json?x=1").await;
    assert_eq!(status, 200, "{body}");
    for outside in ["/healthz", "/chatter/healthz"] {
        let (status, body) = get(outside).await;
        assert_eq!(status, 404, "{outside}");
        assert!(body.contains("\"not_found\""), "{body}");
    }

    let token = chat_server_min::auth::mint(
        SECRET.as_bytes(),
        1,
        3,
        AccountRole::Agent,
        None,
        Duration::from_secs(600),
    )
    .unwrap();
    let mut req = format!("ws://{addr}/chat/api/v1/accounts/1/chat/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(res.status(), 101);
    let connections = |s: &chat_server_min::ChatService| {
        s.app()
            .realtime
            .connections_of(chat_core::AccountId(1), chat_core::UserId(3))
    };
    assert_eq!(connections(&service), 1);

    // The host stops: the client is told `going_away` (1001), and shutdown completes once
    // the connection is gone.
    let stopping = tokio::spawn({
        let service = service.clone();
        async move { service.shutdown().await }
    });
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Close(frame) = frame {
                return frame;
            }
        }
        None
    })
    .await
    .unwrap()
    .expect("a close frame");
    assert_eq!(u16::from(close.code), 1001);
    drop(ws);
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(connections(&service), 0);
}
