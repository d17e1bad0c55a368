//! Presence: who is online, away or offline, merged over all of a user's connections.
//!
//! A user is `online` while any connection is open (and `away` if they asked to be, or
//! every connection has been idle longer than [`PresenceConfig::idle_after`]); `offline` only
//! once the last connection has been closed for [`PresenceConfig::grace`], so a reconnect
//! (a page reload, a flaky network) never flaps. Changes are published as ephemeral
//! `presence.changed` events to the user's account. State is per process (a cross-node
//! deployment would share it through the bus).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::events::{ephemeral, Audience, EventType};
use crate::hub::{EventBus, FeedItem};
use crate::ids::{AccountId, Timestamp, UserId};

/// A user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Connected and active.
    Online,
    /// Connected, but asked to be away or idle.
    Away,
    /// No connection (for longer than the grace period).
    Offline,
}

/// One row of the presence list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEntry {
    /// The user it concerns.
    pub user_id: UserId,
    /// Online, away or offline.
    pub status: Status,
    /// Last time a connection of the user was active.
    pub last_seen_at: Timestamp,
}

/// Timing of presence changes.
#[derive(Debug, Clone, Copy)]
pub struct PresenceConfig {
    /// How long after the last connection closes the user turns offline (default 15 s).
    pub grace: Duration,
    /// How long without activity on any connection turns an online user away (default 5 min).
    pub idle_after: Duration,
    /// How often timers are checked (default 1 s).
    pub tick: Duration,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            grace: Duration::from_secs(15),
            idle_after: Duration::from_secs(300),
            tick: Duration::from_secs(1),
        }
    }
}

#[derive(Debug)]
struct Entry {
    connections: usize,
    away_requested: bool,
    last_active: Instant,
    last_seen_at: Timestamp,
    closed_at: Option<Instant>,
    status: Status,
}

impl Entry {
    fn derived(&self, now: Instant, cfg: &PresenceConfig) -> Status {
        if self.connections == 0 {
            match self.closed_at {
                Some(t) if now.duration_since(t) >= cfg.grace => Status::Offline,
                _ => self.status,
            }
        } else if self.away_requested || now.duration_since(self.last_active) >= cfg.idle_after {
            Status::Away
        } else {
            Status::Online
        }
    }
}

struct Inner {
    bus: Arc<dyn EventBus>,
    cfg: PresenceConfig,
    users: Mutex<HashMap<(AccountId, UserId), Entry>>,
    ticking: Mutex<bool>,
}

/// The presence tracker. Cheap to clone.
#[derive(Clone)]
pub struct Presence {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presence")
            .field("cfg", &self.inner.cfg)
            .finish_non_exhaustive()
    }
}

/// Holds one connection's presence; dropping it closes the connection.
#[must_use = "the connection counts as open while the guard lives"]
#[derive(Debug)]
pub struct Connection {
    presence: Presence,
    account: AccountId,
    user: UserId,
}

impl Connection {
    /// Records activity (any client frame): keeps the user from turning idle.
    pub fn touch(&self) {
        self.presence.update(self.account, self.user, |e| {
            e.last_active = Instant::now();
            e.last_seen_at = Timestamp::now();
        });
    }

    /// The user asks to be shown as `away` (`true`) or `online` again (`false`).
    pub fn set_away(&self, away: bool) {
        self.presence.update(self.account, self.user, |e| {
            e.away_requested = away;
            e.last_active = Instant::now();
            e.last_seen_at = Timestamp::now();
        });
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.presence.update(self.account, self.user, |e| {
            e.connections = e.connections.saturating_sub(1);
            if e.connections == 0 {
                e.closed_at = Some(Instant::now());
                e.away_requested = false;
            }
            e.last_seen_at = Timestamp::now();
        });
    }
}

