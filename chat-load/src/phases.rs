//! The run: start the servers, build the world, measure each phase, print the report.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http::Method;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use tokio::io::AsyncBufReadExt;

use crate::client::{ws_connect, ws_next, Http};
use crate::fanout;
use crate::report::{Latency, Report};
use crate::setup::{self, Account};
use crate::spawn;
use crate::RunArgs;

/// The account used for the WebSocket phases (its own users and one big room).
const FANOUT_ACCOUNT: i64 = 900;

/// 1 µs .. 60 s, 3 significant digits.
#[allow(clippy::expect_used)] // constant, valid bounds: cannot fail
pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
}

/// What a closed-loop phase measured.
struct Loop {
    count: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    errors: HashMap<String, u64>,
}

fn progress(name: &str, duration: Duration) -> ProgressBar {
    let bar = ProgressBar::new(duration.as_millis() as u64);
    let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(name.to_owned());
    bar
}

/// Runs `op` from `concurrency` workers back to back for `duration` (or `max` requests).
async fn closed_loop<F, Fut>(
    name: &str,
    concurrency: usize,
    duration: Duration,
    max: u64,
    op: F,
) -> Loop
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<u16, String>> + Send,
{
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let bar = progress(name, duration);
    let mut workers = Vec::with_capacity(concurrency);
    for w in 0..concurrency {
        let (op, issued) = (op.clone(), issued.clone());
        workers.push(tokio::spawn(async move {
            let mut latency = histogram();
            let mut errors: HashMap<String, u64> = HashMap::new();
            let mut done = 0;
            while start.elapsed() < duration {
                let i = issued.fetch_add(1, Ordering::Relaxed);
                if i >= max {
                    break;
                }
                let t = Instant::now();
                match op(w, i).await {
                    Ok(s) if (200..300).contains(&s) => {}
                    Ok(s) => *errors.entry(s.to_string()).or_default() += 1,
                    Err(e) => *errors.entry(format!("transport: {e}")).or_default() += 1,
                }
                let _ = latency.record(t.elapsed().as_micros().max(1) as u64);
                done += 1;
            }
            (done, latency, errors)
        }));
    }
    let ticker = {
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                bar.set_position(start.elapsed().as_millis() as u64);
            }
        })
    };
    let mut out = Loop {
        count: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
        errors: HashMap::new(),
    };
    for w in workers {
        if let Ok((done, latency, errors)) = w.await {
            out.count += done;
            let _ = out.latency.add(&latency);
            for (k, v) in errors {
                *out.errors.entry(k).or_default() += v;
            }
        }
    }
    out.elapsed = start.elapsed();
    ticker.abort();
    bar.finish_with_message(format!("{} requests", out.count));
    out
}

fn record(report: &mut Report, name: &str, l: &Loop) -> f64 {
    let rate = l.count as f64 / l.elapsed.as_secs_f64().max(1e-9);
    report
        .latencies
        .push((name.to_owned(), Latency::of(&l.latency)));
    for (status, n) in &l.errors {
        report.errors.push((name.to_owned(), status.clone(), *n));
    }
    rate
}

fn quick(mut a: RunArgs) -> RunArgs {
    if a.quick {
        a.users = a.users.min(5);
        a.rooms = a.rooms.min(2);
        a.concurrency = a.concurrency.min(4);
        a.duration = a.duration.min(Duration::from_millis(500));
        a.subscribers = a.subscribers.min(10);
        a.fanout_rate = a.fanout_rate.min(20);
        a.idle_connections = a.idle_connections.min(50);
        a.resume_backlog = a.resume_backlog.min(20);
    }
    a
}

