//! `chat-load soak`: a long run of mixed load against a freshly started server, sampled every
//! few seconds, to show that nothing grows that should not: resident memory, open file
//! descriptors, the WAL, request p99 — and how fast what must grow (the database, the event
//! log) does. Each series gets its least-squares slope per minute, over the whole run and over
//! its second half (the first minutes include warm-up: caches, pools, the page cache). Writes
//! `soak.csv` and `soak.svg` (drawn by [`crate::plot`]) to `--out`.
//!
//! The load: `--senders` users sending messages at `--send-rate` in all, `--readers` reading
//! (message pages, room lists, unread counts) at `--read-rate`, and `--subscribers` WebSocket
//! slots, each connecting as a random user, reading events for 1–8 s and leaving, over and
//! over. Bounded by `--minutes` (or `--seconds`); every wait has a timeout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use http::Method;
use serde_json::json;

use crate::client::{ws_connect, Http};
use crate::phases::histogram;
use crate::plot::{self, Series};
use crate::setup::{self, Account};
use crate::spawn::{self, Server};

/// What a soak run does.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Length of the run in minutes (at most 120).
    #[arg(long, value_parser = minutes)]
    pub minutes: Option<f64>,
    /// Length of the run in seconds instead (CI: a quick one).
    #[arg(long, conflicts_with = "minutes", value_parser = seconds)]
    pub seconds: Option<f64>,
    /// Accounts, each with its users and rooms.
    #[arg(long, default_value_t = 2)]
    pub accounts: usize,
    /// Users per account.
    #[arg(long, default_value_t = 40)]
    pub users: usize,
    /// Rooms per account (every user a member of each).
    #[arg(long, default_value_t = 4)]
    pub rooms: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 16)]
    pub senders: usize,
    /// Messages per second, all senders together.
    #[arg(long, default_value_t = 40)]
    pub send_rate: u64,
    /// Concurrent readers.
    #[arg(long, default_value_t = 8)]
    pub readers: usize,
    /// Reads per second, all readers together.
    #[arg(long, default_value_t = 80)]
    pub read_rate: u64,
    /// WebSocket slots, each joining and leaving over and over.
    #[arg(long, default_value_t = 40)]
    pub subscribers: usize,
    /// Seconds between samples.
    #[arg(long, default_value_t = 5)]
    pub sample_secs: u64,
    /// Where the CSV and the SVG go.
    #[arg(long, default_value = "target/soak")]
    pub out: PathBuf,
}

fn minutes(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 120.0)
        .ok_or_else(|| format!("`{s}`: minutes between 0 and 120"))
}

fn seconds(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 7200.0)
        .ok_or_else(|| format!("`{s}`: seconds between 0 and 7200"))
}

/// One sample of the server.
#[derive(Debug, Clone, Default)]
struct Sample {
    /// Seconds since the load started.
    t: f64,
    rss_mib: f64,
    fds: f64,
    wal_mib: f64,
    db_mib: f64,
    events: f64,
    p99_ms: f64,
    requests: f64,
    errors: f64,
    ws_sessions: f64,
}

/// Counters the workers share with the sampler.
struct Shared {
    window: Mutex<Histogram<u64>>,
    requests: AtomicU64,
    errors: AtomicU64,
    ws_sessions: AtomicU64,
    ws_events: AtomicU64,
    stop: AtomicBool,
    /// Errors by kind, for the report (kept short).
    kinds: Mutex<Vec<String>>,
}

impl Shared {
    fn record(&self, started: Instant, outcome: Result<u16, String>) {
        let us = started.elapsed().as_micros().max(1) as u64;
        if let Ok(mut h) = self.window.lock() {
            let _ = h.record(us);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let failure = match outcome {
            Ok(s) if (200..300).contains(&s) => None,
            Ok(s) => Some(format!("HTTP {s}")),
            Err(e) => Some(e),
        };
        if let Some(f) = failure {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut k) = self.kinds.lock() {
                if k.len() < 20 {
                    k.push(f);
                }
            }
        }
    }
}

/// A small xorshift: the load needs variety, not quality.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Sleeps out the rest of a worker's period (an open loop per worker: a slow answer does not
/// push the next request later than its slot, and a missed slot is not made up in a burst).
async fn pace(next: &mut Instant, period: Duration) {
    *next += period;
    let now = Instant::now();
    if *next > now {
        tokio::time::sleep(*next - now).await;
    } else {
        *next = now;
    }
}

