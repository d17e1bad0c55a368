//! `chat-load`: drives a real `chat-server-min` over loopback and reports what it measured.
//!
//! `cargo run --release -p chat-load` builds nothing itself: it starts the `chat-server-min`
//! binary found next to its own executable (build both with
//! `cargo build --release -p chat-server-min -p chat-load`) on a fresh temporary database,
//! and a hello-world hyper server (`chat-load hello`) as the ceiling for HTTP figures, both as
//! child processes so their memory can be read from `/proc`. Every phase is bounded in time
//! and count, and every wait has a timeout (HTTP exchange 30 s, WebSocket handshake 15 s, next
//! frame 40 s, child processes); all traffic stays on 127.0.0.1. The exit status is non-zero
//! when a phase was skipped or failed, or any request failed (the report is printed first).

mod client;
mod crash;
mod fanout;
mod hello;
mod hostile;
mod phases;
mod plot;
mod report;
mod setup;
mod soak;
mod spawn;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// Command line.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve a hello-world hyper endpoint on --addr (the ceiling for HTTP figures).
    Hello {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: String,
    },
    /// Crash safety: SIGKILL the server under concurrent senders and WebSocket subscribers,
    /// restart it on the same database, and check that nothing acknowledged was lost or
    /// doubled (see docs/robustness.md).
    Crash(crash::CrashArgs),
    /// Mixed load for minutes, sampling the server's memory, fds, WAL, event log and p99
    /// (slopes, CSV and SVG under --out).
    Soak(soak::SoakArgs),
    /// A normal client's p99 alone and beside slowloris sockets and idle WebSockets.
    Hostile(hostile::HostileArgs),
    /// (Internal) the fan-out subscribers, run as a separate process by the main run.
    #[command(hide = true)]
    Subscribe {
        /// Server address.
        #[arg(long)]
        addr: std::net::SocketAddr,
        /// Account of the room.
        #[arg(long)]
        account: i64,
        /// Room whose messages are awaited.
        #[arg(long)]
        room: String,
        /// File with one token per line: one socket each.
        #[arg(long)]
        tokens: std::path::PathBuf,
        /// Messages awaited on every socket.
        #[arg(long)]
        want: usize,
        /// Give up after this long.
        #[arg(long, default_value = "60", value_parser = secs)]
        timeout: Duration,
    },
}

/// What a run does.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Accounts.
    #[arg(long, default_value_t = 2)]
    pub accounts: usize,
    /// Users per account.
    #[arg(long, default_value_t = 50)]
    pub users: usize,
    /// Rooms per account (each with every user of the account as a member).
    #[arg(long, default_value_t = 4)]
    pub rooms: usize,
    /// Concurrent closed-loop clients (HTTP connections) for the HTTP phases.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Open-loop send rate (messages/s) instead of closed-loop senders.
    #[arg(long)]
    pub rate: Option<u64>,
    /// Length of each throughput phase.
    #[arg(long, default_value = "5", value_parser = secs)]
    pub duration: Duration,
    /// At most this many requests per throughput phase.
    #[arg(long, default_value_t = 500_000)]
    pub max_requests: u64,
    /// WebSocket subscribers of the fan-out room.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: usize,
    /// Messages per second sent to the fan-out room.
    #[arg(long, default_value_t = 100)]
    pub fanout_rate: u64,
    /// Idle WebSocket connections opened to measure memory per connection.
    #[arg(long, default_value_t = 10_000)]
    pub idle_connections: usize,
    /// Messages missed by the resuming client.
    #[arg(long, default_value_t = 1000)]
    pub resume_backlog: usize,
    /// Tiny sizes and sub-second phases (CI).
    #[arg(long)]
    pub quick: bool,
    /// Write the JSON report here (the markdown table goes to stdout).
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
}

fn secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}`: seconds between 0 and 600"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Some(Cmd::Hello { addr }) => hello::serve(&addr).await,
            Some(Cmd::Crash(args)) => crash::run(args).await,
            Some(Cmd::Subscribe {
                addr,
                account,
                room,
                tokens,
                want,
                timeout,
            }) => {
                let text = std::fs::read_to_string(&tokens).map_err(|e| e.to_string())?;
                let tokens = text.lines().map(str::to_owned).collect();
                fanout::subscribe(addr, account, room, tokens, want, timeout).await
            }
            Some(Cmd::Soak(args)) => soak::run(args).await,
            Some(Cmd::Hostile(args)) => hostile::run(args).await,
            None => phases::run(cli.run).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-load: {e}");
            ExitCode::FAILURE
        }
    }
}
