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

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chat_core::{ChatError, Identity, Timestamp};

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

/// The in-memory ticket store: bounded, single use, expired tickets evicted.
#[derive(Debug)]
pub struct Tickets {
    ttl: Duration,
    max: usize,
    map: Mutex<HashMap<String, Entry>>,
}

/// Random bytes in a ticket (256 bits, rendered as 64 hex characters).
const TICKET_BYTES: usize = 32;

impl Tickets {
    /// A store whose tickets live `ttl`, holding at most `max` at once.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Issues a ticket for `grant`, valid for the TTL or until `token_deadline` (when the
    /// token stops being accepted), whichever is sooner. Returns the ticket and its expiry.
    /// `RateLimited` when the store is full of unexpired tickets.
    pub fn issue(
        &self,
        grant: Grant,
        token_deadline: Instant,
    ) -> Result<(String, Timestamp), ChatError> {
        let ticket = crate::dev::random_hex(TICKET_BYTES).map_err(ChatError::internal)?;
        let now = Instant::now();
        let lifetime = self.ttl.min(token_deadline.saturating_duration_since(now));
        let mut map = self.lock();
        if map.len() >= self.max {
            map.retain(|_, e| e.expires > now);
            if map.len() >= self.max {
                return Err(ChatError::RateLimited {
                    retry_after_secs: self.ttl.as_secs().max(1),
                });
            }
        }
        map.insert(
            ticket.clone(),
            Entry {
                grant,
                expires: now + lifetime,
            },
        );
        let ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
        Ok((ticket, Timestamp(Timestamp::now().0.saturating_add(ms))))
    }

    /// Redeems a ticket: returns its grant once, if it exists and has not expired.
    pub fn redeem(&self, ticket: &str) -> Option<Grant> {
        let entry = self.lock().remove(ticket)?;
        (entry.expires > Instant::now()).then_some(entry.grant)
    }

    /// Drops expired tickets (called periodically).
    pub fn evict_expired(&self) {
        let now = Instant::now();
        self.lock().retain(|_, e| e.expires > now);
    }

    /// Tickets held.
    pub fn len(&self) -> usize {
        self.lock().len()
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
            Err(ChatError::RateLimited { .. })
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

        // A ticket never outlives its token.
        let fresh = Tickets::new(Duration::from_secs(30), 2);
        let (c, _) = fresh.issue(grant(), Instant::now()).unwrap();
        assert_eq!(fresh.redeem(&c), None);
    }
}
