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
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
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

/// A port free right now on 127.0.0.1.
pub fn free_port() -> Result<SocketAddr, String> {
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
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let launch = Launch {
        db: dir.path().join("load.db"),
        addr: free_port()?,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        log: None,
    };
    let mut server = launch.start(http, secret, service_token).await?;
    server._dir = Some(dir);
    Ok(server)
}

/// How to start `chat-server-min`: the database, the address, and environment variables on
/// top of the load tool's own (the crash harness passes the `synchronous` setting here, and a
/// run on another backend would pass its database URL).
#[derive(Debug, Clone)]
pub struct Launch {
    /// The SQLite database file.
    pub db: PathBuf,
    /// Where the server listens.
    pub addr: SocketAddr,
    /// Extra environment of the server process.
    pub env: Vec<(String, String)>,
    /// Appends the server's stderr (its log) to this file instead of discarding it.
    pub log: Option<PathBuf>,
}

impl Launch {
    /// Starts the server and waits until `/healthz` answers.
    pub async fn start(
        &self,
        http: &Http,
        secret: &str,
        service_token: &str,
    ) -> Result<Server, String> {
        let bin = sibling("chat-server-min")?;
        let stderr = match &self.log {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .map_err(|e| format!("{}: {e}", path.display()))?,
            None => Stdio::null(),
        };
        let mut child = Command::new(bin);
        child
            .arg("--addr")
            .arg(self.addr.to_string())
            .arg("--db")
            .arg(&self.db)
            .env("CHAT_JWT_SECRET", secret)
            .env("CHAT_SERVICE_TOKEN", service_token)
            .env("CHAT_RATE_USER_PER_SEC", "1000000")
            .env("CHAT_RATE_USER_BURST", "1000000")
            .env("CHAT_RATE_ACCOUNT_PER_SEC", "1000000")
            .env("CHAT_RATE_ACCOUNT_BURST", "1000000")
            .env("CHAT_REALTIME_MAX_CONNECTIONS_PER_USER", "100000")
            .env("RUST_LOG", "warn");
        for (k, v) in &self.env {
            child.env(k, v);
        }
        let child = child
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting chat-server-min: {e}"))?;
        let mut server = Server {
            child,
            addr: self.addr,
            _dir: None,
        };
        if let Err(e) = wait_healthy(http, self.addr, "/healthz").await {
            // Say why when it exited (a database it refused, say).
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("{e}: chat-server-min exited with {status}"));
            }
            return Err(e);
        }
        Ok(server)
    }
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