fn period(workers: usize, rate: u64) -> Duration {
    Duration::from_secs_f64(workers.max(1) as f64 / rate.max(1) as f64)
}

/// The whole soak run.
pub async fn run(args: SoakArgs) -> Result<(), String> {
    let length = match (args.minutes, args.seconds) {
        (Some(m), _) => Duration::from_secs_f64(m * 60.0),
        (None, Some(s)) => Duration::from_secs_f64(s),
        (None, None) => return Err("give --minutes or --seconds".into()),
    };
    let secret = "soak-secret-0123456789abcdef0123456789".to_owned();
    let service = "soak-service-token-0123456789abcdef".to_owned();
    let http = Http::new(args.senders + args.readers + 4);
    let server = spawn::chat_server(&http, &secret, &service).await?;
    let db = server.db_path().ok_or("the server has no database path")?;
    let base = format!("http://{}", server.addr);
    let mut accounts = Vec::new();
    for a in 1..=args.accounts.max(1) as i64 {
        accounts.push(
            setup::account(&http, &base, &secret, &service, a, args.users, args.rooms).await?,
        );
    }
    let accounts = Arc::new(accounts);
    let shared = Arc::new(Shared {
        window: Mutex::new(histogram()),
        requests: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        ws_sessions: AtomicU64::new(0),
        ws_events: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        kinds: Mutex::new(Vec::new()),
    });

    let mut tasks = Vec::new();
    for w in 0..args.senders {
        let (http, base, acc, sh) = (http.clone(), base.clone(), accounts.clone(), shared.clone());
        let every = period(args.senders, args.send_rate);
        tasks.push(tokio::spawn(async move {
            sender(w, &http, &base, &acc, &sh, every).await;
        }));
    }
    for w in 0..args.readers {
        let (http, base, acc, sh) = (http.clone(), base.clone(), accounts.clone(), shared.clone());
        let every = period(args.readers, args.read_rate);
        tasks.push(tokio::spawn(async move {
            reader(w, &http, &base, &acc, &sh, every).await;
        }));
    }
    for w in 0..args.subscribers {
        let (addr, acc, sh) = (server.addr, accounts.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            subscriber(w, addr, &acc, &sh).await;
        }));
    }

    let samples = sample(&server, &db, &shared, length, args.sample_secs).await;
    shared.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        // Workers check `stop` between requests; each request has its own timeout.
        let _ = tokio::time::timeout(Duration::from_secs(45), t).await;
    }
    report(&args, &samples, &shared)
}

async fn sender(
    w: usize,
    http: &Http,
    base: &str,
    accounts: &[Account],
    sh: &Shared,
    every: Duration,
) {
    let mut rng = Rng::new(w as u64 + 1);
    let mut next = Instant::now() + every.mul_f64(w as f64 / 16.0);
    let mut n = 0u64;
    while !sh.stop.load(Ordering::Relaxed) {
        pace(&mut next, every).await;
        let acc = &accounts[rng.below(accounts.len())];
        let (_, token) = &acc.users[rng.below(acc.users.len())];
        let room = &acc.rooms[rng.below(acc.rooms.len())];
        let url = format!(
            "{base}/api/v1/accounts/{}/chat/rooms/{room}/messages",
            acc.id
        );
        n += 1;
        let body = json!({ "content": format!("soak {w}-{n}: the quick brown fox jumps over the lazy dog") });
        let t = Instant::now();
        let r = http
            .send(Method::POST, &url, Some(token), Some(&body))
            .await;
        sh.record(t, r.map(|(s, _)| s));
    }
}

async fn reader(
    w: usize,
    http: &Http,
    base: &str,
    accounts: &[Account],
    sh: &Shared,
    every: Duration,
) {
    let mut rng = Rng::new(1000 + w as u64);
    let mut next = Instant::now();
    while !sh.stop.load(Ordering::Relaxed) {
        pace(&mut next, every).await;
        let acc = &accounts[rng.below(accounts.len())];
        let (_, token) = &acc.users[rng.below(acc.users.len())];
        let room = &acc.rooms[rng.below(acc.rooms.len())];
        let prefix = format!("{base}/api/v1/accounts/{}/chat", acc.id);
        let url = match rng.below(3) {
            0 => format!("{prefix}/rooms/{room}/messages?limit=50"),
            1 => format!("{prefix}/rooms"),
            _ => format!("{prefix}/unread"),
        };
        let t = Instant::now();
        let r = http.get(&url, Some(token)).await;
        sh.record(t, r.map(|(s, _)| s));
    }
}

