//! Storage faults, black box: the real binary on a database whose file system fills up or is
//! made read-only under it, and on files that are not a chat database.
//!
//! The full and read-only cases mount file systems (a tmpfs of 8 MiB; an ext4 image on a
//! loop device, which the kernel turns read-only on an error as `errors=remount-ro` does), so
//! they need root: without it they say why on stderr and end without asserting anything —
//! except under CI (`CI` set), where they fail instead of passing unseen.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::AccountRole;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_chat-server-min");
const ACCOUNT: i64 = 5;
const USER: i64 = 51;

/// A file system mounted for one test, unmounted (lazily) on drop.
struct Mount {
    dir: tempfile::TempDir,
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Why a test that needs to mount cannot run here, or `None`.
fn cannot_mount() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root: mounting a file system needs root".into());
    }
    None
}

/// Skips (prints why) outside CI, fails under CI.
fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "storage fault test cannot run under CI: {why}"
    );
    eprintln!("SKIPPED: {why}");
}

fn mount(args: &[&str]) -> Result<Mount, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = Command::new("mount")
        .args(args)
        .arg(dir.path())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "mount {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Mount { dir })
}

/// The server binary as a child process, and a client for it.
struct Child {
    process: std::process::Child,
    addr: std::net::SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    token: String,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

struct Resp {
    status: u16,
    retry_after: Option<String>,
    json: Value,
}

impl Child {
    async fn start(db: &Path) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let process = Command::new(BIN)
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--db")
            .arg(db)
            .env(
                "CHAT_JWT_SECRET",
                std::str::from_utf8(common::SECRET).unwrap(),
            )
            .env("CHAT_SERVICE_TOKEN", common::SERVICE_TOKEN)
            .env("CHAT_RATE_USER_PER_SEC", "100000")
            .env("CHAT_RATE_USER_BURST", "100000")
            .env("CHAT_RATE_ACCOUNT_PER_SEC", "100000")
            .env("CHAT_RATE_ACCOUNT_BURST", "100000")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut child = Self {
            process,
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            token: common::token(ACCOUNT, USER, AccountRole::Supervisor),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = child.try_send(Method::GET, "/healthz", None).await {
                if r.status == 200 {
                    return child;
                }
            }
            assert!(
                child.process.try_wait().unwrap().is_none(),
                "the server exited"
            );
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn try_send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Resp, String> {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("authorization", format!("Bearer {}", self.token));
        if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        let bytes = body.map(|v| v.to_string()).unwrap_or_default();
        let req = b.body(Full::new(Bytes::from(bytes))).unwrap();
        let res = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
            .await
            .map_err(|_| "no answer in 30 s".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(Resp {
            status,
            retry_after,
            json,
        })
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.try_send(method, path, body).await.unwrap()
    }

    fn api(path: &str) -> String {
        format!("/api/v1/accounts/{ACCOUNT}/chat{path}")
    }

    /// A room of the supervisor's.
    async fn room(&self) -> String {
        let r = self
            .send(
                Method::POST,
                &Self::api("/rooms"),
                Some(json!({"type": "room", "name": "faults", "member_ids": []})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json);
        r.json["id"].as_str().unwrap().to_owned()
    }

    async fn post(&self, room: &str, client_id: &str) -> Resp {
        let content = format!("{client_id} {}", "x".repeat(3000));
        self.send(
            Method::POST,
            &Self::api(&format!("/rooms/{room}/messages")),
            Some(json!({"content": content, "client_id": client_id})),
        )
        .await
    }

    async fn health(&self) -> Resp {
        self.send(Method::GET, "/healthz", None).await
    }
}

/// Reads through the API: the room's messages, newest first, as `(client_id, seq)`.
async fn messages(server: &Child, room: &str) -> Vec<(String, i64)> {
    let r = server
        .send(
            Method::GET,
            &Child::api(&format!("/rooms/{room}/messages?limit=100")),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "reads keep working: {}", r.json);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["client_id"].as_str().unwrap_or("").to_owned(),
                m["seq"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Every table of the database, as text (read-only, next to the running server).
fn snapshot(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = String::new();
    for t in tables {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
            .unwrap();
        out.push_str(&format!("{t}: {n}\n"));
    }
    let (seq, events): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COALESCE(MAX(last_seq), 0) FROM internal_chat_rooms), \
                    (SELECT COALESCE(MAX(id), 0) FROM internal_chat_events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    out.push_str(&format!("last_seq {seq}, last event {events}\n"));
    out
}

/// Sends until a write is refused; returns the client ids acknowledged and the refusal.
async fn send_until_refused(server: &Child, room: &str, tag: &str) -> (Vec<String>, Resp, String) {
    let mut acked = Vec::new();
    for i in 0..5000 {
        let client_id = format!("{tag}-{i}");
        let r = server.post(room, &client_id).await;
        match r.status {
            201 => acked.push(client_id),
            _ => return (acked, r, client_id),
        }
    }
    panic!("5000 writes of 3 KB went through: the file system never filled");
}

/// What every refused write must look like: `503 storage_unavailable` with `Retry-After`, the
/// contract's error body, no internals.
fn assert_refused(r: &Resp) {
    assert_eq!(r.status, 503, "{}", r.json);
    assert_eq!(r.json["error"]["code"], "storage_unavailable", "{}", r.json);
    assert!(r.retry_after.is_some(), "Retry-After on {}", r.json);
    let text = r.json.to_string();
    assert!(
        !text.contains("sqlite") && !text.contains(".db") && !text.contains("disk"),
        "internals in {text}"
    );
}

/// After a refusal: nothing of it is stored, what was acknowledged is, reads work, a second
/// refused write changes nothing either, and `/healthz` names `reason`.
async fn assert_degraded(
    server: &Child,
    db: &Path,
    room: &str,
    acked: &[String],
    refused: &str,
    reason: &str,
) {
    let stored = messages(server, room).await;
    assert!(
        stored.iter().all(|(c, _)| c != refused),
        "the refused write is stored"
    );
    let newest: Vec<&String> = acked.iter().rev().take(stored.len()).collect();
    let got: Vec<&String> = stored.iter().map(|(c, _)| c).collect();
    assert_eq!(got, newest, "every acknowledged message, newest first");
    assert_eq!(
        stored[0].1,
        acked.len() as i64,
        "seq not bumped by the refusal"
    );

    let before = snapshot(db);
    let again = server.post(room, refused).await;
    assert_refused(&again);
    assert_eq!(snapshot(db), before, "a refused write changed the database");

    let h = server.health().await;
    assert_eq!(h.status, 503, "{}", h.json);
    assert_eq!(h.json["error"]["code"], "unavailable");
    assert_eq!(h.json["error"]["reason"], reason, "{}", h.json);
    let r = server.send(Method::GET, &Child::api("/rooms"), None).await;
    assert_eq!(r.status, 200, "room list while degraded: {}", r.json);
}

/// Writes work again (no restart): `/healthz` recovers on its own (it probes 5 s after the
/// last failed write), the refused message can be sent now (as new: `201`), and another one.
async fn assert_recovers(server: &Child, room: &str, acked: &[String], refused: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let h = server.health().await;
        if h.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "healthz stays {}", h.json);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = server.post(room, refused).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["seq"], acked.len() as i64 + 1);
    let r = server.post(room, "after-recovery").await;
    assert_eq!(r.status, 201, "{}", r.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers_when_space_is_freed() {
    if let Some(why) = cannot_mount() {
        return skip(&why);
    }
    let fs = match mount(&["-t", "tmpfs", "-o", "size=8m", "tmpfs"]) {
        Ok(m) => m,
        Err(why) => return skip(&why),
    };
    let db = fs.dir.path().join("chat.db");
    let server = Child::start(&db).await;
    let room = server.room().await;
    assert_eq!(server.post(&room, "first").await.status, 201);

    // Fill the file system, leaving the database whatever is left in its WAL.
    let filler = fs.dir.path().join("filler");
    fill(&filler);
    let (mut acked, refused, refused_id) = send_until_refused(&server, &room, "full").await;
    acked.insert(0, "first".into());
    assert_refused(&refused);
    assert_degraded(&server, &db, &room, &acked, &refused_id, "storage_full").await;

    std::fs::remove_file(&filler).unwrap();
    assert_recovers(&server, &room, &acked, &refused_id).await;
}

/// Writes 64 KiB blocks to `path` until the file system is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0xA5_u8; 64 << 10];
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling: {e}"),
        }
    }
    let _ = f.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_system_gone_read_only_refuses_writes_with_503_and_keeps_reads() {
    if let Some(why) = cannot_mount() {
        return skip(&why);
    }
    let images = tempfile::tempdir().unwrap();
    let image = images.path().join("fs.ext4");
    let made = Command::new("truncate")
        .args(["-s", "16M"])
        .arg(&image)
        .status()
        .and_then(|_| {
            Command::new("mkfs.ext4")
                .args(["-q", "-F"])
                .arg(&image)
                .status()
        });
    if !made.is_ok_and(|s| s.success()) {
        return skip("mkfs.ext4 is not available");
    }
    let image_arg = image.to_string_lossy().into_owned();
    let fs = match mount(&["-o", "loop,errors=remount-ro", &image_arg]) {
        Ok(m) => m,
        Err(why) => return skip(&why),
    };
    let Some(trigger) = ext4_error_trigger(fs.dir.path()) else {
        return skip("no /sys/fs/ext4/<device>/trigger_fs_error for the loop device");
    };
    let db = fs.dir.path().join("chat.db");
    let server = Child::start(&db).await;
    let room = server.room().await;
    let mut acked = Vec::new();
    for i in 0..20 {
        let id = format!("ro-{i}");
        assert_eq!(server.post(&room, &id).await.status, 201);
        acked.push(id);
    }

    // What ext4 does on an error with errors=remount-ro: the file system turns read-only
    // under the open files, and every write gets EROFS.
    std::fs::write(&trigger, "storage fault test\n").unwrap();
    let refused = server.post(&room, "refused").await;
    assert_refused(&refused);
    assert_degraded(&server, &db, &room, &acked, "refused", "storage_read_only").await;
    // (An ext4 file system the kernel made read-only stays so until it is unmounted and
    // checked: recovery without a restart is shown on the full disk above.)
}

/// The `trigger_fs_error` file of the ext4 file system mounted at `dir`.
fn ext4_error_trigger(dir: &Path) -> Option<PathBuf> {
    let out = Command::new("findmnt")
        .args(["-n", "-o", "SOURCE"])
        .arg(dir)
        .output()
        .ok()?;
    let source = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let device = Path::new(&source)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let trigger = PathBuf::from(format!("/sys/fs/ext4/{device}/trigger_fs_error"));
    trigger.exists().then_some(trigger)
}

/// Runs the binary on `db` (with `quick_check` at start if `check`); it must exit non-zero
/// within 20 s with a clear message on stderr and no panic. Returns stderr.
fn refused_at_start(db: &Path, check: bool) -> String {
    let mut child = Command::new(BIN)
        .env("CHAT_SQLITE_CHECK_ON_OPEN", check.to_string())
        .arg("--addr")
        .arg("127.0.0.1:0")
        .arg("--db")
        .arg(db)
        .env(
            "CHAT_JWT_SECRET",
            std::str::from_utf8(common::SECRET).unwrap(),
        )
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on {}", db.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "exit status {status}: {stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("cannot open"), "{stderr}");
    stderr
}

/// A chat database (the schema's pages), closed and folded into one file.
fn chat_db(path: &Path) {
    drop(chat_sqlite::SqliteStore::open(path).unwrap());
    // The store's threads close their connections as they wind down: wait for the last one,
    // then fold the WAL back so that the damage below hits the file that holds everything.
    std::thread::sleep(Duration::from_millis(300));
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))
        .unwrap();
}

#[test]
fn files_that_are_not_a_chat_database_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();