/// The whole run.
pub async fn run(args: RunArgs) -> Result<(), String> {
    let args = quick(args);
    let secret = format!(
        "load-secret-{:032x}",
        Instant::now().elapsed().as_nanos() ^ 0x5eed
    );
    let service = "load-service-token-0123456789abcdef".to_owned();
    let http = Http::new(args.concurrency.max(8));
    let hello = spawn::hello_server(&http).await?;
    let server = spawn::chat_server(&http, &secret, &service).await?;
    let base = format!("http://{}", server.addr);
    let mut report = Report {
        setup: json!({
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "args": format!("{args:?}"),
            "server": "chat-server-min, SQLite on a temporary file, default options",
        }),
        ..Report::default()
    };

    let mut accounts = Vec::new();
    for a in 1..=args.accounts.max(1) as i64 {
        accounts.push(
            setup::account(&http, &base, &secret, &service, a, args.users, args.rooms).await?,
        );
    }
    let accounts = Arc::new(accounts);

    // 1. The ceiling.
    let (h, url) = (http.clone(), format!("http://{}/", hello.addr));
    let l = closed_loop(
        "hello",
        args.concurrency,
        args.duration,
        args.max_requests,
        move |_, _| {
            let (h, url) = (h.clone(), url.clone());
            async move { h.get(&url, None).await.map(|(s, _)| s) }
        },
    )
    .await;
    let hello_rate = record(&mut report, "hello-world GET", &l);
    report.figure(
        "hello-world GET",
        hello_rate,
        "req/s",
        None,
        "ceiling (~100k req/s on the 2-core machine)",
    );

    // 2. An authenticated trivial GET.
    let (h, b, acc) = (http.clone(), base.clone(), accounts.clone());
    let l = closed_loop(
        "GET /unread",
        args.concurrency,
        args.duration,
        args.max_requests,
        move |w, i| {
            let (h, b, acc) = (h.clone(), b.clone(), acc.clone());
            async move {
                let a = &acc[w % acc.len()];
                let (_, token) = &a.users[(i as usize) % a.users.len()];
                h.get(
                    &format!("{b}/api/v1/accounts/{}/chat/unread", a.id),
                    Some(token),
                )
                .await
                .map(|(s, _)| s)
            }
        },
    )
    .await;
    let get_rate = record(&mut report, "GET /unread", &l);
    report.figure(
        "authenticated GET /unread",
        get_rate,
        "req/s",
        Some(hello_rate),
        "≥ 0.5× hello-world",
    );

    // 3. Sends.
    let send_rate = send_phase(&http, &base, &accounts, &args, &mut report).await;
    report.figure(
        format!("POST message, {} connections", args.concurrency),
        send_rate,
        "msg/s",
        Some(hello_rate),
        "≥ 0.2× hello-world (64 connections)",
    );

    // 4–6. WebSocket phases.
    if let Err(why) = ws_phases(&http, &base, &secret, &service, &server, &args, &mut report).await
    {
        report.skipped.push(("WebSocket phases".into(), why));
    }

    let table = report.markdown();
    println!("\n{table}");
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // The report is out either way; a run with a skipped phase or failed requests is not a
    // result to compare against, so the exit status says so (CI must not pass on it).
    let problems = report.problems();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} problem(s), see the report: {}",
            problems.len(),
            problems.join("; ")
        ))
    }
}

