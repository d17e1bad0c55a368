//! Connection tickets: `POST /realtime/ticket` trades the caller's bearer token for a random,
//! single-use, short-lived ticket that a browser puts in the `/ws` or `/events` URL (browsers
//! cannot set headers on WebSocket or EventSource requests, and a long-lived token must never
//! be in a URL, where proxies and logs keep it).
//!
//! The store is **in memory, in this process**: a ticket issued by one node can only be
//! redeemed on the same node. A multi-node deployment behind a load balancer needs a shared
//! ticket store (e.g. Redis `SET ticket … EX 30 NX` + `GETDEL`) or sticky routing of the
//! ticket request and the connection; swap [`Tickets`] for such a store behind the same two
//! calls (`issue`, `redeem`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chat_core::{AccountId, ChatError, Identity, Timestamp, UserId};

use crate::http::ApiError;

/// What a ticket stands for: the caller's identity as its token stated it, and when that
/// token expires (connections opened with the ticket end then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Account, user, role and name from the token.
    pub identity: Identity,
    /// The token's `exp` (seconds since the Unix epoch).
    pub token_exp: u64,
}

#[derive(Debug)]
struct Entry {
    grant: Grant,
    expires: Instant,
}

/// Outstanding tickets one user may hold: issuing another revokes their oldest, so no user
/// can fill the store and lock every other tenant out of issuance.
pub const MAX_TICKETS_PER_USER: usize = 8;

#[derive(Debug, Default)]
struct Store {
    tickets: HashMap<String, Entry>,
    /// Each user's tickets, oldest first (may name tickets already redeemed or expired).
    by_user: HashMap<(AccountId, UserId), VecDeque<String>>,
}

impl Store {
    fn evict_expired(&mut self, now: Instant) {
        self.tickets.retain(|_, e| e.expires > now);
        let tickets = &self.tickets;
        self.by_user.retain(|_, list| {
            list.retain(|t| tickets.contains_key(t));
            !list.is_empty()
        });
    }
}

/// The in-memory ticket store: bounded (in all and per user), single use, expired tickets
/// evicted.
#[derive(Debug)]
pub struct Tickets {
    ttl: Duration,
    max: usize,
    map: Mutex<Store>,
}

/// Random bytes in a ticket (256 bits, rendered as 64 hex characters).
const TICKET_BYTES: usize = 32;

impl Tickets {
    /// A store whose tickets live `ttl`, holding at most `max` at once.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            map: Mutex::new(Store::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a ticket for `grant`, valid for the TTL or until `token_deadline` (when the
    /// token stops being accepted), whichever is sooner. Returns the ticket and its expiry.
    /// `RateLimited` when the store is full of unexpired tickets.
    pub fn issue(
        &self,
        grant: Grant,
        token_deadline: Instant,
    ) -> Result<(String, Timestamp), ApiError> {
        let ticket = super::random_hex(TICKET_BYTES).map_err(ChatError::internal)?;
        let now = Instant::now();
        let lifetime = self.ttl.min(token_deadline.saturating_duration_since(now));
        let user = (grant.identity.account, grant.identity.user);
        let mut store = self.lock();
        let Store { tickets, by_user } = &mut *store;
        let mine = by_user.entry(user).or_default();
        mine.retain(|t| tickets.contains_key(t));
        while mine.len() >= MAX_TICKETS_PER_USER {
            if let Some(oldest) = mine.pop_front() {
                tickets.remove(&oldest);
            }
        }
        if tickets.len() >= self.max {
            store.evict_expired(now);
            if store.tickets.len() >= self.max {
                return Err(ApiError::RateLimited {
                    retry_after_secs: self.ttl.as_secs().max(1),
                });
            }
        }
        store.tickets.insert(
            ticket.clone(),
            Entry {
                grant,
                expires: now + lifetime,
            },
        );
        store
            .by_user
            .entry(user)
            .or_default()
            .push_back(ticket.clone());
        let ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
        Ok((ticket, Timestamp(Timestamp::now().0.saturating_add(ms))))
    }

    /// Redeems a ticket: returns its grant once, if it exists and has not expired.
    pub fn redeem(&self, ticket: &str) -> Option<Grant> {
        let entry = self.lock().tickets.remove(ticket)?;
        (entry.expires > Instant::now()).then_some(entry.grant)
    }

    /// Drops expired tickets (called periodically).
    pub fn evict_expired(&self) {
        self.lock().evict_expired(Instant::now());
    }

    /// Tickets held.
    pub fn len(&self) -> usize {
        self.lock().tickets.len()
    }

    /// Whether no ticket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::{AccountId, AccountRole, UserId};

    fn grant() -> Grant {
        Grant {
            identity: Identity {
                account: AccountId(1),
                user: UserId(2),
                role: AccountRole::Agent,
                name: None,
            },
            token_exp: 0,
        }
    }

    #[test]
    fn single_use_bounded_and_expiring() {
        let far = Instant::now() + Duration::from_secs(3600);
        let t = Tickets::new(Duration::from_secs(30), 2);
        let (a, _) = t.issue(grant(), far).unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(t.redeem(&a), Some(grant()));
        assert_eq!(t.redeem(&a), None, "single use");
        assert_eq!(t.redeem("nope"), None);
        t.issue(grant(), far).unwrap();
        t.issue(grant(), far).unwrap();
        assert!(matches!(
            t.issue(grant(), far),
            Err(ApiError::RateLimited { .. })
        ));

        let short = Tickets::new(Duration::from_millis(1), 2);
        let (b, _) = short.issue(grant(), far).unwrap();
        short.issue(grant(), far).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let (d, _) = short.issue(grant(), far).unwrap();
        assert_eq!(short.len(), 1, "expired tickets were evicted to make room");
        assert_eq!(short.redeem(&b), None);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(short.redeem(&d), None, "expired");
        short.issue(grant(), far).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        short.evict_expired();
        assert!(short.is_empty());

        // One user holds at most MAX_TICKETS_PER_USER: more revoke their oldest, and other
        // users are unaffected.
        let per_user = Tickets::new(Duration::from_secs(30), 1000);
        let first = per_user.issue(grant(), far).unwrap().0;
        for _ in 0..MAX_TICKETS_PER_USER {
            per_user.issue(grant(), far).unwrap();
        }
        assert_eq!(per_user.len(), MAX_TICKETS_PER_USER);
        assert_eq!(per_user.redeem(&first), None, "the oldest was revoked");
        let mut other = grant();
        other.identity.user = UserId(3);
        let (theirs, _) = per_user.issue(other.clone(), far).unwrap();
        assert_eq!(per_user.redeem(&theirs), Some(other));

        // A ticket never outlives its token.
        let fresh = Tickets::new(Duration::from_secs(30), 2);
        let (c, _) = fresh.issue(grant(), Instant::now()).unwrap();
        assert_eq!(fresh.redeem(&c), None);
    }
}
