//! Configuration: the command line and environment (clap), and the validated [`Config`] that
//! [`crate::serve`] takes.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Shortest accepted `CHAT_JWT_SECRET`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Shortest accepted `CHAT_SERVICE_TOKEN`, in bytes.
pub const MIN_SERVICE_TOKEN_BYTES: usize = 16;

/// Write-request rate limits (GCRA), per user and per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateConfig {
    /// Sustained writes per second of one user.
    pub user_per_sec: u32,
    /// Burst of one user.
    pub user_burst: u32,
    /// Sustained writes per second of one account, all users together.
    pub account_per_sec: u32,
    /// Burst of one account.
    pub account_burst: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        Self {
            user_per_sec: 5,
            user_burst: 20,
            account_per_sec: 50,
            account_burst: 100,
        }
    }
}

/// Limits and timings of the realtime transports (WebSocket and SSE); see `REALTIME.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeConfig {
    /// Exact `Origin` values allowed on `/ws` and `/events` (`CHAT_ALLOWED_ORIGINS`). `None`:
    /// any origin (safe because no credential is ambient: a ticket needs the bearer token).
    pub allowed_origins: Option<Vec<String>>,
    /// How long a ticket from `POST /realtime/ticket` stays valid (30 s).
    pub ticket_ttl: Duration,
    /// Tickets outstanding at once, all accounts together (100,000); past it `429`.
    pub max_tickets: usize,
    /// Open realtime connections per user, WebSocket and SSE together (10); past it `429`.
    pub max_connections_per_user: usize,
    /// Events queued per connection between the subscription and the socket (256).
    pub queue_capacity: usize,
    /// How long a full queue (or one stalled socket write) is tolerated before the consumer
    /// is closed as too slow (10 s).
    pub slow_consumer_after: Duration,
    /// WebSocket ping interval (30 s); a connection silent for two intervals is dropped.
    pub ping_interval: Duration,
    /// SSE heartbeat comment interval (15 s).
    pub sse_heartbeat: Duration,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            allowed_origins: None,
            ticket_ttl: Duration::from_secs(30),
            max_tickets: 100_000,
            max_connections_per_user: 10,
            queue_capacity: 256,
            slow_consumer_after: Duration::from_secs(10),
            ping_interval: Duration::from_secs(30),
            sse_heartbeat: Duration::from_secs(15),
        }
    }
}

impl RealtimeConfig {
    /// Parses `CHAT_ALLOWED_ORIGINS`: comma-separated exact origins; blank means unset.
    pub fn parse_origins(raw: &str) -> Option<Vec<String>> {
        let list: Vec<String> = raw
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        (!list.is_empty()).then_some(list)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let zero = [
            self.max_tickets,
            self.max_connections_per_user,
            self.queue_capacity,
        ]
        .contains(&0)
            || [
                self.ticket_ttl,
                self.slow_consumer_after,
                self.ping_interval,
                self.sse_heartbeat,
            ]
            .contains(&Duration::ZERO);
        if zero {
            return Err(ConfigError(
                "realtime limits and intervals must be greater than zero".into(),
            ));
        }
        Ok(())
    }
}

