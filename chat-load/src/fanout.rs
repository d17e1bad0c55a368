//! The fan-out subscribers run in their own process (`chat-load subscribe`), so the cost of
//! a thousand sockets parsing every frame is not charged to the sender's process; send and
//! receive times are wall-clock nanoseconds of the same machine, carried in the message text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::client::{ws_connect, ws_next, Ws};

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

async fn drain(
    mut ws: Ws,
    room: String,
    want: usize,
    hist: Arc<Mutex<Histogram<u64>>>,
    delivered: Arc<AtomicU64>,
) {
    let mut got = 0;
    while got < want {
        let Some(e) = ws_next(&mut ws).await else {
            break;
        };
        if e["type"] != "message.created" || e["room_id"] != room.as_str() {
            continue;
        }
        let sent = e["data"]["content"]
            .as_str()
            .and_then(|c| c.strip_prefix("t="))
            .and_then(|n| n.parse::<u128>().ok());
        let Some(sent) = sent else { continue };
        got += 1;
        delivered.fetch_add(1, Ordering::Relaxed);
        let micros = now_nanos().saturating_sub(sent) / 1000;
        if let Ok(mut h) = hist.lock() {
            let _ = h.record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
        }
    }
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
    let hist = Arc::new(Mutex::new(crate::phases::histogram()));
    let delivered = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|ws| {
            tokio::spawn(drain(
                ws,
                room.clone(),
                want,
                hist.clone(),
                delivered.clone(),
            ))
        })
        .collect();
    let _ = tokio::time::timeout(timeout, futures_util::future::join_all(readers)).await;
    let h = hist.lock().map_err(|_| "histogram poisoned")?;
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
