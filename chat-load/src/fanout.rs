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
    /// From the first connection until the sockets went quiet (see [`subscribe`]).
    pub settle_ms: u64,
    /// Frames received before the first stamped message (the connect storm).
    pub settle_frames: u64,
}

/// How long every socket must have been quiet before the subscribers report `ready`.
const QUIET: Duration = Duration::from_millis(500);

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
    counts: Arc<Counts>,
) -> Histogram<u64> {
    let mut hist = crate::phases::histogram();
    let mut got = 0;
    while got < want {
        let sent = match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => stamp(t.as_str(), &room),
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) | Err(_) => break,
            Ok(Some(Ok(_))) => None,
        };
        let Some(sent) = sent else {
            counts.frame();
            continue;
        };
        got += 1;
        counts.delivered.fetch_add(1, Ordering::Relaxed);
        let micros = now_nanos().saturating_sub(sent) / 1000;
        let _ = hist.record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
    }
    hist
}

/// What the readers count together.
#[derive(Default)]
struct Counts {
    delivered: AtomicU64,
    /// Other frames (presence changes, mostly), and when the last one arrived.
    other: AtomicU64,
    last_other_nanos: AtomicU64,
}

impl Counts {
    fn frame(&self) {
        self.other.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(now_nanos()).unwrap_or(u64::MAX);
        self.last_other_nanos.store(now, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let last = u128::from(self.last_other_nanos.load(Ordering::Relaxed));
        Duration::from_nanos(u64::try_from(now_nanos().saturating_sub(last)).unwrap_or(u64::MAX))
    }
}

/// The child: connects one socket per token, reads them all until they have been quiet for
/// [`QUIET`], prints `ready`, waits for `want` stamped messages on each (at most `timeout`),
/// then prints its [`Outcome`] as one JSON line.
///
/// Every connection is a presence change that every other subscriber of the account
/// receives: a thousand connects are a million frames. Measuring send→delivery while that
/// storm drains would measure the storm (it was the whole p99: the first three messages
/// waited behind it, every later one did not), so it is waited out and reported apart.
pub async fn subscribe(
    addr: std::net::SocketAddr,
    account: i64,
    room: String,
    tokens: Vec<String>,
    want: usize,
    timeout: Duration,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let counts = Arc::new(Counts::default());
    let now = u64::try_from(now_nanos()).unwrap_or(u64::MAX);
    counts.last_other_nanos.store(now, Ordering::Relaxed);
    let mut readers = Vec::with_capacity(tokens.len());
    for chunk in tokens.chunks(100) {
        let pending = chunk.iter().map(|t| ws_connect(addr, account, t, None));
        for ws in futures_util::future::join_all(pending).await {
            let drain = drain(ws?, room.clone(), want, deadline, counts.clone());
            readers.push(tokio::spawn(drain));
        }
    }
    while counts.quiet_for() < QUIET && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(QUIET / 10).await;
    }
    let settle_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let settle_frames = counts.other.load(Ordering::Relaxed);
    println!("ready");
    let mut h = crate::phases::histogram();
    for part in futures_util::future::join_all(readers)
        .await
        .into_iter()
        .flatten()
    {
        let _ = h.add(&part);
    }
    let outcome = Outcome {
        delivered: counts.delivered.load(Ordering::Relaxed),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
        max_us: h.max(),
        settle_ms,
        settle_frames,
    };
    println!(
        "{}",
        serde_json::to_string(&outcome).map_err(|e| e.to_string())?
    );
    Ok(())
}