async fn send_phase(
    http: &Http,
    base: &str,
    accounts: &Arc<Vec<Account>>,
    args: &RunArgs,
    report: &mut Report,
) -> f64 {
    let (h, b, acc) = (http.clone(), base.to_owned(), accounts.clone());
    let send = move |w: usize, i: u64| {
        let (h, b, acc) = (h.clone(), b.clone(), acc.clone());
        async move {
            let a = &acc[w % acc.len()];
            let (_, token) = &a.users[(i as usize) % a.users.len()];
            let room = &a.rooms[(i as usize) % a.rooms.len()];
            let url = format!("{b}/api/v1/accounts/{}/chat/rooms/{room}/messages", a.id);
            let body = json!({ "content": format!("load message {i}") });
            h.send(Method::POST, &url, Some(token), Some(&body))
                .await
                .map(|(s, _)| s)
        }
    };
    match args.rate {
        None => {
            let l = closed_loop(
                "POST msg",
                args.concurrency,
                args.duration,
                args.max_requests,
                send,
            )
            .await;
            record(report, "POST message", &l)
        }
        Some(rate) => {
            // Open loop: one send every 1/rate s regardless of responses (bounded in flight).
            let start = Instant::now();
            let latency = Arc::new(Mutex::new(histogram()));
            let gate = Arc::new(tokio::sync::Semaphore::new(4096));
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
            let mut handles = Vec::new();
            let mut i = 0u64;
            while start.elapsed() < args.duration && i < args.max_requests {
                tick.tick().await;
                let Ok(permit) = gate.clone().acquire_owned().await else {
                    break;
                };
                let (send, latency) = (send.clone(), latency.clone());
                handles.push(tokio::spawn(async move {
                    let t = Instant::now();
                    let ok = matches!(send(0, i).await, Ok(s) if (200..300).contains(&s));
                    if let Ok(mut h) = latency.lock() {
                        let _ = h.record(t.elapsed().as_micros().max(1) as u64);
                    }
                    drop(permit);
                    ok
                }));
                i += 1;
            }
            let mut ok = 0u64;
            for h in handles {
                ok += u64::from(h.await.unwrap_or(false));
            }
            if let Ok(h) = latency.lock() {
                report
                    .latencies
                    .push(("POST message (open loop)".into(), Latency::of(&h)));
            }
            if ok < i {
                report.errors.push((
                    "POST message (open loop)".into(),
                    "non-2xx or transport".into(),
                    i - ok,
                ));
            }
            ok as f64 / start.elapsed().as_secs_f64()
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn ws_phases(
    http: &Http,
    base: &str,
    secret: &str,
    service: &str,
    server: &spawn::Server,
    args: &RunArgs,
    report: &mut Report,
) -> Result<(), String> {
    let k = args.subscribers.max(1);
    let world = setup::account(http, base, secret, service, FANOUT_ACCOUNT, k + 1, 1).await?;
    let room = world.rooms[0].clone();
    let sup = world.users[0].1.clone();
    let subscribers: Vec<(i64, String)> = world.users[1..].to_vec();
    // Probe: is /ws served at all?
    ws_connect(server.addr, FANOUT_ACCOUNT, &subscribers[0].1, None)
        .await
        .map_err(|e| format!("/ws not available: {e}"))?;

    // 4. Fan-out, the subscribers in their own process (see `fanout`).
    let messages = ((args.fanout_rate as f64) * args.duration.as_secs_f64())
        .ceil()
        .max(1.0) as usize;
    let mut tokens = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    for (_, token) in &subscribers {
        writeln!(tokens, "{token}").map_err(|e| e.to_string())?;
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = tokio::process::Command::new(exe)
        .arg("subscribe")
        .args(["--addr", &server.addr.to_string()])
        .args(["--account", &FANOUT_ACCOUNT.to_string()])
        .args(["--room", &room])
        .arg("--tokens")
        .arg(tokens.path())
        .args(["--want", &messages.to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting the subscribers: {e}"))?;
    let stdout = child.stdout.take().ok_or("subscribers have no stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let bar = progress("ws connect", Duration::from_millis(k as u64));
    let ready = tokio::time::timeout(Duration::from_secs(120), lines.next_line()).await;
    if !matches!(ready, Ok(Ok(Some(ref l))) if l == "ready") {
        return Err(format!("subscribers did not connect: {ready:?}"));
    }
    bar.finish_with_message(format!("{k} subscribers"));
    let url = format!("{base}/api/v1/accounts/{FANOUT_ACCOUNT}/chat/rooms/{room}/messages");
    let mut tick = tokio::time::interval(Duration::from_secs_f64(
        1.0 / args.fanout_rate.max(1) as f64,
    ));
    let bar = progress("fan-out", Duration::from_millis(messages as u64));
    for _ in 0..messages {
        tick.tick().await;
        let body = json!({ "content": format!("t={}", fanout::now_nanos()) });
        let (h, u, s) = (http.clone(), url.clone(), sup.clone());
        tokio::spawn(async move { h.send(Method::POST, &u, Some(&s), Some(&body)).await });
        bar.inc(1);
    }
    bar.finish();
    let line = tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .map_err(|_| "subscribers did not report")?
        .map_err(|e| e.to_string())?
        .ok_or("subscribers exited without a report")?;
    let outcome: fanout::Outcome =
        serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    let expected = (messages * k) as u64;
    if outcome.delivered < expected {
        report.skipped.push((
            "fan-out".into(),
            format!(
                "only {} of {expected} deliveries within the timeout",
                outcome.delivered
            ),
        ));
    }
    let ms = |us: u64| us as f64 / 1000.0;
    report.latencies.push((
        format!("fan-out send→delivery, {k} subscribers (separate process)"),
        Latency {
            p50_ms: ms(outcome.p50_us),
            p99_ms: ms(outcome.p99_us),
            max_ms: ms(outcome.max_us),
            count: outcome.delivered,
        },
    ));
    report.figure(
        format!("fan-out p99, {k} subscribers × {} msg/s", args.fanout_rate),
        ms(outcome.p99_us),
        "ms",
        None,
        "p99 ≤ 50 ms (1,000 × 100 msg/s)",
    );
    report.figure(
        "fan-out deliveries",
        outcome.delivered as f64,
        "events",
        Some(expected as f64),
        "all delivered",
    );
    // Measured apart, before the clock above starts: every connect is a presence change
    // that every other subscriber receives.
    report.figure(
        format!("fan-out connect storm: {k} subscribers connected and quiet"),
        outcome.settle_ms as f64,
        "ms",
        None,
        "(measured before the messages)",
    );
    report.figure(
        "fan-out connect storm: presence frames received",
        outcome.settle_frames as f64,
        "frames",
        None,
        "(one per connect per other subscriber)",
    );

    // 5. Resume.
    let (_, token) = &subscribers[0];
    let mut ws = ws_connect(server.addr, FANOUT_ACCOUNT, token, None).await?;
    let body = json!({ "content": "t=0" });
    http.send(Method::POST, &url, Some(&sup), Some(&body))
        .await?;
    let mut last = None;
    while last.is_none() {
        let e = ws_next(&mut ws)
            .await
            .ok_or("socket closed before the first event")?;
        if e["type"] == "message.created" {
            last = e["id"].as_i64();
        }
    }
    drop(ws);
    let backlog = args.resume_backlog.max(1);
    for i in 0..backlog {
        let body = json!({ "content": format!("missed {i}") });
        http.send(Method::POST, &url, Some(&sup), Some(&body))
            .await?;
    }
    let t = Instant::now();
    let mut ws = ws_connect(server.addr, FANOUT_ACCOUNT, token, last).await?;
    let mut got = 0;
    while got < backlog {
        let e = ws_next(&mut ws)
            .await
            .ok_or("socket closed during replay")?;
        if e["type"] == "message.created" {
            got += 1;
        }
    }
    report.figure(
        format!("resume replay of {backlog} missed events"),
        t.elapsed().as_secs_f64() * 1000.0,
        "ms",
        None,
        "every missed event, once, in order",
    );
    drop(ws);

    // 6. Idle connections.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss_kib().ok_or("cannot read the server's RSS")?;
    let n = args.idle_connections.max(1);
    let bar = progress("idle ws", Duration::from_millis(n as u64));
    let mut idle = Vec::with_capacity(n);
    while idle.len() < n {
        let mut pending = Vec::new();
        for j in 0..100.min(n - idle.len()) {
            let (_, token) = &subscribers[(idle.len() + j) % subscribers.len()];
            pending.push(ws_connect(server.addr, FANOUT_ACCOUNT, token, None));
        }
        for ws in futures_util::future::join_all(pending).await {
            idle.push(ws?);
            bar.inc(1);
        }
    }
    bar.finish();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_kib().ok_or("cannot read the server's RSS")?;
    report.figure(
        format!("server memory per idle WebSocket ({n} open)"),
        after.saturating_sub(before) as f64 / n as f64,
        "KiB",
        None,
        "≤ 16 KiB",
    );
    drop(idle);
    Ok(())
}
