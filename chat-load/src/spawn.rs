//! Child processes: the chat server on a fresh database, and the hello-world server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::Http;

/// A running child server.
pub struct Server {
    /// The process (killed on drop).
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    // Keeps the database directory alive.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Resident memory of the process in KiB, from `/proc` (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        self.status_kib("VmRSS:")
    }

    /// A KiB field of `/proc/<pid>/status` (`VmRSS:`, `RssAnon:`…).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    }

    /// Open file descriptors of the process (sockets, database files), from `/proc` (Linux).
    pub fn open_fds(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
        Some(dir.count() as u64)
    }

    /// The server's database file (`None` for the hello server).
    pub fn db_path(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("load.db"))
    }
}

fn sibling(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe
        .parent()
        .map(|d| d.join(name))
        .ok_or("no executable directory")?;
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it first (cargo build --release -p chat-server-min -p chat-load)",
            path.display()
        ))
    }
}

fn free_port() -> Result<SocketAddr, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map_err(|e| e.to_string())
}

async fn wait_healthy(http: &Http, addr: SocketAddr, path: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http.get(&format!("http://{addr}{path}"), None).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("server on {addr} did not become healthy"))
}

/// Starts `chat-server-min` on a free port over a temporary database, with rate limits out of
/// the way (the load tool measures the server, not the limiter) and request logs off.
pub async fn chat_server(http: &Http, secret: &str, service_token: &str) -> Result<Server, String> {
    chat_server_with(http, secret, service_token, &[]).await
}

/// [`chat_server`] with more environment variables (`CHAT_*` settings of a mode), set last.
pub async fn chat_server_with(
    http: &Http,
    secret: &str,
    service_token: &str,
    env: &[(&str, &str)],
) -> Result<Server, String> {
    let bin = sibling("chat-server-min")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let addr = free_port()?;
    let child = Command::new(bin)
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--db")
        .arg(dir.path().join("load.db"))
        .env("CHAT_JWT_SECRET", secret)
        .env("CHAT_SERVICE_TOKEN", service_token)
        .env("CHAT_RATE_USER_PER_SEC", "1000000")
        .env("CHAT_RATE_USER_BURST", "1000000")
        .env("CHAT_RATE_ACCOUNT_PER_SEC", "1000000")
        .env("CHAT_RATE_ACCOUNT_BURST", "1000000")
        .env("CHAT_REALTIME_MAX_CONNECTIONS_PER_USER", "100000")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting chat-server-min: {e}"))?;
    wait_healthy(http, addr, "/healthz").await?;
    Ok(Server {
        child,
        addr,
        _dir: Some(dir),
    })
}

/// Starts `chat-load hello` and reads the address it bound.
pub async fn hello_server(http: &Http) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("hello")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting hello: {e}"))?;
    let stdout = child.stdout.take().ok_or("hello has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .map_err(|_| "hello did not start")?
        .map_err(|e| e.to_string())?
        .ok_or("hello exited")?;
    let addr: SocketAddr = line
        .trim_start_matches("listening on ")
        .parse()
        .map_err(|_| format!("hello printed `{line}`"))?;
    wait_healthy(http, addr, "/").await?;
    Ok(Server {
        child,
        addr,
        _dir: None,
    })
}
