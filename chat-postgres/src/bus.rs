//! [`PgBus`]: the `EventBus` across nodes on one database, with PostgreSQL's own
//! `LISTEN`/`NOTIFY` — no second broker to operate. The log is the truth; notifications are
//! hints that may be lost.
//!
//! * **Publishing** delivers on this node at once (a [`LocalBus`]) and queues a hint —
//!   (account, newest id) — for the other nodes. A flusher sends the queued hints every few
//!   milliseconds as one `pg_notify` in its own small transaction: NOTIFY inside the data
//!   transactions would serialize every commit of the database on one global lock.
//! * **Listening**: one dedicated connection per node (not from the pool) `LISTEN`s. A hint
//!   of another node for an account this node has subscribers of makes it read the account's
//!   log after the last id it delivered, and deliver what it finds. When the connection is
//!   lost it reconnects and re-reads every watched account's log.
//! * **Safety net**: every second the log of every watched account is read after its last
//!   delivered id, so a lost hint delays an event by a second at most.
//! * Deactivations and disabled accounts travel as hints too (they end streams on every
//!   node). Ephemeral events (typing) stay on their node: not done yet.
//!
//! Delivery may repeat an event (a node's own events come back through the log) or bring
//! them out of order: subscriptions drop what they already have and fill gaps from the log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_core::hub::{EventBus, FeedItem, LocalBus};
use chat_core::ids::{AccountId, UserId};
use chat_core::store::ChatStore;
use tokio::sync::broadcast;

use crate::connect::Target;
use crate::error::{db, pool, Result};
use crate::options::Options;
use crate::PgStore;

/// The notification channel.
const CHANNEL: &str = "internal_chat_events";
/// How often the flusher sends what hints gathered, as one notify.
const FLUSH_EVERY: Duration = Duration::from_millis(3);
/// The safety net's period.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Hints per notification (payloads are limited to 8000 bytes).
const HINTS_PER_NOTIFY: usize = 200;
/// How far before the log's head a newly watched account starts (delivering a few events a
/// subscriber already has costs nothing; missing one would cost a wait).
const WATCH_BACK: i64 = 64;

#[derive(Default)]
struct State {
    /// Newest id per account, not yet sent to the other nodes.
    hints: HashMap<AccountId, i64>,
    /// Deactivated users and disabled accounts, not yet sent.
    controls: Vec<(AccountId, Option<UserId>)>,
    /// Accounts with subscribers on this node, and the newest id delivered here (`None`
    /// until the log's head was read).
    watched: HashMap<AccountId, Option<i64>>,
}

/// The bus across nodes. See the module docs.
pub struct PgBus {
    local: LocalBus,
    node: String,
    state: Mutex<State>,
    store: Arc<PgStore>,
}

impl std::fmt::Debug for PgBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBus")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

