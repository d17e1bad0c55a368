//! The shared state of a server ([`App`]) and admission ([`admission`]): what every route
//! handler and every realtime transport needs, and nothing that knows about either. The route
//! table and the accept loop sit above this module; it never looks up at them.

pub mod admission;
pub mod connections;

use chat_core::Chat;

use crate::auth::Verifier;
use crate::config::Config;
use crate::ops::metrics::Metrics;
use crate::ratelimit::Limits;
use crate::web;

pub use admission::{admit, same_account, Seen};
pub use connections::{stopping, Realtime};

/// Shared server state.
pub struct App {
    /// The library.
    pub chat: Chat,
    /// Configuration.
    pub config: Config,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Realtime state: tickets, connections per user, the shutdown signal.
    pub realtime: Realtime,
    /// The web client's files as served (built on first use; rebuilt on change in debug builds).
    pub web: web::Source,
    pub(crate) verifier: Verifier,
    pub(crate) limits: Limits,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The state for this library and configuration: a token verifier for the secret, fresh
    /// rate limiters, metrics and realtime state.
    pub fn new(chat: Chat, config: Config) -> Self {
        Self {
            verifier: Verifier::new(&config.jwt_secret, config.jwt_leeway_secs)
                .expecting(config.jwt_issuer.as_deref(), config.jwt_audience.as_deref()),
            limits: Limits::new(&config.rate),
            metrics: Metrics::new(),
            realtime: Realtime::new(&config.realtime),
            web: web::Source::default(),
            chat,
            config,
        }
    }

    /// Periodic upkeep: forgets idle rate-limit keys and expired tickets.
    pub fn evict_idle(&self) {
        self.limits.evict_idle();
        self.realtime.tickets.evict_expired();
    }
}
