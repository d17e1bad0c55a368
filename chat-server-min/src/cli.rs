//! The command line and environment of the binary (clap). Only `main.rs` declares this
//! module: the library takes a plain [`Config`], so embedders never compile clap (the `cli`
//! feature, on by default, is what pulls it in for the binary).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chat_server_min::config::{Config, ConfigError, RateConfig, RealtimeConfig};
use clap::{Args, Parser, Subcommand};

/// The command line. Every option can also come from the environment.
#[derive(Debug, Parser)]
#[command(
    name = "chat-server-min",
    version,
    about = "HTTP API v1 of the internal team chat"
)]
pub struct Cli {
    /// What to do; serving is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Server options.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mints a user token signed with CHAT_JWT_SECRET and prints it.
    Token(TokenArgs),
}

/// Options of `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Account id.
    #[arg(long)]
    pub account: i64,
    /// User id.
    #[arg(long)]
    pub user: i64,
    /// admin, supervisor or agent.
    #[arg(long)]
    pub role: String,
    /// Display name.
    #[arg(long)]
    pub name: Option<String>,
    /// Lifetime: a number with s, m, h or d (default 1h).
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: Duration,
}

/// `PRAGMA synchronous` as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// `NORMAL`: durable across process crashes; a power loss may drop the last commits.
    Normal,
    /// `FULL`: every commit is durable before it is acknowledged.
    Full,
}

/// Options of the server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Newcomer mode: local SQLite file, generated secret, seeded demo account, curl examples.
    #[arg(long)]
    pub dev: bool,
    /// Listen address.
    #[arg(long, env = "CHAT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// SQLite database file (default `chat.db`, or `chat-dev.db` with `--dev`).
    #[arg(long, env = "CHAT_DB")]
    pub db: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: a libpq connection string (`postgres://user@host/db?sslmode=verify-full`),
    /// the role the server works as (neither superuser nor BYPASSRLS: docs/postgres.md).
    /// Several servers on one database form one chat (`chat_postgres::PgBus`).
    #[arg(long, env = "CHAT_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// With `--database-url`: migrate the database first, as the URL's role (which must then
    /// own the tables; otherwise migrate once with `chat_postgres::PgStore::migrate` as the owner).
    #[arg(long, env = "CHAT_DATABASE_MIGRATE")]
    pub database_migrate: bool,
    /// With `--database-url`: connections in the pool.
    #[arg(long, env = "CHAT_DATABASE_POOL_SIZE", default_value_t = chat_postgres::Options::default().pool_size)]
    pub database_pool_size: usize,
    /// With `--database-url`: milliseconds a statement may run before it is cancelled.
    #[arg(
        long,
        env = "CHAT_DATABASE_STATEMENT_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub database_statement_timeout_ms: u64,
    /// Run store reads on the request's task when an inline connection is free instead of
    /// on a reader thread (`chat_sqlite::Options::inline_reads`), at the price of blocking an
    /// async worker for each read's duration.
    #[arg(long, env = "CHAT_SQLITE_INLINE_READS")]
    pub sqlite_inline_reads: bool,
    /// MiB of the database file read through a memory map (`chat_sqlite::Options::mmap_size`;
    /// 0 turns it off, e.g. on a network file system).
    #[arg(long, env = "CHAT_SQLITE_MMAP_MIB", default_value_t = 1024)]
    pub sqlite_mmap_mib: u64,
    /// Most store reads waiting for a reader thread; past it requests get `503 overloaded`
    /// (`chat_sqlite::Options::read_queue`).
    #[arg(long, env = "CHAT_SQLITE_READ_QUEUE", default_value_t = chat_sqlite::Options::default().read_queue)]
    pub sqlite_read_queue: usize,
    /// Most store writes waiting for the writer thread; past it requests get `503 overloaded`
    /// with nothing written (`chat_sqlite::Options::write_queue`).
    #[arg(long, env = "CHAT_SQLITE_WRITE_QUEUE", default_value_t = chat_sqlite::Options::default().write_queue)]
    pub sqlite_write_queue: usize,
    /// `PRAGMA synchronous` of the database (`chat_sqlite::Options::synchronous_full`):
    /// `normal` loses no committed write when the process crashes, only the last ones on a
    /// power loss or OS crash; `full` syncs the WAL on every commit, so none is lost then
    /// either (see docs/robustness.md).
    #[arg(long, env = "CHAT_SQLITE_SYNCHRONOUS", value_enum, default_value_t = Synchronous::Normal)]
    pub sqlite_synchronous: Synchronous,
    /// Check the database with `PRAGMA quick_check` at start and refuse a damaged one
    /// (`chat_sqlite::Options::check_on_open`; reads the whole file: ~10 s per 450 MiB).
    #[arg(long, env = "CHAT_SQLITE_CHECK_ON_OPEN")]
    pub sqlite_check_on_open: bool,
    /// HS256 secret of user tokens, at least 32 bytes (prefer the environment variable).
    #[arg(long, env = "CHAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Required `iss` claim of user tokens; unset: not checked (`token` puts it in tokens).
    #[arg(long, env = "CHAT_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim of user tokens (the value, or a list containing it); unset: not
    /// checked (`token` puts it in tokens).
    #[arg(long, env = "CHAT_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Seconds of clock skew accepted on a user token's `exp` (and `nbf`).
    #[arg(long, env = "CHAT_JWT_LEEWAY_SECS", default_value_t = 60)]
    pub jwt_leeway_secs: u64,
    /// Bearer token of the service API; the service routes are disabled when unset.
    #[arg(long, env = "CHAT_SERVICE_TOKEN", hide_env_values = true)]
    pub service_token: Option<String>,
    /// Sustained write requests per second per user.
    #[arg(long, env = "CHAT_RATE_USER_PER_SEC", default_value_t = RateConfig::default().user_per_sec)]
    pub rate_user_per_sec: u32,
    /// Write burst per user.
    #[arg(long, env = "CHAT_RATE_USER_BURST", default_value_t = RateConfig::default().user_burst)]
    pub rate_user_burst: u32,
    /// Sustained write requests per second per account.
    #[arg(long, env = "CHAT_RATE_ACCOUNT_PER_SEC", default_value_t = RateConfig::default().account_per_sec)]
    pub rate_account_per_sec: u32,
    /// Write burst per account.
    #[arg(long, env = "CHAT_RATE_ACCOUNT_BURST", default_value_t = RateConfig::default().account_burst)]
    pub rate_account_burst: u32,
    /// Seconds shutdown waits for in-flight requests.
    #[arg(long, env = "CHAT_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Origins allowed to open /ws and /events: comma-separated exact matches
    /// (e.g. `https://hub.example.com`); unset: same origin only (the request's `Host`).
    #[arg(long, env = "CHAT_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// Origins whose pages may call the API from the browser (CORS): comma-separated exact
    /// origins (e.g. `https://hub.example.com`); unset: no CORS headers.
    #[arg(long, env = "CHAT_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Host pages that may frame the chat (`/embed`) and the admin console (`/embed/admin`):
    /// comma-separated exact origins; unset: none may (in `--dev`, the server's own `/dev`).
    #[arg(long, env = "CHAT_EMBED_ORIGINS")]
    pub embed_origins: Option<String>,
    /// Open realtime connections (WebSocket + SSE) per user.
    #[arg(long, env = "CHAT_REALTIME_MAX_CONNECTIONS_PER_USER", default_value_t = RealtimeConfig::default().max_connections_per_user)]
    pub realtime_max_connections_per_user: usize,
    /// Open TCP connections at once (upgraded WebSockets included); past it new connections
    /// are closed at once.
    #[arg(long, env = "CHAT_MAX_CONNECTIONS", default_value_t = chat_server_min::config::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request head; also the idle timeout of keep-alive
    /// connections.
    #[arg(long, env = "CHAT_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds between the server's WebSocket pings; a connection that sends nothing (not
    /// even a pong) for two intervals is closed (`keepalive_timeout`, 4000).
    #[arg(long, env = "CHAT_WS_PING_INTERVAL_SECS", default_value_t = RealtimeConfig::default().ping_interval.as_secs())]
    pub ws_ping_interval_secs: u64,
    /// Seconds after a user's last connection closes before they show as offline.
    #[arg(long, env = "CHAT_PRESENCE_GRACE_SECS", default_value_t = 15)]
    pub presence_grace_secs: u64,
}

