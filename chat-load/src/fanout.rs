//! The fan-out subscribers run in their own process (`chat-load subscribe`), so the cost of
//! a thousand sockets parsing every frame is not charged to the sender's process; send and
//! receive times are wall-clock nanoseconds of the same machine, carried in the message text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{ws_connect, Ws};

/// What the subscriber process reports.
#[derive(Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// Events received that the run sent.
    pub delivered: u64,
    /// Send → receive latency, microseconds.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Worst.
    pub max_us: u64,
}

/// Wall-clock nanoseconds since the Unix epoch (the stamp in each fan-out message).
pub fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The few fields of an event frame the subscriber needs, borrowed from the frame: a full
/// parse of each of 100,000 frames a second into a `serde_json::Value` made the subscriber
/// process use twice the server's CPU, and the latency it measured was mostly its own.
#[derive(Deserialize)]
struct Stamped<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    room_id: Option<&'a str>,
    #[serde(borrow)]
    data: StampedData<'a>,
}

#[derive(Deserialize)]
struct StampedData<'a> {
    #[serde(borrow)]
    content: Option<&'a str>,
}

/// The send time stamped in a `message.created` frame of `room`, if it is one.
fn stamp(frame: &str, room: &str) -> Option<u128> {
    let e: Stamped<'_> = serde_json::from_str(frame).ok()?;
    if e.kind != "message.created" || e.room_id != Some(room) {
        return None;
    }
    e.data.content?.strip_prefix("t=")?.parse().ok()
}

/// Reads one socket until `want` stamped messages arrived or `deadline`; returns its own
/// histogram (merged at the end: no lock shared by a thousand readers).
async fn drain(
    mut ws: Ws,
    room: String,
    want: usize,
    deadline: tokio::time::Instant,
    delivered: Arc<AtomicU64>,
) -> Histogram<u64> {
    let mut hist = crate::phases::histogram();
    let mut got = 0;
    while got < want {
        let sent = match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => stamp(t.as_str(), &room),
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => break,
            Ok(Some(Ok(_))) => None,
        };
        let Some(sent) = sent else { continue };
        got += 1;
        delivered.fetch_add(1, Ordering::Relaxed);
        let micros = now_nanos().saturating_sub(sent) / 1000;
        let _ = hist.record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
    }
    hist
}

/// The child: connects one socket per token, prints `ready`, waits for `want` stamped
/// messages on each (at most `timeout`), then prints its [`Outcome`] as one JSON line.
pub async fn subscribe(
    addr: std::net::SocketAddr,
    account: i64,
    room: String,
    tokens: Vec<String>,
    want: usize,
    timeout: Duration,
) -> Result<(), String> {
    let mut sockets = Vec::with_capacity(tokens.len());
    for chunk in tokens.chunks(100) {
        let pending = chunk.iter().map(|t| ws_connect(addr, account, t, None));
        for ws in futures_util::future::join_all(pending).await {
            sockets.push(ws?);
        }
    }
    println!("ready");
    let delivered = Arc::new(AtomicU64::new(0));
    let deadline = tokio::time::Instant::now() + timeout;
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|ws| tokio::spawn(drain(ws, room.clone(), want, deadline, delivered.clone())))
        .collect();
    let mut h = crate::phases::histogram();
    for part in futures_util::future::join_all(readers)
        .await
        .into_iter()
        .flatten()
    {
        let _ = h.add(&part);
    }
    let outcome = Outcome {
        delivered: delivered.load(Ordering::Relaxed),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        max_us: h.max(),
    };
    println!(
        "{}",
        serde_json::to_string(&outcome).map_err(|e| e.to_string())?
    );
    Ok(())
}
