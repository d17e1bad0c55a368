//! `chat-load hostile`: does a normal client still get served while hundreds of hostile
//! connections sit on the server? Measures a normal client's request p99 alone (baseline),
//! then again while `--slowloris` sockets trickle a request head one byte a second
//! (reconnecting whenever the server cuts them off at its header-read deadline) and
//! `--idle-ws` WebSockets, upgraded and then silent (they never read, so never answer a
//! ping), are held open. Then checks that the server's ping/pong deadline closed every idle
//! WebSocket (the server runs with `CHAT_WS_PING_INTERVAL_SECS=--ping-secs`: a connection
//! silent for two intervals is closed).
//!
//! `--check` makes the exit status say whether the loaded p99 stayed within `--max-ratio`
//! (2×) of the baseline, every idle WebSocket was closed and no normal request failed.
//! Everything is bounded: counts, phase lengths, every wait has a timeout. The tool needs
//! about `slowloris + idle-ws + 100` file descriptors (`ulimit -n`), and so does the server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use http::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{ws_connect, Http, Ws};
use crate::phases::histogram;
use crate::report::Latency;
use crate::setup::{self, Account};
use crate::spawn::{self, Server};

/// What a hostile run does.
#[derive(Debug, Clone, clap::Args)]
pub struct HostileArgs {
    /// Slowloris sockets held open (each sends a request head one byte a second).
    #[arg(long, default_value_t = 500)]
    pub slowloris: usize,
    /// Idle WebSockets: upgraded, then silent.
    #[arg(long, default_value_t = 500)]
    pub idle_ws: usize,
    /// Seconds the normal client is measured alone, then again under the hostile load.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub seconds: u64,
    /// Requests per second of the normal client.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=2000))]
    pub rate: u64,
    /// The server's WebSocket ping interval for this run (idle sockets close after two).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub ping_secs: u64,
    /// The server's header-read deadline for this run.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub header_timeout_secs: u64,
    /// Largest loaded/unloaded p99 ratio that passes `--check`.
    #[arg(long, default_value_t = 2.0)]
    pub max_ratio: f64,
    /// Exit non-zero when the ratio is exceeded, an idle WebSocket stayed open or a normal
    /// request failed.
    #[arg(long)]
    pub check: bool,
}

/// The soft `nofile` limit of this process, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// What the normal client measured.
struct Normal {
    latency: Histogram<u64>,
    errors: u64,
}

/// The normal client: paced requests (reads of a room's messages and the unread counts, and
/// one send in five) for `length`.
async fn normal_client(
    http: &Http,
    base: &str,
    acc: &Account,
    rate: u64,
    length: Duration,
) -> Normal {
    let every = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let (_, token) = &acc.users[0];
    let room = &acc.rooms[0];
    let prefix = format!("{base}/api/v1/accounts/{}/chat", acc.id);
    let mut out = Normal {
        latency: histogram(),
        errors: 0,
    };
    let start = Instant::now();
    let mut next = start;
    let mut i = 0u64;
    while start.elapsed() < length {
        next += every;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        }
        i += 1;
        let t = Instant::now();
        let r = match i % 5 {
            0 => {
                let body = json!({ "content": format!("normal {i}") });
                let url = format!("{prefix}/rooms/{room}/messages");
                http.send(Method::POST, &url, Some(token), Some(&body))
                    .await
            }
            1 | 3 => http.get(&format!("{prefix}/unread"), Some(token)).await,
            _ => {
                let url = format!("{prefix}/rooms/{room}/messages?limit=20");
                http.get(&url, Some(token)).await
            }
        };
        let _ = out.latency.record(t.elapsed().as_micros().max(1) as u64);
        if !matches!(r, Ok((200..=299, _))) {
            out.errors += 1;
        }
    }
    out
}

/// Counters of the slowloris sockets.
#[derive(Default)]
struct Loris {
    opened: AtomicU64,
    cut: AtomicU64,
    refused: AtomicU64,
}

