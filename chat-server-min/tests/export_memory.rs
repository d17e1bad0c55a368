//! The audit export's memory stays flat: the server binary (its own process, so its resident
//! memory is its own) streams an export of 200,000 audit entries while the test reads it and
//! samples the server's `VmRSS` from `/proc/<pid>/status`; it may grow by at most 32 MiB.
//!
//! The server runs with the SQLite memory map off (`CHAT_SQLITE_MMAP_MIB=0`): mapped database
//! pages are the OS's file cache, shared and reclaimable, and would count in `VmRSS` as the
//! export reads the file; what this test bounds is the memory the export itself holds.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::AccountRole;
use common::export::{an_hour_ago, seed_audit};
use common::{token, SECRET};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const BIN: &str = env!("CARGO_BIN_EXE_chat-server-min");
const ROWS: usize = 200_000;
const LIMIT_KIB: u64 = 32 * 1024;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `VmRSS` (and `RssAnon`) of `pid` in KiB.
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporting_200k_entries_keeps_memory_flat() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("export.db");
    // The schema, then the rows straight into the file (a second per 100k in debug builds).
    drop(chat_sqlite::SqliteStore::open(&db).unwrap());
    let seeded = Instant::now();
    seed_audit(&db, 1, ROWS, 120, an_hour_ago());
    println!("seeded {ROWS} rows in {:?}", seeded.elapsed());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .env("CHAT_JWT_SECRET", std::str::from_utf8(SECRET).unwrap())
        .env("CHAT_SQLITE_MMAP_MIB", "0")
        .env_remove("CHAT_SERVICE_TOKEN")
        .args(["--addr", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Killed(child);
    let pid = server.0.id();
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let admin = token(1, 1, AccountRole::Admin);
    let get = |path: String| {
        let req = http::Request::get(format!("http://127.0.0.1:{port}{path}"))
            .header("authorization", format!("Bearer {admin}"))
            .body(Empty::new())
            .unwrap();
        client.request(req)
    };
    let started = Instant::now();
    loop {
        if let Ok(res) = get("/healthz".into()).await {
            if res.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Warm up every path the export takes (one small export), then the baseline.
    let base = "/api/v1/accounts/1/chat";
    let res = get(format!("{base}/audit/export?target_id=seed-5"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let warm = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(String::from_utf8_lossy(&warm).lines().count(), 2);
    let (before, before_anon) = rss(pid);

    let res = get(format!("{base}/audit/export")).await.unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.into_body();
    let (mut peak, mut peak_anon) = (before, before_anon);
    let (mut lines, mut bytes, mut frames) = (0usize, 0usize, 0usize);
    let t = Instant::now();
    while let Some(frame) = body.frame().await {
        let frame = frame.unwrap();
        if let Some(data) = frame.data_ref() {
            lines += data.iter().filter(|b| **b == b'\n').count();
            bytes += data.len();
            frames += 1;
            if frames % 8 == 0 {
                let (now, anon) = rss(pid);
                peak = peak.max(now);
                peak_anon = peak_anon.max(anon);
            }
        }
    }
    let (after, _) = rss(pid);
    peak = peak.max(after);
    println!(
        "exported {lines} lines, {} MiB in {:?}; VmRSS {before} KiB before, peak {peak} KiB \
         (+{} KiB); RssAnon {before_anon} → peak {peak_anon} KiB (+{} KiB)",
        bytes >> 20,
        t.elapsed(),
        peak - before,
        peak_anon.saturating_sub(before_anon)
    );
    // The header, every seeded entry and the warm-up export's own `audit.exported` entry.
    assert_eq!(lines, 1 + ROWS + 1, "the header and every entry");
    assert!(
        peak - before <= LIMIT_KIB,
        "the server grew by {} KiB exporting {ROWS} entries",
        peak - before
    );
}