impl Presence {
    /// A tracker publishing on `bus`.
    pub fn new(bus: Arc<dyn EventBus>, cfg: PresenceConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                bus,
                cfg,
                users: Mutex::new(HashMap::new()),
                ticking: Mutex::new(false),
            }),
        }
    }

    /// Opens a connection for the actor (call from within a tokio runtime).
    pub fn connect(&self, actor: &Actor) -> Connection {
        self.ensure_ticking();
        let (account, user) = (actor.account(), actor.user());
        let now = Instant::now();
        let mut users = self.lock();
        let e = users.entry((account, user)).or_insert(Entry {
            connections: 0,
            away_requested: false,
            last_active: now,
            last_seen_at: Timestamp::now(),
            closed_at: None,
            status: Status::Offline,
        });
        e.connections += 1;
        e.closed_at = None;
        e.last_active = now;
        e.last_seen_at = Timestamp::now();
        self.settle(account, user, e, now);
        drop(users);
        Connection {
            presence: self.clone(),
            account,
            user,
        }
    }

    /// Every user of the account this process has seen, with their status.
    pub fn list(&self, account: AccountId) -> Vec<PresenceEntry> {
        let now = Instant::now();
        let users = self.lock();
        let mut out: Vec<PresenceEntry> = users
            .iter()
            .filter(|((a, _), _)| *a == account)
            .map(|((_, u), e)| PresenceEntry {
                user_id: *u,
                status: e.derived(now, &self.inner.cfg),
                last_seen_at: e.last_seen_at,
            })
            .collect();
        out.sort_by_key(|p| p.user_id);
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(AccountId, UserId), Entry>> {
        self.inner.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, account: AccountId, user: UserId, f: impl FnOnce(&mut Entry)) {
        let now = Instant::now();
        let mut users = self.lock();
        if let Some(e) = users.get_mut(&(account, user)) {
            f(e);
            self.settle(account, user, e, now);
        }
    }

    /// Publishes `presence.changed` if the derived status differs from the last published.
    fn settle(&self, account: AccountId, user: UserId, e: &mut Entry, now: Instant) {
        let status = e.derived(now, &self.inner.cfg);
        if status != e.status {
            e.status = status;
            let data = serde_json::json!(PresenceEntry {
                user_id: user,
                status,
                last_seen_at: e.last_seen_at
            });
            let event = ephemeral(
                EventType::PresenceChanged,
                account,
                None,
                data,
                Audience::Account,
            );
            self.inner
                .bus
                .publish(account, FeedItem::Event(Arc::new(event)));
        }
    }

    /// Re-derives every status (idle → away, closed past grace → offline).
    fn tick(&self) {
        let now = Instant::now();
        let mut users = self.lock();
        for ((account, user), e) in users.iter_mut() {
            self.settle(*account, *user, e, now);
        }
        // Forget users offline for a day: the list stays bounded.
        users.retain(|_, e| {
            e.connections > 0
                || e.closed_at
                    .is_none_or(|t| now.duration_since(t) < Duration::from_secs(86_400))
        });
    }

    fn ensure_ticking(&self) {
        let mut ticking = self.inner.ticking.lock().unwrap_or_else(|p| p.into_inner());
        if *ticking || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        *ticking = true;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let every = self.inner.cfg.tick;
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                // Stops when the tracker is gone.
                let Some(inner) = weak.upgrade() else { break };
                Presence { inner }.tick();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::LocalBus;
    use crate::model::AccountRole;

    fn setup() -> (Presence, tokio::sync::broadcast::Receiver<FeedItem>, Actor) {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let rx = bus.subscribe(AccountId(1));
        let cfg = PresenceConfig {
            grace: Duration::from_millis(300),
            idle_after: Duration::from_secs(3600),
            tick: Duration::from_millis(10),
        };
        let actor = Actor::unchecked(AccountId(1), UserId(5), AccountRole::Agent);
        (Presence::new(bus, cfg), rx, actor)
    }

    fn statuses(rx: &mut tokio::sync::broadcast::Receiver<FeedItem>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(FeedItem::Event(e)) = rx.try_recv() {
            out.push(e.data["status"].as_str().unwrap_or_default().to_owned());
        }
        out
    }

    #[tokio::test]
    async fn devices_merge_and_offline_waits_for_the_grace_period() {
        let (p, mut rx, actor) = setup();
        let phone = p.connect(&actor);
        let laptop = p.connect(&actor);
        assert_eq!(statuses(&mut rx), vec!["online"]);
        drop(phone);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            statuses(&mut rx).is_empty(),
            "one device is still connected"
        );
        drop(laptop);
        assert_eq!(
            p.list(AccountId(1))[0].status,
            Status::Online,
            "within grace"
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(statuses(&mut rx), vec!["offline"]);
        assert_eq!(p.list(AccountId(1))[0].status, Status::Offline);
    }

    #[tokio::test]
    async fn a_reconnect_inside_the_grace_period_does_not_flap() {
        let (p, mut rx, actor) = setup();
        drop(p.connect(&actor));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _again = p.connect(&actor);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(statuses(&mut rx), vec!["online"]);
    }

    #[tokio::test]
    async fn away_on_request_and_back() {
        let (p, mut rx, actor) = setup();
        let c = p.connect(&actor);
        c.set_away(true);
        c.set_away(false);
        assert_eq!(statuses(&mut rx), vec!["online", "away", "online"]);
        assert!(
            p.list(AccountId(2)).is_empty(),
            "other accounts see nothing"
        );
    }

    #[tokio::test]
    async fn idle_connections_turn_away() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let mut rx = bus.subscribe(AccountId(1));
        let cfg = PresenceConfig {
            grace: Duration::from_secs(60),
            idle_after: Duration::from_millis(100),
            tick: Duration::from_millis(10),
        };
        let p = Presence::new(bus, cfg);
        let actor = Actor::unchecked(AccountId(1), UserId(5), AccountRole::Agent);
        let c = p.connect(&actor);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(statuses(&mut rx), vec!["online", "away"]);
        c.touch();
        assert_eq!(statuses(&mut rx), vec!["online"]);
    }
}