impl ServerArgs {
    /// The rate limits given.
    pub fn rate(&self) -> RateConfig {
        RateConfig {
            user_per_sec: self.rate_user_per_sec,
            user_burst: self.rate_user_burst,
            account_per_sec: self.rate_account_per_sec,
            account_burst: self.rate_account_burst,
        }
    }

    /// The server configuration for a secret (the given one, or a generated one in dev mode).
    pub fn config(&self, jwt_secret: Vec<u8>) -> Result<Config, ConfigError> {
        let mut config = Config::new(jwt_secret)?.with_rate(self.rate())?;
        if let Some(token) = self.service_token.as_deref().filter(|t| !t.is_empty()) {
            config = config.with_service_token(token)?;
        }
        config.shutdown_grace = Duration::from_secs(self.shutdown_grace_secs);
        config.jwt_leeway_secs = self.jwt_leeway_secs;
        let set = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        config.jwt_issuer = set(&self.jwt_issuer);
        config.jwt_audience = set(&self.jwt_audience);
        config.realtime.allowed_origins = self
            .allowed_origins
            .as_deref()
            .and_then(RealtimeConfig::parse_origins);
        config.realtime.max_connections_per_user = self.realtime_max_connections_per_user;
        config.realtime.ping_interval = Duration::from_secs(self.ws_ping_interval_secs);
        if let Some(list) = self
            .cors_origins
            .as_deref()
            .and_then(RealtimeConfig::parse_origins)
        {
            config = config.with_cors_origins(list)?;
        }
        if let Some(list) = self
            .embed_origins
            .as_deref()
            .and_then(RealtimeConfig::parse_origins)
        {
            config = config.with_embed_origins(list)?;
        }
        config.dev = self.dev;
        config.max_connections = self.max_connections;
        config.header_read_timeout = Duration::from_secs(self.header_read_timeout_secs);
        config.validate()?;
        Ok(config)
    }
}

/// Parses `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_ttl(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: u64 = num.parse().map_err(|_| format!("bad duration `{s}`"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .filter(|secs| *secs > 0)
    .ok_or_else(|| format!("bad duration `{s}` (use e.g. 90s, 15m, 1h, 7d)"))?;
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl() {
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
    }

    #[test]
    fn ws_ping_interval_is_configurable_and_never_zero() {
        let secret = vec![b'k'; 32];
        let args = |extra: &[&str]| {
            let mut argv = vec!["chat-server-min"];
            argv.extend_from_slice(extra);
            Cli::try_parse_from(argv).unwrap().server
        };
        let default = args(&[]).config(secret.clone()).unwrap();
        assert_eq!(default.realtime.ping_interval, Duration::from_secs(30));
        let short = args(&["--ws-ping-interval-secs", "4"])
            .config(secret.clone())
            .unwrap();
        assert_eq!(short.realtime.ping_interval, Duration::from_secs(4));
        assert!(args(&["--ws-ping-interval-secs", "0"])
            .config(secret)
            .is_err());
    }
}
