//! What a sender may skip re-reading: their membership of a room, cached for writes only.
//!
//! A send needs the room (kind) and the sender's role in it to decide; re-reading them costs
//! a trip to the store on every message. The cache is safe because it is only ever used to
//! *allow* a write, never to refuse one or to read: the write carries the facts the decision
//! used as preconditions (room live, membership and role unchanged), which the backend checks
//! in the write's transaction. A stale entry therefore costs one `Conflict`, after which the
//! operation decides again from a fresh read that also refreshes the entry. Only memberships
//! are cached, so a user who just joined is never refused from the cache.

use quick_cache::sync::Cache;

use super::{Actor, Chat};
use crate::error::{ChatError, Result};
use crate::ids::{AccountId, RoomId, UserId};
use crate::store::RoomAccess;

/// Entries kept: bounded memory however many users send.
const CAPACITY: usize = 50_000;

pub(super) struct AccessCache(Cache<(AccountId, RoomId, UserId), RoomAccess>);

impl Default for AccessCache {
    fn default() -> Self {
        Self(Cache::new(CAPACITY))
    }
}

impl Chat {
    /// The actor's access to `room` for deciding a write whose preconditions re-check it:
    /// from the cache on a first attempt, read (and cached) on a retry or a miss.
    pub(super) async fn access_for_write(
        &self,
        actor: &Actor,
        room: RoomId,
        attempt: usize,
    ) -> Result<RoomAccess> {
        let key = (actor.account, room, actor.user);
        if attempt == 0 {
            if let Some(hit) = self.access_cache.0.get(&key) {
                return Ok(hit);
            }
        }
        let found = self
            .store
            .room_access(actor.account, room, actor.user)
            .await?;
        match found {
            Some(a) if a.membership.is_some() => {
                self.access_cache.0.insert(key, a.clone());
                Ok(a)
            }
            other => {
                self.access_cache.0.remove(&key);
                other.ok_or(ChatError::NotFound)
            }
        }
    }
}