/// One WebSocket slot: join as a random user, read events for 1–8 s, leave; again.
async fn subscriber(w: usize, addr: std::net::SocketAddr, accounts: &[Account], sh: &Shared) {
    let mut rng = Rng::new(5000 + w as u64);
    while !sh.stop.load(Ordering::Relaxed) {
        let acc = &accounts[rng.below(accounts.len())];
        let (_, token) = &acc.users[rng.below(acc.users.len())];
        let t = Instant::now();
        let mut ws = match ws_connect(addr, acc.id, token, None).await {
            Ok(ws) => ws,
            Err(e) => {
                sh.record(t, Err(format!("ws: {e}")));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        sh.ws_sessions.fetch_add(1, Ordering::Relaxed);
        let stay = Duration::from_millis(1000 + rng.below(7000) as u64);
        let until = Instant::now() + stay;
        while Instant::now() < until && !sh.stop.load(Ordering::Relaxed) {
            match tokio::time::timeout(until - Instant::now(), ws.next()).await {
                Ok(Some(Ok(_))) => {
                    sh.ws_events.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Some(Err(e))) => {
                    sh.record(t, Err(format!("ws read: {e}")));
                    break;
                }
                Ok(None) => {
                    sh.record(t, Err("ws closed by the server".into()));
                    break;
                }
                Err(_) => break,
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
    }
}

fn file_mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0))
}

/// Rows of the event log, read from the database (a short read transaction; WAL readers do
/// not block the server's writer).
fn event_rows(db: &Path) -> f64 {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    rusqlite::Connection::open_with_flags(db, flags)
        .and_then(|c| {
            c.query_row("SELECT count(*) FROM internal_chat_events", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .map_or(f64::NAN, |n| n as f64)
}

async fn sample(
    server: &Server,
    db: &Path,
    sh: &Shared,
    length: Duration,
    every: u64,
) -> Vec<Sample> {
    let start = Instant::now();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let every = Duration::from_secs(every.max(1));
    let mut out = Vec::new();
    let mut last = (0u64, 0u64, 0u64);
    let mut next = start;
    loop {
        next += every;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        }
        let window = sh
            .window
            .lock()
            .map(|mut h| {
                let p99 = h.value_at_quantile(0.99) as f64 / 1000.0;
                h.reset();
                p99
            })
            .unwrap_or(f64::NAN);
        let counts = (
            sh.requests.load(Ordering::Relaxed),
            sh.errors.load(Ordering::Relaxed),
            sh.ws_sessions.load(Ordering::Relaxed),
        );
        let db_path = db.to_owned();
        let events = tokio::task::spawn_blocking(move || event_rows(&db_path))
            .await
            .unwrap_or(f64::NAN);
        let s = Sample {
            t: start.elapsed().as_secs_f64(),
            rss_mib: server.rss_kib().map_or(f64::NAN, |k| k as f64 / 1024.0),
            fds: server.open_fds().map_or(f64::NAN, |n| n as f64),
            wal_mib: file_mib(&wal),
            db_mib: file_mib(db),
            events,
            p99_ms: window,
            requests: (counts.0 - last.0) as f64,
            errors: (counts.1 - last.1) as f64,
            ws_sessions: (counts.2 - last.2) as f64,
        };
        last = counts;
        eprintln!(
            "soak {:>6.0}s  rss {:>6.1} MiB  fds {:>4}  wal {:>5.1} MiB  db {:>6.1} MiB  events {:>7}  p99 {:>6.1} ms  req {:>5}  err {}",
            s.t, s.rss_mib, s.fds, s.wal_mib, s.db_mib, s.events, s.p99_ms, s.requests, s.errors
        );
        out.push(s);
        if start.elapsed() >= length {
            return out;
        }
    }
}

/// Least-squares slope of `y` over `t` (seconds), per minute; NaN points are left out.
pub fn slope_per_minute(points: &[(f64, f64)]) -> f64 {
    let pts: Vec<_> = points.iter().filter(|(_, y)| y.is_finite()).collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return 0.0;
    }
    let mx = pts.iter().map(|(x, _)| x).sum::<f64>() / n;
    let my = pts.iter().map(|(_, y)| y).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = pts.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx * 60.0
    }
}

type Field = (&'static str, &'static str, fn(&Sample) -> f64);

const FIELDS: [Field; 6] = [
    ("RSS", "MiB", |s| s.rss_mib),
    ("open fds", "", |s| s.fds),
    ("WAL", "MiB", |s| s.wal_mib),
    ("database", "MiB", |s| s.db_mib),
    ("event log", "rows", |s| s.events),
    ("request p99", "ms", |s| s.p99_ms),
];

fn report(args: &SoakArgs, samples: &[Sample], sh: &Shared) -> Result<(), String> {
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut csv = String::from(
        "t_s,rss_mib,fds,wal_mib,db_mib,event_rows,p99_ms,requests,errors,ws_sessions\n",
    );
    for s in samples {
        csv.push_str(&format!(
            "{:.1},{:.2},{},{:.3},{:.3},{},{:.2},{},{},{}\n",
            s.t,
            s.rss_mib,
            s.fds,
            s.wal_mib,
            s.db_mib,
            s.events,
            s.p99_ms,
            s.requests,
            s.errors,
            s.ws_sessions
        ));
    }
    let csv_path = args.out.join("soak.csv");
    std::fs::write(&csv_path, csv).map_err(|e| e.to_string())?;

    let half = samples.last().map_or(0.0, |s| s.t / 2.0);
    let mut series = Vec::new();
    println!("\n| series | first | last | slope /min (all) | slope /min (2nd half) |");
    println!("|---|---|---|---|---|");
    for (name, unit, get) in FIELDS {
        let points: Vec<(f64, f64)> = samples.iter().map(|s| (s.t, get(s))).collect();
        let late: Vec<(f64, f64)> = points.iter().copied().filter(|(t, _)| *t >= half).collect();
        let (all, second) = (slope_per_minute(&points), slope_per_minute(&late));
        let first = points.first().map_or(f64::NAN, |p| p.1);
        let last = points.last().map_or(f64::NAN, |p| p.1);
        let title = if unit.is_empty() {
            name.to_owned()
        } else {
            format!("{name} ({unit})")
        };
        println!("| {title} | {first:.2} | {last:.2} | {all:+.3} | {second:+.3} |");
        series.push(Series {
            name: title,
            points,
            slope_per_min: all,
        });
    }
    let requests: f64 = samples.iter().map(|s| s.requests).sum();
    let errors = sh.errors.load(Ordering::Relaxed);
    let minutes = samples.last().map_or(0.0, |s| s.t / 60.0);
    println!(
        "\n{requests} requests in {minutes:.1} min ({:.0}/s), {errors} errors, {} WebSocket sessions, {} events received",
        requests / (minutes * 60.0).max(1e-9),
        sh.ws_sessions.load(Ordering::Relaxed),
        sh.ws_events.load(Ordering::Relaxed),
    );
    let title = format!(
        "chat-load soak: {minutes:.1} min, {} senders at {}/s, {} readers at {}/s, {} WebSocket slots",
        args.senders, args.send_rate, args.readers, args.read_rate, args.subscribers
    );
    let svg_path = args.out.join("soak.svg");
    std::fs::write(&svg_path, plot::svg(&title, &series)).map_err(|e| e.to_string())?;
    println!("wrote {} and {}", csv_path.display(), svg_path.display());
    if errors > 0 {
        let kinds = sh.kinds.lock().map(|k| k.join("; ")).unwrap_or_default();
        return Err(format!("{errors} requests failed (first ones: {kinds})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slope_is_per_minute_and_ignores_gaps() {
        let line: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i) * 5.0, 3.0 + f64::from(i)))
            .collect();
        // +1 every 5 s = +12 per minute.
        assert!((slope_per_minute(&line) - 12.0).abs() < 1e-9);
        let flat: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), 7.0)).collect();
        assert_eq!(slope_per_minute(&flat), 0.0);
        let mut gaps = line.clone();
        gaps[3].1 = f64::NAN;
        assert!((slope_per_minute(&gaps) - 12.0).abs() < 1e-9);
        assert_eq!(slope_per_minute(&[(1.0, 2.0)]), 0.0);
    }
}