impl PgBus {
    /// Starts the bus of this node on the database of `url` (the store's), with its flusher,
    /// listener and safety-net tasks on the current runtime; they end when the bus is dropped.
    pub fn start(url: &str, options: &Options, store: Arc<PgStore>) -> Result<Arc<Self>> {
        let target = Target::parse(url)?;
        let bus = Arc::new(Self {
            local: LocalBus::default(),
            node: uuid::Uuid::now_v7().simple().to_string(),
            state: Mutex::new(State::default()),
            store,
        });
        tokio::spawn(flusher(Arc::downgrade(&bus)));
        tokio::spawn(listener(Arc::downgrade(&bus), target, options.clone()));
        tokio::spawn(poller(Arc::downgrade(&bus)));
        Ok(bus)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Delivers every event of `account` after the last one delivered here.
    async fn catch_up(&self, account: AccountId) -> Result<()> {
        let Some(known) = self.state().watched.get(&account).copied() else {
            return Ok(());
        };
        let mut cursor = match known {
            Some(c) => c,
            None => {
                let head = self.store.events_after(account, i64::MAX, 1).await?.last_id;
                (head - WATCH_BACK).max(0)
            }
        };
        loop {
            let slice = self.store.events_after(account, cursor, 256).await?;
            let Some(last) = slice.events.last().and_then(|e| e.id) else {
                break;
            };
            for e in slice.events {
                self.local.publish(account, FeedItem::Event(Arc::new(e)));
            }
            cursor = last;
        }
        let mut state = self.state();
        if let Some(slot) = state.watched.get_mut(&account) {
            *slot = Some(slot.map_or(cursor, |c| c.max(cursor)));
        }
        Ok(())
    }

    fn watched(&self) -> Vec<AccountId> {
        self.state().watched.keys().copied().collect()
    }

    /// Acts on a notification of another node.
    async fn on_notify(&self, payload: &str) {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(payload) else {
            return;
        };
        if msg["n"].as_str() == Some(self.node.as_str()) {
            return;
        }
        for c in msg["c"].as_array().into_iter().flatten() {
            let account = c[0].as_i64().map(AccountId);
            let user = c[1].as_i64().map(UserId);
            if let Some(account) = account {
                let item = match user {
                    Some(u) => FeedItem::UserDeactivated(u),
                    None => FeedItem::ChatDisabled,
                };
                self.local.publish(account, item);
            }
        }
        for h in msg["h"].as_array().into_iter().flatten() {
            let (Some(account), Some(id)) = (h[0].as_i64().map(AccountId), h[1].as_i64()) else {
                continue;
            };
            let behind =
                matches!(self.state().watched.get(&account), Some(d) if d.is_none_or(|d| d < id));
            if behind {
                if let Err(e) = self.catch_up(account).await {
                    tracing::warn!(error = %e, "PgBus: reading the log failed");
                }
            }
        }
    }

    /// Sends the queued hints, as few notifications as fit.
    async fn flush(&self) -> Result<()> {
        let (hints, controls) = {
            let mut state = self.state();
            (
                std::mem::take(&mut state.hints),
                std::mem::take(&mut state.controls),
            )
        };
        if hints.is_empty() && controls.is_empty() {
            return Ok(());
        }
        let hints: Vec<(i64, i64)> = hints.into_iter().map(|(a, id)| (a.0, id)).collect();
        let controls: Vec<(i64, Option<i64>)> = controls
            .into_iter()
            .map(|(a, u)| (a.0, u.map(|u| u.0)))
            .collect();
        let c = self.store.pool.get().await.map_err(pool)?;
        let stmt = c
            .prepare_cached("SELECT pg_notify($1, $2)")
            .await
            .map_err(db)?;
        let mut first = true;
        for chunk in hints.chunks(HINTS_PER_NOTIFY).map(Some).chain([None]) {
            if chunk.is_none() && !first {
                break;
            }
            let payload = serde_json::json!({
                "n": self.node,
                "h": chunk.unwrap_or(&[]),
                "c": if first { &controls[..] } else { &[] },
            });
            first = false;
            c.execute(&stmt, &[&CHANNEL, &payload.to_string()])
                .await
                .map_err(db)?;
        }
        Ok(())
    }
}

impl EventBus for PgBus {
    fn publish(&self, account: AccountId, item: FeedItem) {
        {
            let mut state = self.state();
            match &item {
                FeedItem::Event(e) => {
                    if let Some(id) = e.id {
                        let hint = state.hints.entry(account).or_insert(id);
                        *hint = (*hint).max(id);
                    }
                }
                FeedItem::UserDeactivated(u) => state.controls.push((account, Some(*u))),
                FeedItem::ChatDisabled => state.controls.push((account, None)),
                _ => {}
            }
        }
        self.local.publish(account, item);
    }

    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<FeedItem> {
        self.state().watched.entry(account).or_insert(None);
        self.local.subscribe(account)
    }
}

async fn flusher(bus: std::sync::Weak<PgBus>) {
    loop {
        // A tick rather than a wake-up: no task holds the bus while it waits, so dropping
        // the bus ends the task; an idle tick costs a lock and an empty check.
        tokio::time::sleep(FLUSH_EVERY).await;
        let Some(b) = bus.upgrade() else { return };
        if let Err(e) = b.flush().await {
            tracing::warn!(error = %e, "PgBus: notify failed (other nodes catch up within a second)");
        }
    }
}

async fn listener(bus: std::sync::Weak<PgBus>, target: Target, options: Options) {
    loop {
        let connected = target.listen_connection(&options).await;
        let (client, mut rx) = match connected {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "PgBus: LISTEN connection failed, retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                if bus.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
            tracing::warn!(error = %e, "PgBus: LISTEN failed, retrying");
            continue;
        }
        // Whatever was sent while not listening: re-read every watched account's log.
        {
            let Some(b) = bus.upgrade() else { return };
            for account in b.watched() {
                let _ = b.catch_up(account).await;
            }
        }
        while let Some(n) = rx.recv().await {
            let Some(b) = bus.upgrade() else { return };
            b.on_notify(n.payload()).await;
        }
        tracing::warn!("PgBus: LISTEN connection lost, reconnecting");
        if bus.strong_count() == 0 {
            return;
        }
    }
}

async fn poller(bus: std::sync::Weak<PgBus>) {
    loop {
        tokio::time::sleep(POLL_EVERY).await;
        let Some(b) = bus.upgrade() else { return };
        for account in b.watched() {
            if let Err(e) = b.catch_up(account).await {
                tracing::warn!(error = %e, "PgBus: safety-net read failed");
            }
        }
    }
}
