//! Realtime clients for the black-box tests: a real WebSocket client (tokio-tungstenite) and
//! an SSE client reading the chunked body, behind one `Client` type.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::Method;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Resp, Server};

pub type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client.
pub struct Ws {
    pub stream: WsStream,
}

/// What a client saw next.
#[derive(Debug)]
pub enum Got {
    /// A JSON object (an event, or a control frame like pong/error).
    Json(Value),
    /// The server closed the WebSocket (with its close frame, if any).
    Closed(Option<(u16, String)>),
    /// The SSE stream ended; the last `event: error` payload, if one came.
    Ended,
    /// Nothing within the time allowed.
    Timeout,
}

impl Server {
    pub fn base(&self, account: i64) -> String {
        format!("/api/v1/accounts/{account}/chat")
    }

    /// A ticket for `token`'s user in `account`.
    pub async fn ticket(&self, account: i64, token: &str) -> String {
        let res = self
            .send(
                Method::POST,
                &format!("{}/realtime/ticket", self.base(account)),
                Some(token),
                None,
                &[],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()["ticket"].as_str().unwrap().to_owned()
    }

    /// Opens `/ws` with `query` (e.g. `?since=3`), an optional bearer token and headers.
    /// A refusal comes back as the HTTP response.
    pub async fn ws(
        &self,
        account: i64,
        query: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Ws, Resp> {
        let url = format!("ws://{}{}/ws{query}", self.addr, self.base(account));
        let mut req = url.into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        for (k, v) in headers {
            req.headers_mut().insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((stream, res)) => {
                assert_eq!(res.status(), 101);
                Ok(Ws { stream })
            }
            Err(WsError::Http(res)) => {
                let (parts, body) = res.into_parts();
                Err(Resp {
                    status: parts.status.as_u16(),
                    headers: parts.headers,
                    body: body.unwrap_or_default().into(),
                })
            }
            Err(e) => panic!("WebSocket connect failed: {e}"),
        }
    }

    /// Opens `/events` with `query`, an optional bearer token and headers.
    pub async fn sse(
        &self,
        account: i64,
        query: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Sse, Resp> {
        let path = format!("{}/events{query}", self.base(account));
        let res = self.open(&path, token, headers).await;
        let status = res.status().as_u16();
        if status != 200 {
            let headers = res.headers().clone();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            return Err(Resp {
                status,
                headers,
                body,
            });
        }
        assert_eq!(
            res.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Ok(Sse {
            body: res.into_body(),
            buf: String::new(),
            ended: false,
            comments: 0,
        })
    }
}

impl Ws {
    /// The next JSON text frame (pings and pongs skipped), a close, or a timeout.
    pub async fn recv(&mut self, within: Duration) -> Got {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next()).await;
            match next {
                Err(_) => return Got::Timeout,
                Ok(None) => return Got::Closed(None),
                Ok(Some(Err(_))) => return Got::Closed(None),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Got::Json(serde_json::from_str(t.as_str()).unwrap())
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Got::Closed(frame.map(|CloseFrame { code, reason }| {
                        (u16::from(code), reason.as_str().to_owned())
                    }))
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn send_json(&mut self, v: Value) {
        self.stream
            .send(Message::text(v.to_string()))
            .await
            .unwrap();
    }

    /// Waits for the server's close frame (skipping events), returning its code and reason.
    pub async fn closed(&mut self, within: Duration) -> Option<(u16, String)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv(left).await {
                Got::Json(_) => {}
                Got::Closed(frame) => return frame,
                Got::Timeout => panic!("the server did not close the WebSocket in time"),
                Got::Ended => unreachable!(),
            }
        }
    }
}

/// An SSE client over the chunked response body.
pub struct Sse {
    body: hyper::body::Incoming,
    buf: String,
    ended: bool,
    /// Comment lines seen (`: ok`, `: heartbeat`).
    pub comments: usize,
}

impl Sse {
    /// The next event (`data` as JSON, checked against `id:` and `event:`), the end of the
    /// stream, or a timeout. An `event: error` comes back as its JSON with `"type":"error"`.
    pub async fn recv(&mut self, within: Duration) -> Got {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let (mut id, mut event, mut data) = (None, None, None);
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.parse::<i64>().unwrap());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        assert!(data.is_none(), "one data line per event: {block}");
                        data = Some(serde_json::from_str::<Value>(v).unwrap());
                    } else if !line.is_empty() {
                        panic!("unexpected SSE line {line:?}");
                    }
                }
                let Some(data) = data else { continue };
                let event = event.expect("every event has a type");
                if event == "error" {
                    assert_eq!(data["type"], "error");
                } else {
                    assert_eq!(data["type"], event.as_str());
                    assert_eq!(data["id"].as_i64(), id, "id: line matches the event id");
                }
                return Got::Json(data);
            }
            if self.ended {
                return Got::Ended;
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return Got::Timeout,
                Ok(None) | Ok(Some(Err(_))) => self.ended = true,
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.push_str(std::str::from_utf8(&data).unwrap());
                    }
                }
            }
        }
    }
}

/// Either transport, for tests that run over both.
#[allow(clippy::large_enum_variant)]
pub enum Client {
    Ws(Ws),
    Sse(Sse),
}

/// Ephemeral event types (no id).
pub fn is_ephemeral(v: &Value) -> bool {
    matches!(
        v["type"].as_str(),
        Some("presence.changed" | "typing" | "resync_required")
    )
}

impl Client {
    pub async fn recv(&mut self, within: Duration) -> Got {
        match self {
            Client::Ws(ws) => ws.recv(within).await,
            Client::Sse(sse) => sse.recv(within).await,
        }
    }

    /// Events (control frames and `presence.changed`/`typing` skipped unless `keep`
    /// says otherwise) until one matches `stop` (included), or panics after `within`.
    pub async fn until(
        &mut self,
        within: Duration,
        keep: impl Fn(&Value) -> bool,
        stop: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + within;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv(left).await {
                Got::Json(v) => {
                    let done = stop(&v);
                    if done || keep(&v) {
                        out.push(v);
                    }
                    if done {
                        return out;
                    }
                }
                other => panic!(
                    "stream ended or timed out before the awaited event: {other:?}; got {out:?}"
                ),
            }
        }
    }

    /// Durable events until one matches `stop` (included).
    pub async fn durable_until(&mut self, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.until(
            Duration::from_secs(20),
            |v| v["type"] != "error" && v["type"] != "pong" && !is_ephemeral(v),
            stop,
        )
        .await
    }
}

/// `{"type":"ping"}` etc.
pub fn frame(kind: &str) -> Value {
    json!({ "type": kind })
}