    let random = dir.path().join("random.db");
    let bytes: Vec<u8> = (0..64 * 1024_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&random, bytes).unwrap();
    let e = refused_at_start(&random, false);
    assert!(e.contains("not a database") || e.contains("corrupt"), "{e}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch(
            "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('a'); PRAGMA user_version = 4;",
        )
        .unwrap();
    let e = refused_at_start(&other, false);
    assert!(e.contains("not a chat database"), "{e}");
    // Refused before anything was written to it.
    let conn = rusqlite::Connection::open(&other).unwrap();
    let tables: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "the other application's file was migrated into");

    let stamped = dir.path().join("stamped.db");
    rusqlite::Connection::open(&stamped)
        .unwrap()
        .execute_batch("PRAGMA application_id = 1836017711;")
        .unwrap();
    let e = refused_at_start(&stamped, false);
    assert!(e.contains("another application"), "{e}");

    // A chat database cut in half (refused on every open), and one with a page overwritten
    // in the middle (found by the whole-file check, `--sqlite-check-on-open`).
    for damage in ["truncated", "overwritten"] {
        let path = dir.path().join(format!("{damage}.db"));
        chat_db(&path);
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len > 8 * 4096, "{len}");
        match damage {
            "truncated" => {
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.set_len(len / 2).unwrap();
            }
            _ => {
                use std::io::{Seek, SeekFrom, Write};
                let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.seek(SeekFrom::Start(3 * 4096)).unwrap();
                f.write_all(&vec![0x5A; 4096]).unwrap();
            }
        }
        let e = refused_at_start(&path, damage == "overwritten");
        assert!(
            e.contains("corrupt") || e.contains("malformed") || e.contains("damaged"),
            "{damage}: {e}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_file_is_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    std::fs::write(&db, b"").unwrap();
    let server = Child::start(&db).await;
    let room = server.room().await;
    assert_eq!(server.post(&room, "hello").await.status, 201);
}
