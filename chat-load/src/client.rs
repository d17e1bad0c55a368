//! HTTP and WebSocket clients for the load.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A pooled HTTP/1.1 keep-alive client.
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    /// A client keeping up to `connections` idle connections per host.
    pub fn new(connections: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Self { client }
    }

    /// Sends a request; returns the status and body.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Bytes), String> {
        let mut b = Request::builder().method(method).uri(url);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        let payload = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(v).map_err(|e| e.to_string())?)
            }
            None => Bytes::new(),
        };
        let req = b.body(Full::new(payload)).map_err(|e| e.to_string())?;
        let exchange = async {
            let res = self.client.request(req).await.map_err(|e| e.to_string())?;
            let status = res.status().as_u16();
            let body = res
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
    }

    /// `GET`.
    pub async fn get(&self, url: &str, token: Option<&str>) -> Result<(u16, Bytes), String> {
        self.send(Method::GET, url, token, None).await
    }
}

/// Longest wait for one HTTP exchange (request sent, whole body received).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a WebSocket handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait for the next frame in [`ws_next`] (the server pings every 30 s).
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(40);

/// A WebSocket stream.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the event WebSocket of an account as a user (Bearer auth), resuming after `since`.
pub async fn ws_connect(
    addr: std::net::SocketAddr,
    account: i64,
    token: &str,
    since: Option<i64>,
) -> Result<Ws, String> {
    let mut url = format!("ws://{addr}/api/v1/accounts/{account}/chat/ws");
    if let Some(n) = since {
        url.push_str(&format!("?since={n}"));
    }
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| "token is not a header value".to_owned())?;
    req.headers_mut().insert("authorization", bearer);
    let (ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(req))
        .await
        .map_err(|_| format!("WebSocket not open within {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// The next JSON event from a WebSocket (skipping pings and non-JSON frames); `None` when
/// the socket closes or no frame arrives within [`FRAME_TIMEOUT`].
pub async fn ws_next(ws: &mut Ws) -> Option<serde_json::Value> {
    while let Ok(Some(frame)) = tokio::time::timeout(FRAME_TIMEOUT, ws.next()).await {
        match frame {
            Ok(Message::Text(t)) => {
                if let Ok(v) = serde_json::from_str(t.as_str()) {
                    return Some(v);
                }
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    None
}
