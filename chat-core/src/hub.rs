//! Live fan-out of committed events to subscribers in this process.
//!
//! The [`EventBus`] trait is where a bus spanning several nodes plugs in; [`LocalBus`] is one
//! `tokio::sync::broadcast` channel per account carrying `Arc`ed events, so one publish
//! reaches every subscriber without copying payloads or querying the database.
//!
//! Ordering: writes commit in id order, but the tasks that publish them may race. The
//! sequencer holds back an event whose predecessor has not been published yet (briefly,
//! bounded in count and time) so subscribers normally see ids in order; a subscriber that
//! still sees a gap fills it from the log (see [`crate::Subscription`]), so nothing is lost
//! even if a publish never happens.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::events::Event;
use crate::ids::{AccountId, UserId};

/// What travels on the bus.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FeedItem {
    /// A committed (id) or ephemeral (no id) event of the account.
    Event(Arc<Event>),
    /// The user was deactivated: their subscriptions end now.
    UserDeactivated(UserId),
    /// The account's chat was disabled: every subscription of the account ends now.
    ChatDisabled,
}

/// Carries items to the subscribers of an account. Publishing never waits for a subscriber.
pub trait EventBus: Send + Sync + 'static {
    /// Sends to every current subscriber of the account.
    fn publish(&self, account: AccountId, item: FeedItem);
    /// A new receiver for the account's items.
    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<FeedItem>;
}

/// Items buffered per account for subscribers that fall behind before they are switched to
/// reading the log instead.
pub const DEFAULT_BUS_CAPACITY: usize = 1024;

/// The in-process bus.
#[derive(Debug)]
pub struct LocalBus {
    capacity: usize,
    channels: Mutex<HashMap<AccountId, broadcast::Sender<FeedItem>>>,
}

impl LocalBus {
    /// A bus buffering `capacity` items per account.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            channels: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new(DEFAULT_BUS_CAPACITY)
    }
}

impl EventBus for LocalBus {
    fn publish(&self, account: AccountId, item: FeedItem) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = channels.get(&account) {
            if tx.send(item).is_err() {
                // Nobody listens any more: drop the channel so idle accounts cost nothing.
                channels.remove(&account);
            }
        }
    }

    fn subscribe(&self, account: AccountId) -> broadcast::Receiver<FeedItem> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(account)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }
}

/// How long, and for how many events, the sequencer waits for a missing predecessor.
const HOLD_MAX: usize = 256;
const HOLD_FOR: Duration = Duration::from_millis(100);

#[derive(Default)]
struct Order {
    next: Option<i64>,
    held: BTreeMap<i64, (Instant, Arc<Event>)>,
}

/// Publishes committed events in id order per account (see the module docs).
pub(crate) struct Sequencer {
    bus: Arc<dyn EventBus>,
    accounts: Mutex<HashMap<AccountId, Order>>,
}

impl Sequencer {
    pub(crate) fn new(bus: Arc<dyn EventBus>) -> Self {
        Self {
            bus,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    /// Publishes one commit's events (ascending ids, all of `account`).
    pub(crate) fn push(&self, account: AccountId, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut accounts = self.accounts.lock().unwrap_or_else(|p| p.into_inner());
        let order = accounts.entry(account).or_default();
        let now = Instant::now();
        for e in events {
            let Some(id) = e.id else {
                self.bus.publish(account, FeedItem::Event(Arc::new(e)));
                continue;
            };
            let next = *order.next.get_or_insert(id);
            if id < next {
                // Late (it lost a race at start-up): subscribers that moved past it fill
                // from the log; the others still want it.
                self.bus.publish(account, FeedItem::Event(Arc::new(e)));
            } else {
                order.held.insert(id, (now, Arc::new(e)));
            }
        }
        // Release what is contiguous; give up waiting when the hold is too long or too old.
        while let Some((&first, (since, _))) = order.held.iter().next() {
            let next = order.next.unwrap_or(first);
            let stale = order.held.len() > HOLD_MAX || now.duration_since(*since) > HOLD_FOR;
            if first != next && !stale {
                break;
            }
            if let Some((_, e)) = order.held.remove(&first) {
                self.bus.publish(account, FeedItem::Event(e));
            }
            order.next = Some(first + 1);
        }
        if order.held.is_empty() && accounts.len() > 10_000 {
            // Bound memory with very many accounts; re-learning `next` is harmless.
            accounts.retain(|_, o| !o.held.is_empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Audience, EventType};
    use crate::ids::Timestamp;

    fn ev(id: i64) -> Event {
        Event::new(
            Some(id),
            EventType::MessageCreated,
            AccountId(1),
            None,
            Timestamp(0),
            serde_json::Value::Null,
            Audience::Account,
        )
    }

    fn ids(rx: &mut broadcast::Receiver<FeedItem>) -> Vec<i64> {
        let mut out = Vec::new();
        while let Ok(FeedItem::Event(e)) = rx.try_recv() {
            out.extend(e.id);
        }
        out
    }

    #[test]
    fn reorders_racing_commits() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let mut rx = bus.subscribe(AccountId(1));
        let seq = Sequencer::new(bus);
        seq.push(AccountId(1), vec![ev(1)]);
        seq.push(AccountId(1), vec![ev(3), ev(4)]);
        assert_eq!(ids(&mut rx), vec![1]);
        seq.push(AccountId(1), vec![ev(2)]);
        assert_eq!(ids(&mut rx), vec![2, 3, 4]);
    }

    #[test]
    fn gives_up_on_a_missing_event_after_the_hold_limit() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::new(4096));
        let mut rx = bus.subscribe(AccountId(1));
        let seq = Sequencer::new(bus);
        seq.push(AccountId(1), vec![ev(1)]);
        for id in 3..(3 + HOLD_MAX as i64 + 1) {
            seq.push(AccountId(1), vec![ev(id)]);
        }
        let got = ids(&mut rx);
        assert_eq!(got[0], 1);
        assert!(
            got.len() > 1 && got[1] == 3,
            "released past the gap: {:?}",
            &got[..3]
        );
    }

    #[test]
    fn accounts_are_separate() {
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::default());
        let mut other = bus.subscribe(AccountId(2));
        let seq = Sequencer::new(bus);
        seq.push(AccountId(1), vec![ev(1)]);
        assert!(other.try_recv().is_err());
    }
}