/// What [`crate::serve`] needs. Secrets are redacted from `Debug`.
#[derive(Clone)]
pub struct Config {
    /// HS256 key of user tokens.
    pub jwt_secret: Vec<u8>,
    /// Accepted clock skew on `exp`, in seconds.
    pub jwt_leeway_secs: u64,
    /// Bearer token of the service API; `None` disables those routes.
    pub service_token: Option<String>,
    /// Write rate limits.
    pub rate: RateConfig,
    /// How long shutdown waits for in-flight requests before dropping connections.
    pub shutdown_grace: Duration,
    /// Realtime limits and timings.
    pub realtime: RealtimeConfig,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &"<redacted>")
            .field("jwt_leeway_secs", &self.jwt_leeway_secs)
            .field(
                "service_token",
                &self.service_token.as_ref().map(|_| "<redacted>"),
            )
            .field("rate", &self.rate)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("realtime", &self.realtime)
            .finish()
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// A configuration with this JWT secret (at least [`MIN_SECRET_BYTES`]) and defaults for
    /// everything else: no service API, default rate limits, 60 s leeway, 30 s grace.
    pub fn new(jwt_secret: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let jwt_secret = jwt_secret.into();
        if jwt_secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError(format!(
                "CHAT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
            )));
        }
        Ok(Self {
            jwt_secret,
            jwt_leeway_secs: 60,
            service_token: None,
            rate: RateConfig::default(),
            shutdown_grace: Duration::from_secs(30),
            realtime: RealtimeConfig::default(),
        })
    }

    /// Enables the service API with this bearer token (at least
    /// [`MIN_SERVICE_TOKEN_BYTES`]).
    pub fn with_service_token(mut self, token: impl Into<String>) -> Result<Self, ConfigError> {
        let token = token.into();
        if token.len() < MIN_SERVICE_TOKEN_BYTES {
            return Err(ConfigError(format!(
                "CHAT_SERVICE_TOKEN must be at least {MIN_SERVICE_TOKEN_BYTES} bytes"
            )));
        }
        self.service_token = Some(token);
        Ok(self)
    }

    /// Checks what the builders check, for a `Config` whose public fields were set directly:
    /// [`crate::serve`] refuses to start with an invalid one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        Config::new(self.jwt_secret.clone())?.with_rate(self.rate)?;
        if let Some(token) = &self.service_token {
            Config::new(self.jwt_secret.clone())?.with_service_token(token.clone())?;
        }
        self.realtime.validate()
    }

    /// Sets the rate limits; every value must be at least 1.
    pub fn with_rate(mut self, rate: RateConfig) -> Result<Self, ConfigError> {
        let all = [
            rate.user_per_sec,
            rate.user_burst,
            rate.account_per_sec,
            rate.account_burst,
        ];
        if all.contains(&0) {
            return Err(ConfigError("rate limits must be at least 1".into()));
        }
        self.rate = rate;
        Ok(self)
    }
}

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
    /// Run store reads on the request's task when an inline connection is free instead of
    /// on a reader thread (`chat_sqlite::Options::inline_reads`), at the price of blocking an
    /// async worker for each read's duration.
    #[arg(long, env = "CHAT_SQLITE_INLINE_READS")]
    pub sqlite_inline_reads: bool,
    /// MiB of the database file read through a memory map (`chat_sqlite::Options::mmap_size`;
    /// 0 turns it off, e.g. on a network file system).
    #[arg(long, env = "CHAT_SQLITE_MMAP_MIB", default_value_t = 1024)]
    pub sqlite_mmap_mib: u64,
    /// HS256 secret of user tokens, at least 32 bytes (prefer the environment variable).
    #[arg(long, env = "CHAT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
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
    /// (e.g. `https://hub.example.com`); unset: any origin.
    #[arg(long, env = "CHAT_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// Open realtime connections (WebSocket + SSE) per user.
    #[arg(long, env = "CHAT_REALTIME_MAX_CONNECTIONS_PER_USER", default_value_t = RealtimeConfig::default().max_connections_per_user)]
    pub realtime_max_connections_per_user: usize,
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
        config.realtime.allowed_origins = self
            .allowed_origins
            .as_deref()
            .and_then(RealtimeConfig::parse_origins);
        config.realtime.max_connections_per_user = self.realtime_max_connections_per_user;
        config.realtime.validate()?;
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
    fn origins() {
        assert_eq!(RealtimeConfig::parse_origins(" , "), None);
        assert_eq!(
            RealtimeConfig::parse_origins("https://a.example, https://b.example/"),
            Some(vec!["https://a.example".into(), "https://b.example".into()])
        );
        let mut c = Config::new("x".repeat(32)).unwrap();
        c.realtime.queue_capacity = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn ttl() {
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
    }

    #[test]
    fn secrets_are_checked_and_redacted() {
        assert!(Config::new("short").is_err());
        let c = Config::new("x".repeat(32)).unwrap();
        assert!(c.clone().with_service_token("short").is_err());
        let c = c.with_service_token("s".repeat(20)).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("xxxx") && !shown.contains("ssss"));
        assert!(c
            .with_rate(RateConfig {
                user_burst: 0,
                ..RateConfig::default()
            })
            .is_err());
    }
}
