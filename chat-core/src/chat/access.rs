//! What a member may skip re-reading: their membership of a room, cached for writes only.
//!
//! A send (and marking a room read to its newest message) needs the room (kind) and the
//! member's role in it to decide; re-reading them costs a trip to the store on every message.
//! The cache is safe because it is only ever used to *allow* a write that reads nothing else
//! first: the write carries the facts the decision used as preconditions (room live,
//! membership and role unchanged), which the backend checks in the write's transaction. A
//! stale entry therefore costs one `Conflict`, after which the operation decides again from a
//! fresh read that also refreshes the entry. Only memberships of team rooms are cached, so a
//! user who just joined is never refused from the cache, and a write that must read before
//! writing — an idempotency key to look up, mentions to check against the members, a DM's
//! peer, the message a read pointer is to stop at — always decides from a fresh read (a
//! removed member must not learn whether a key was used, who is in the room, or where a
//! message is).

use quick_cache::sync::Cache;

use super::{Actor, Chat};
use crate::error::{ChatError, Result};
use crate::ids::{AccountId, RoomId, UserId};
use crate::model::RoomType;
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
    /// Drops what this `Chat` remembers of `user` in `room` (after it removed them: the next
    /// send decides from a fresh read instead of paying for a `Conflict`).
    pub(super) fn forget_access(&self, account: AccountId, room: RoomId, user: UserId) {
        self.access_cache.0.remove(&(account, room, user));
    }

    /// The actor's access to `room` for deciding a write whose preconditions re-check it and
    /// that reads nothing before writing: from the cache when `cached` (a first attempt),
    /// otherwise read (and cached).
    pub(super) async fn access_for_write(
        &self,
        actor: &Actor,
        room: RoomId,
        cached: bool,
    ) -> Result<RoomAccess> {
        let key = (actor.account, room, actor.user);
        if cached {
            if let Some(hit) = self.access_cache.0.get(&key) {
                return Ok(hit);
            }
        }
        let found = self
            .store
            .room_access(actor.account, room, actor.user)
            .await?;
        match found {
            Some(a) if a.membership.is_some() && a.room.kind == RoomType::Room => {
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
