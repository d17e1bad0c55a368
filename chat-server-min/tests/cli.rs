//! The binary: `token`, production-mode secret checks, and `--dev` end to end (seed, printed
//! tokens and URLs that work, idempotent re-seed, SIGTERM shutdown).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const BIN: &str = env!("CARGO_BIN_EXE_chat-server-min");
const SECRET: &str = "cli-test-secret-0123456789abcdefghijkl";

fn bin() -> Command {
    let mut c = Command::new(BIN);
    for var in [
        "CHAT_JWT_SECRET",
        "CHAT_SERVICE_TOKEN",
        "CHAT_ADDR",
        "CHAT_DB",
        "CHAT_DATABASE_URL",
        "CHAT_JWT_ISSUER",
        "CHAT_JWT_AUDIENCE",
    ] {
        c.env_remove(var);
    }
    c
}

#[test]
fn token_subcommand_mints_verifiable_tokens() {
    let out = bin()
        .env("CHAT_JWT_SECRET", SECRET)
        .args([
            "token",
            "--account",
            "7",
            "--user",
            "12",
            "--role",
            "supervisor",
            "--name",
            "Sam",
            "--ttl",
            "2h",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let id = chat_server_min::auth::Verifier::new(SECRET.as_bytes(), 0)
        .verify(&headers)
        .unwrap();
    assert_eq!(
        (id.account.0, id.user.0, id.role.as_str()),
        (7, 12, "supervisor")
    );
    assert_eq!(id.name.as_deref(), Some("Sam"));

    // With CHAT_JWT_ISSUER / CHAT_JWT_AUDIENCE, tokens carry them (and a server checking them
    // accepts them; one expecting others does not).
    let out = bin()
        .env("CHAT_JWT_SECRET", SECRET)
        .env("CHAT_JWT_ISSUER", "https://hub.example")
        .env("CHAT_JWT_AUDIENCE", "team-chat")
        .args(["token", "--account", "7", "--user", "12", "--role", "agent"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let verifier = |iss, aud| {
        chat_server_min::auth::Verifier::new(SECRET.as_bytes(), 0).expecting(Some(iss), Some(aud))
    };
    assert!(verifier("https://hub.example", "team-chat")
        .verify(&headers)
        .is_ok());
    assert!(verifier("https://other.example", "team-chat")
        .verify(&headers)
        .is_err());
    assert!(verifier("https://hub.example", "other")
        .verify(&headers)
        .is_err());

    for (env, args) in [
        (
            None,
            vec!["token", "--account", "1", "--user", "1", "--role", "agent"],
        ),
        (
            Some("short"),
            vec!["token", "--account", "1", "--user", "1", "--role", "agent"],
        ),
        (
            Some(SECRET),
            vec!["token", "--account", "1", "--user", "1", "--role", "root"],
        ),
        (
            Some(SECRET),
            vec![
                "token",
                "--account",
                "1",
                "--user",
                "1",
                "--role",
                "agent",
                "--ttl",
                "soon",
            ],
        ),
    ] {
        let mut c = bin();
        if let Some(s) = env {
            c.env("CHAT_JWT_SECRET", s);
        }
        let out = c.args(&args).output().unwrap();
        assert!(!out.status.success(), "{env:?} {args:?}");
    }
}

#[test]
fn production_mode_refuses_missing_or_short_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    for secret in [None, Some("x".repeat(31))] {
        let mut c = bin();
        if let Some(s) = &secret {
            c.env("CHAT_JWT_SECRET", s);
        }
        let out = c
            .args(["--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("CHAT_JWT_SECRET"), "{err}");
    }
    let out = bin()
        .env("CHAT_JWT_SECRET", SECRET)
        .env("CHAT_SERVICE_TOKEN", "short")
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CHAT_SERVICE_TOKEN"));
}

/// Starts `--dev`, reads the printed walk-through up to the first curl, returns the child,
/// the exported variables and the DM id.
fn start_dev(db: &std::path::Path) -> (std::process::Child, Vec<(String, String)>, String) {
    let mut child = bin()
        .args(["--dev", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut vars = Vec::new();
    let mut dm = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("export ") {
            let (k, v) = rest.split_once('=').unwrap();
            let v = v.split('\'').nth(1).unwrap();
            vars.push((k.to_owned(), v.to_owned()));
        }
        if line.contains("/messages?limit=10") {
            let after = line.split("/rooms/").nth(1).unwrap();
            dm = Some(after.split('/').next().unwrap().to_owned());
        }
        if line.contains("$CHAT/entitlements") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, vars, dm.unwrap())
}

async fn get(url: &str, token: &str) -> (u16, serde_json::Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let req = http::Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .body(Empty::new())
        .unwrap();
    let res = client.request(req).await.unwrap();
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

fn terminate(mut child: std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..100 {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "exit after SIGTERM: {exit:?}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("no graceful exit within 5 s of SIGTERM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_seeds_and_prints_working_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dev.db");
    for run in 0..2 {
        let (child, vars, dm) = start_dev(&db);
        let var = |k: &str| vars.iter().find(|(n, _)| n == k).unwrap().1.clone();
        let chat = var("CHAT");
        let (status, rooms) = get(&format!("{chat}/rooms"), &var("ALICE")).await;
        assert_eq!(status, 200, "run {run}: {rooms}");
        assert_eq!(
            rooms["items"].as_array().unwrap().len(),
            2,
            "run {run}: {rooms}"
        );
        let (status, msgs) = get(&format!("{chat}/rooms/{dm}/messages"), &var("BOB")).await;
        assert_eq!(status, 200);
        assert_eq!(
            msgs["items"].as_array().unwrap().len(),
            3,
            "run {run}: re-seeding adds nothing"
        );
        let (status, room) = get(&format!("{chat}/rooms/{dm}"), &var("SUPERVISOR")).await;
        assert_eq!(status, 200);
        assert_eq!(room["members"].as_array().unwrap().len(), 2);
        let (status, _) = get(&format!("{chat}/audit"), &var("ADMIN")).await;
        assert_eq!(status, 200);
        // The v1.1 lines of the walk-through: the directory search and the statistics.
        let (status, users) = get(&format!("{chat}/users?q=ali"), &var("BOB")).await;
        assert_eq!(status, 200);
        assert_eq!(users["items"][0]["name"], "Alice Agent", "{users}");
        let (status, stats) = get(&format!("{chat}/stats?range=day"), &var("SUPERVISOR")).await;
        assert_eq!(status, 200);
        assert_eq!(stats["series"].as_array().unwrap().len(), 24, "{stats}");
        let (status, e) = get(&format!("{chat}/entitlements"), &var("SERVICE")).await;
        assert_eq!(status, 200, "{e}");
        terminate(child);
    }
}

/// `--dev` prints admin tokens and its secrets and seeds demo users: it refuses anything that
/// looks like production — configured secrets, a non-loopback address, a database it did not
/// create — and writes nothing when it refuses.
#[test]
fn dev_mode_refuses_production_settings() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.db");
    let refuse = |c: &mut Command, why: &str| {
        let out = c.output().unwrap();
        assert!(!out.status.success(), "{why}: started");
        assert!(
            String::from_utf8_lossy(&out.stdout).is_empty(),
            "{why}: printed something"
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refuse(
        bin()
            .env("CHAT_JWT_SECRET", SECRET)
            .args(["--dev", "--addr", "127.0.0.1:0", "--db"])
            .arg(&fresh),
        "configured secret",
    );
    assert!(err.contains("CHAT_JWT_SECRET"), "{err}");
    let err = refuse(
        bin()
            .env("CHAT_SERVICE_TOKEN", "prod-service-token-0123456789")
            .args(["--dev", "--addr", "127.0.0.1:0", "--db"])
            .arg(&fresh),
        "configured service token",
    );
    assert!(err.contains("CHAT_SERVICE_TOKEN"), "{err}");
    let err = refuse(
        bin()
            .args(["--dev", "--addr", "0.0.0.0:0", "--db"])
            .arg(&fresh),
        "public address",
    );
    assert!(err.contains("loopback"), "{err}");
    assert!(!fresh.exists(), "nothing written on refusal");

    // A database that --dev did not create (say, production's) is never seeded.
    let prod = dir.path().join("prod.db");
    drop(chat_sqlite::SqliteStore::open(&prod).unwrap());
    let err = refuse(
        bin()
            .args(["--dev", "--addr", "127.0.0.1:0", "--db"])
            .arg(&prod),
        "foreign database",
    );
    assert!(err.contains("not created by --dev"), "{err}");
    let db = rusqlite::Connection::open(&prod).unwrap();
    let count = |table: &str| -> i64 {
        db.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count("internal_chat_directory"), 0, "no demo users");
    assert_eq!(count("internal_chat_rooms"), 0, "no demo rooms");
}