/// One slowloris slot: connect, trickle a request head a byte a second until the server cuts
/// the connection off, then again, until `stop`.
async fn slowloris(addr: SocketAddr, counts: Arc<Loris>, stop: Arc<AtomicBool>, offset: Duration) {
    const HEAD: &[u8] = b"GET /api/v1/accounts/1/chat/unread HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    tokio::time::sleep(offset).await;
    while !stop.load(Ordering::Relaxed) {
        let Ok(Ok(mut sock)) =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await
        else {
            counts.refused.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        counts.opened.fetch_add(1, Ordering::Relaxed);
        let mut buf = [0u8; 512];
        let mut i = 0;
        let cut = loop {
            if stop.load(Ordering::Relaxed) {
                break false;
            }
            let byte = [HEAD[i % HEAD.len()]];
            i += 1;
            if sock.write_all(&byte).await.is_err() {
                break true;
            }
            // Wait a second, noticing when the server answers (408/400) or closes.
            match tokio::time::timeout(Duration::from_secs(1), sock.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => break true,
                Ok(Ok(_)) => {} // the refusal's bytes; the close follows
                Err(_) => {}
            }
        };
        if cut {
            counts.cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Whether the server has closed an idle WebSocket: reads what it sent meanwhile (pings, then
/// a close frame or the end of the stream) for up to `wait`.
async fn closed_by_server(ws: &mut Ws, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => {}
            Err(_) => return false,
        }
    }
}

fn fds(server: &Server) -> u64 {
    server.open_fds().unwrap_or(0)
}

/// The whole hostile run.
pub async fn run(args: HostileArgs) -> Result<(), String> {
    let need = (args.slowloris + args.idle_ws + 100) as u64;
    if let Some(limit) = open_file_limit() {
        if limit < need {
            return Err(format!(
                "open-file limit {limit} < {need} needed: raise it (ulimit -n {need}) and run again"
            ));
        }
    }
    let secret = "hostile-secret-0123456789abcdef0123456789".to_owned();
    let service = "hostile-service-token-0123456789abcdef".to_owned();
    let http = Http::new(8);
    let ping = args.ping_secs.to_string();
    let header = args.header_timeout_secs.to_string();
    let max_conn = (need * 2).to_string();
    let server = spawn::chat_server_with(
        &http,
        &secret,
        &service,
        &[
            ("CHAT_WS_PING_INTERVAL_SECS", ping.as_str()),
            ("CHAT_HEADER_READ_TIMEOUT_SECS", header.as_str()),
            ("CHAT_MAX_CONNECTIONS", max_conn.as_str()),
        ],
    )
    .await?;
    let base = format!("http://{}", server.addr);
    let acc = setup::account(&http, &base, &secret, &service, 1, 8, 1).await?;
    let length = Duration::from_secs(args.seconds);

    // Warm-up (connections, caches), then the baseline.
    let _ = normal_client(&http, &base, &acc, args.rate, Duration::from_secs(2)).await;
    let fds_before = fds(&server);
    let baseline = normal_client(&http, &base, &acc, args.rate, length).await;

    // The hostile connections.
    let stop = Arc::new(AtomicBool::new(false));
    let loris = Arc::new(Loris::default());
    let mut tasks = Vec::new();
    for i in 0..args.slowloris {
        // Spread over a second so the bytes do not all arrive in one burst.
        let offset = Duration::from_millis((i as u64 * 1000) / args.slowloris.max(1) as u64);
        tasks.push(tokio::spawn(slowloris(
            server.addr,
            loris.clone(),
            stop.clone(),
            offset,
        )));
    }
    let ws_start = Instant::now();
    let mut idle = Vec::with_capacity(args.idle_ws);
    let mut ws_failed = 0;
    for i in 0..args.idle_ws {
        let (_, token) = &acc.users[1 + i % (acc.users.len() - 1)];
        match ws_connect(server.addr, acc.id, token, None).await {
            Ok(ws) => idle.push(ws),
            Err(_) => ws_failed += 1,
        }
    }
    let opened_in = ws_start.elapsed();
    let fds_peak = fds(&server);
    let loaded = normal_client(&http, &base, &acc, args.rate, length).await;
    let fds_loaded = fds(&server);

    // Every idle socket should be closed by two ping intervals after it opened (plus one
    // interval of timer granularity and some slack).
    let deadline = ws_start + opened_in + Duration::from_secs(3 * args.ping_secs + 3);
    tokio::time::sleep(deadline.saturating_duration_since(Instant::now())).await;
    stop.store(true, Ordering::Relaxed);
    let mut closed = 0;
    for ws in &mut idle {
        if closed_by_server(ws, Duration::from_millis(200)).await {
            closed += 1;
        }
    }
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    let opened = idle.len();
    drop(idle);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fds_after = fds(&server);

    let (b, l) = (Latency::of(&baseline.latency), Latency::of(&loaded.latency));
    let ratio = l.p99_ms / b.p99_ms.max(1e-3);
    println!(
        "| normal client ({} req/s, {} s) | p50 ms | p99 ms | max ms | requests | failed |",
        args.rate, args.seconds
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| alone | {:.2} | {:.2} | {:.2} | {} | {} |",
        b.p50_ms, b.p99_ms, b.max_ms, b.count, baseline.errors
    );
    println!(
        "| with {} slowloris + {} idle WebSockets | {:.2} | {:.2} | {:.2} | {} | {} |",
        args.slowloris, args.idle_ws, l.p50_ms, l.p99_ms, l.max_ms, l.count, loaded.errors
    );
    println!(
        "\np99 ratio loaded/alone: {ratio:.2} (limit {:.1})",
        args.max_ratio
    );
    println!(
        "slowloris: {} connections opened, {} cut off by the server (header deadline {} s), {} refused",
        loris.opened.load(Ordering::Relaxed),
        loris.cut.load(Ordering::Relaxed),
        args.header_timeout_secs,
        loris.refused.load(Ordering::Relaxed),
    );
    println!(
        "idle WebSockets: {} opened in {:.1} s ({ws_failed} failed), {closed} closed by the server's ping deadline (ping every {} s)",
        opened,
        opened_in.as_secs_f64(),
        args.ping_secs
    );
    println!("server fds: {fds_before} before, {fds_peak} with the hostile load, {fds_loaded} at the end of it, {fds_after} after");

    if args.check {
        let mut problems = Vec::new();
        if ratio > args.max_ratio {
            problems.push(format!("p99 ratio {ratio:.2} > {}", args.max_ratio));
        }
        if closed < opened || ws_failed > 0 {
            problems.push(format!(
                "{closed}/{opened} idle WebSockets closed, {ws_failed} failed to open"
            ));
        }
        if baseline.errors + loaded.errors > 0 {
            problems.push(format!(
                "{} normal requests failed",
                baseline.errors + loaded.errors
            ));
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        println!("check: passed");
    }
    Ok(())
}
