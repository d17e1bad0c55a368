//! Realtime state of a server: outstanding tickets, open connections per user, and the
//! shutdown signal every connection watches. Held by [`super::App`] (so it sits below the
//! transports that use it: `realtime::Slot` counts through it).

use std::collections::HashMap;
use std::sync::Mutex;

use chat_core::{AccountId, UserId};
use tokio::sync::watch;

use crate::auth::Tickets;
use crate::config::RealtimeConfig;

/// Realtime state of a server: tickets, connection counts, the shutdown signal.
#[derive(Debug)]
pub struct Realtime {
    /// Outstanding tickets.
    pub tickets: Tickets,
    per_user: Mutex<HashMap<(AccountId, UserId), usize>>,
    shutdown: watch::Sender<bool>,
}

impl Realtime {
    /// Empty state for this configuration.
    pub fn new(cfg: &RealtimeConfig) -> Self {
        Self {
            tickets: Tickets::new(cfg.ticket_ttl, cfg.max_tickets),
            per_user: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
        }
    }

    /// A receiver that turns `true` when the server shuts down. Every open HTTP connection and
    /// realtime session holds one; shutdown waits until all are dropped.
    pub fn shutdown_watch(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every connection to finish (realtime ones close with `going_away`).
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes when every holder of [`Realtime::shutdown_watch`] is gone.
    pub async fn drained(&self) {
        self.shutdown.closed().await;
    }

    /// Open realtime connections of a user.
    pub fn connections_of(&self, account: AccountId, user: UserId) -> usize {
        self.lock().get(&(account, user)).copied().unwrap_or(0)
    }

    /// Counts one more connection of `key` unless it already has `max`; whether it did.
    pub(crate) fn try_open(&self, key: (AccountId, UserId), max: usize) -> bool {
        let mut map = self.lock();
        let n = map.entry(key).or_insert(0);
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    /// Counts one connection of `key` less (forgetting users with none).
    pub(crate) fn close(&self, key: (AccountId, UserId)) {
        let mut map = self.lock();
        if let Some(n) = map.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&key);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(AccountId, UserId), usize>> {
        self.per_user.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Completes once `rx` turns `true` (or its sender is gone).
pub async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
