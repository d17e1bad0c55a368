//! Configuration: the validated [`Config`] that [`crate::serve`] takes, built in code
//! ([`Config::new`] and the `with_*` builders; the other fields are public). The command line
//! and environment belong to the binary (`src/cli.rs`, behind the `cli` feature), so an
//! embedder does not compile clap.

use std::fmt;
use std::time::Duration;

/// Shortest accepted `CHAT_JWT_SECRET`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Shortest accepted `CHAT_SERVICE_TOKEN`, in bytes.
pub const MIN_SERVICE_TOKEN_BYTES: usize = 16;

/// Default cap on open connections ([`Config::max_connections`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

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
    /// same origin only (an `Origin` whose host and port are the request's `Host`). Either
    /// way a request without `Origin` (not a browser) is allowed, and `null` or several
    /// `Origin` headers are refused.
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
    /// Required `iss` of user tokens (`CHAT_JWT_ISSUER`); `None`: not checked.
    pub jwt_issuer: Option<String>,
    /// Required `aud` of user tokens (`CHAT_JWT_AUDIENCE`): the claim must be this value or a
    /// list containing it; `None`: not checked.
    pub jwt_audience: Option<String>,
    /// Bearer token of the service API; `None` disables those routes.
    pub service_token: Option<String>,
    /// Write rate limits.
    pub rate: RateConfig,
    /// How long shutdown waits for in-flight requests before dropping connections.
    pub shutdown_grace: Duration,
    /// Realtime limits and timings.
    pub realtime: RealtimeConfig,
    /// Origins whose pages may call the API from the browser (CORS), exact
    /// `scheme://host[:port]`; empty (the default): no CORS headers at all.
    pub cors_origins: Vec<String>,
    /// Open TCP connections of [`crate::serve`] at once, upgraded WebSockets and SSE streams
    /// included ([`DEFAULT_MAX_CONNECTIONS`]); past it a new connection is accepted and closed
    /// at once. Each idle connection costs a socket and some 17 KB: the default bounds that
    /// to ~170 MB and stays under a typical `nofile` limit of 65,536 with room for the
    /// database. Not used by [`crate::ChatService`] (the host's connections).
    pub max_connections: usize,
    /// How long a client may take to send a request head, counted from the connection's start
    /// or from the end of its previous response: also the idle timeout of a keep-alive
    /// connection that sends nothing (10 s). A deadline, not reset by progress, so a
    /// slowloris trickling its head a byte at a time is cut off too. [`crate::serve`] only.
    pub header_read_timeout: Duration,
    /// Origins of the host pages that may frame (or open) `/embed` and `/embed/admin`
    /// (`CHAT_EMBED_ORIGINS`), exact `scheme://host[:port]`; empty (the default): none may
    /// (`frame-ancestors 'none'`), except this server's own `/dev` page in dev mode.
    pub embed_origins: Vec<String>,
    /// Dev mode: serves the demo host `/dev` and `POST /dev/token` (which mints user tokens
    /// for anyone who asks). The binary sets it only with `--dev`, which listens on loopback
    /// and makes its own secret; an embedder must never set it in production.
    pub dev: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &"<redacted>")
            .field("jwt_leeway_secs", &self.jwt_leeway_secs)
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field(
                "service_token",
                &self.service_token.as_ref().map(|_| "<redacted>"),
            )
            .field("rate", &self.rate)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("realtime", &self.realtime)
            .field("cors_origins", &self.cors_origins)
            .field("max_connections", &self.max_connections)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("embed_origins", &self.embed_origins)
            .field("dev", &self.dev)
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

fn check_cors_origins(origins: &[String]) -> Result<(), ConfigError> {
    check_origins("CHAT_CORS_ORIGINS", origins)
}

fn check_origins(name: &str, origins: &[String]) -> Result<(), ConfigError> {
    match origins.iter().find(|o| !crate::http::cors::valid_origin(o)) {
        Some(bad) => Err(ConfigError(format!(
            "{name}: {bad:?} is not an origin like https://hub.example.com"
        ))),
        None => Ok(()),
    }
}

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
            jwt_issuer: None,
            jwt_audience: None,
            service_token: None,
            rate: RateConfig::default(),
            shutdown_grace: Duration::from_secs(30),
            realtime: RealtimeConfig::default(),
            cors_origins: Vec::new(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(10),
            embed_origins: Vec::new(),
            dev: false,
        })
    }

    /// Lets pages of these origins call the API from the browser (`CHAT_CORS_ORIGINS`);
    /// each must be exactly `http(s)://host[:port]`.
    pub fn with_cors_origins(mut self, origins: Vec<String>) -> Result<Self, ConfigError> {
        check_cors_origins(&origins)?;
        self.cors_origins = origins;
        Ok(self)
    }

    /// Lets host pages of these origins frame the chat and the admin console
    /// (`CHAT_EMBED_ORIGINS`); each must be exactly `http(s)://host[:port]`.
    pub fn with_embed_origins(mut self, origins: Vec<String>) -> Result<Self, ConfigError> {
        check_origins("CHAT_EMBED_ORIGINS", &origins)?;
        self.embed_origins = origins;
        Ok(self)
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
        check_cors_origins(&self.cors_origins)?;
        check_origins("CHAT_EMBED_ORIGINS", &self.embed_origins)?;
        if self.max_connections == 0 || self.header_read_timeout.is_zero() {
            return Err(ConfigError(
                "max_connections and header_read_timeout must be greater than zero".into(),
            ));
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
