//! A deliberately simple in-memory [`ChatStore`], used only by chat-core's own tests to run the
//! conformance suite against a reference implementation of the contract (one mutex, counters
//! derived from the messages rather than maintained).

mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use self::state::State;
use super::TestBackend;
use crate::events::{Audience, AudienceRule, Event, EventDraft, LogSlice, Payload};
use crate::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use crate::model::{
    AuditEntry, DirectoryEntry, Entitlements, Message, Notification, RoomDetail, RoomOverview,
    RoomSummary, RoomType, RoomUnread,
};
use crate::stats::{Activity, BucketUnit, StatsTotals};
use crate::store::{
    AccountRoomsScope, DirectoryPosition, DirectoryScope, DirectorySearch, StatsScope, StoreError,
    StoreResult as Result, UserScope,
};
use crate::store::{
    Applied, AuditFilter, AuditPosition, AuditScope, ChatStore, Committed, MemberScope,
    MessageAccess, NotificationPosition, Op, RoomAccess, RoomPosition, RoomScope, Window, Write,
};

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    fail_audit: Arc<AtomicBool>,
}

/// A fresh in-memory backend.
pub fn backend() -> TestBackend {
    let store = Arc::new(MemoryStore::default());
    let flag = store.fail_audit.clone();
    TestBackend {
        store,
        fail_audit: Box::new(move |on| flag.store(on, Ordering::SeqCst)),
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl ChatStore for MemoryStore {
    async fn room_access(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
    ) -> Result<Option<RoomAccess>> {
        Ok(self.lock().live(account, room).map(|r| RoomAccess {
            room: r.room.clone(),
            membership: r.members.iter().find(|m| m.user_id == user).map(|m| m.role),
        }))
    }

    async fn message_access(
        &self,
        account: AccountId,
        message: MessageId,
        user: UserId,
    ) -> Result<Option<MessageAccess>> {
        Ok(self
            .lock()
            .message(account, message)
            .map(|(r, m)| MessageAccess {
                message: m.clone(),
                room: RoomAccess {
                    room: r.room.clone(),
                    membership: r.members.iter().find(|m| m.user_id == user).map(|m| m.role),
                },
            }))
    }

    async fn message_by_client_id(
        &self,
        scope: &MemberScope,
        client_id: &str,
    ) -> Result<Option<Message>> {
        let st = self.lock();
        let live = st.live(scope.account(), scope.room());
        let member = live.filter(|r| r.members.iter().any(|m| m.user_id == scope.user()));
        Ok(member.and_then(|r| {
            r.messages
                .iter()
                .find(|m| m.sender_id == scope.user() && m.client_id.as_deref() == Some(client_id))
                .cloned()
        }))
    }

    async fn directory(&self, account: AccountId, users: &[UserId]) -> Result<Vec<DirectoryEntry>> {
        let st = self.lock();
        Ok(users
            .iter()
            .filter_map(|u| st.directory.get(&(account, *u)).cloned())
            .collect())
    }

    async fn entitlements(&self, account: AccountId) -> Result<Entitlements> {
        Ok(self
            .lock()
            .entitlements
            .get(&account)
            .copied()
            .unwrap_or_default())
    }

    async fn find_dm(&self, account: AccountId, pair: (UserId, UserId)) -> Result<Option<RoomId>> {
        let st = self.lock();
        Ok(st
            .rooms
            .values()
            .find(|r| r.room.account_id == account && !r.archived && r.dm_pair == Some(pair))
            .map(|r| r.room.id))
    }

    async fn live_team_rooms(&self, account: AccountId) -> Result<u64> {
        Ok(self.lock().team_rooms(account))
    }

    async fn room_detail(&self, scope: &RoomScope) -> Result<Option<RoomDetail>> {
        Ok(self.lock().live(scope.account(), scope.room()).map(|r| {
            let mut members = r.members.clone();
            members.sort_by_key(|m| m.user_id);
            RoomDetail {
                room: r.room.clone(),
                members,
            }
        }))
    }

    async fn list_messages(
        &self,
        scope: &MemberScope,
        window: Window,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let st = self.lock();
        let Some(r) = st.live(scope.account(), scope.room()) else {
            return Ok(Vec::new());
        };
        if !r.members.iter().any(|m| m.user_id == scope.user()) {
            return Ok(Vec::new());
        }
        let take = limit as usize;
        Ok(match window {
            Window::Before(before) => r
                .messages
                .iter()
                .rev()
                .filter(|m| before.is_none_or(|b| m.seq < b))
                .take(take)
                .cloned()
                .collect(),
            Window::After(after) => {
                let mut page: Vec<Message> = r
                    .messages
                    .iter()
                    .filter(|m| m.seq > after)
                    .take(take)
                    .cloned()
                    .collect();
                page.reverse();
                page
            }
        })
    }

    async fn read_pointer(&self, scope: &MemberScope) -> Result<Option<i64>> {
        let st = self.lock();
        Ok(st.live(scope.account(), scope.room()).and_then(|r| {
            r.members
                .iter()
                .find(|m| m.user_id == scope.user())
                .map(|m| m.last_read_seq)
        }))
    }

    async fn list_rooms(
        &self,
        scope: &UserScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomSummary>> {
        let (account, user) = (scope.account(), scope.user());
        let st = self.lock();
        let mut rows: Vec<_> = st
            .rooms
            .values()
            .filter(|r| r.room.account_id == account && !r.archived)
            .filter(|r| r.members.iter().any(|m| m.user_id == user))
            .map(|r| {
                let at = r.room.last_message_at.unwrap_or(r.room.created_at);
                (at, r)
            })
            .filter(|(at, r)| after.is_none_or(|p| (*at, r.room.id) < (p.activity_at, p.room)))
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1.room.id)));
        Ok(rows
            .into_iter()
            .take(limit as usize)
            .map(|(_, r)| {
                let (unread, mentions) = State::counts(r, user);
                RoomSummary {
                    room: r.room.clone(),
                    unread_count: unread,
                    mention_count: mentions,
                }
            })
            .collect())
    }

    async fn unread(&self, scope: &UserScope) -> Result<Vec<RoomUnread>> {
        let (account, user) = (scope.account(), scope.user());
        let st = self.lock();
        Ok(st
            .rooms
            .values()
            .filter(|r| r.room.account_id == account && !r.archived)
            .filter(|r| r.members.iter().any(|m| m.user_id == user))
            .map(|r| {
                let (unread, mentions) = State::counts(r, user);
                RoomUnread {
                    room_id: r.room.id,
                    unread_count: unread,
                    mention_count: mentions,
                }
            })
            .collect())
    }

    async fn list_audit(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let st = self.lock();
        let mut rows: Vec<AuditEntry> = st
            .audit
            .iter()
            .filter(|e| e.account_id == scope.account())
            .filter(|e| filter.action.is_none_or(|a| e.action == a))
            .filter(|e| filter.actor_id.is_none_or(|a| e.actor_id == Some(a)))
            .filter(|e| filter.target_id.as_ref().is_none_or(|t| &e.target_id == t))
            .filter(|e| filter.from.is_none_or(|f| e.created_at >= f))
            .filter(|e| filter.to.is_none_or(|t| e.created_at < t))
            .filter(|e| {
                after
                    .as_ref()
                    .is_none_or(|p| (e.created_at, e.id) < (p.created_at, p.id))
            })
            .cloned()
            .collect();
        rows.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.id)));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    async fn list_audit_ascending(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        // The reference: every matching entry, descending, reversed; then past `after`.
        let mut all = self.list_audit(scope, filter, None, u32::MAX).await?;
        all.reverse();
        Ok(all
            .into_iter()
            .filter(|e| {
                after
                    .as_ref()
                    .is_none_or(|p| (e.created_at, e.id) > (p.created_at, p.id))
            })
            .take(limit as usize)
            .collect())
    }

    async fn apply(&self, write: Write) -> Result<Committed> {
        let mut st = self.lock();
        let account = write.account();
        if let Some(p) = write.preconditions().iter().find(|p| !st.holds(account, p)) {
            return Err(StoreError::Conflict(format!("{p:?}")));
        }
        if !write.audit_entries().is_empty() && self.fail_audit.load(Ordering::SeqCst) {
            return Err(StoreError::backend("memory", "injected audit failure"));
        }
        let applied = st.apply(account, write.op())?;
        forget_in_log(&mut st, account, write.op());
        st.audit.extend(write.audit_entries().iter().cloned());
        st.notifications
            .extend(write.notifications().iter().map(|n| (account, n.clone())));
        let events = append_events(&mut st, account, write.events(), &applied);
        Ok(Committed { applied, events })
    }

    async fn list_notifications(
        &self,
        scope: &UserScope,
        unread_only: bool,
        after: Option<NotificationPosition>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let (account, user) = (scope.account(), scope.user());
        let st = self.lock();
        let mut rows: Vec<Notification> = st
            .notifications
            .iter()
            .filter(|(a, n)| *a == account && n.user_id == user)
            .map(|(_, n)| n)
            .filter(|n| !unread_only || n.read_at.is_none())
            .filter(|n| after.is_none_or(|p| (n.created_at, n.id) < (p.created_at, p.id)))
            .cloned()
            .collect();
        rows.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
        rows.truncate(limit as usize);
        Ok(rows)
    }

    async fn events_after(&self, account: AccountId, after: i64, limit: u32) -> Result<LogSlice> {
        let st = self.lock();
        let Some((last_id, log)) = st.events.get(&account) else {
            return Ok(LogSlice::default());
        };
        Ok(LogSlice {
            events: log
                .iter()
                .filter(|(_, e)| e.id.is_some_and(|id| id > after))
                .take(limit as usize)
                .map(|(about, e)| current(&st, *about, e))
                .collect(),
            pruned_through: 0,
            last_id: *last_id,
        })
    }

    async fn list_directory(
        &self,
        scope: &DirectoryScope,
        search: Option<&DirectorySearch>,
        after: Option<DirectoryPosition>,
        limit: u32,
    ) -> Result<Vec<DirectoryEntry>> {
        use crate::fold::{search_keys, sort_key};
        let st = self.lock();
        let key = |e: &DirectoryEntry| (sort_key(e.name.as_deref()), e.user_id);
        let mut rows: Vec<DirectoryEntry> = st
            .directory
            .values()
            .filter(|e| e.account_id == scope.account())
            .filter(|e| scope.include_inactive() || e.active)
            .filter(|e| {
                search.is_none_or(|s| {
                    search_keys(e.name.as_deref())
                        .iter()
                        .any(|k| k.starts_with(&s.prefix))
                })
            })
            .filter(|e| {
                after
                    .as_ref()
                    .is_none_or(|p| key(e) > (p.sort_key.clone(), p.user))
            })
            .cloned()
            .collect();
        rows.sort_by_key(key);
        rows.truncate(limit as usize);
        Ok(rows)
    }

    async fn list_account_rooms(
        &self,
        scope: &AccountRoomsScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomOverview>> {
        let st = self.lock();
        let mut rows: Vec<_> = st
            .rooms
            .values()
            .filter(|r| r.room.account_id == scope.account() && !r.archived)
            .filter(|r| r.room.kind == RoomType::Room)
            .map(|r| (r.room.last_message_at.unwrap_or(r.room.created_at), r))
            .filter(|(at, r)| after.is_none_or(|p| (*at, r.room.id) < (p.activity_at, p.room)))
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1.room.id)));
        Ok(rows
            .into_iter()
            .take(limit as usize)
            .map(|(_, r)| RoomOverview {
                room: r.room.clone(),
                member_count: r.members.len() as i64,
            })
            .collect())
    }
    async fn activity(
        &self,
        scope: &StatsScope,
        from: Timestamp,
        to: Timestamp,
        unit: BucketUnit,
    ) -> Result<Vec<Activity>> {
        // The reference: every message and team room of the account, archived rooms too,
        // grouped by bucket start in a sorted map.
        let st = self.lock();
        let mut buckets: std::collections::BTreeMap<Timestamp, Activity> = Default::default();
        let inside = |t: Timestamp| from <= t && t < to;
        for r in st.rooms.values() {
            if r.room.account_id != scope.account() {
                continue;
            }
            if r.room.kind == RoomType::Room && inside(r.room.created_at) {
                let start = unit.floor(r.room.created_at);
                buckets
                    .entry(start)
                    .or_insert_with(|| Activity::empty(start))
                    .rooms_created += 1;
            }
            for m in r.messages.iter().filter(|m| inside(m.created_at)) {
                let start = unit.floor(m.created_at);
                let b = buckets
                    .entry(start)
                    .or_insert_with(|| Activity::empty(start));
                b.messages += 1;
                if let Err(at) = b.senders.binary_search(&m.sender_id) {
                    b.senders.insert(at, m.sender_id);
                }
            }
        }
        Ok(buckets.into_values().collect())
    }

    async fn stats_totals(&self, scope: &StatsScope, since: Timestamp) -> Result<StatsTotals> {
        let st = self.lock();
        let a = scope.account();
        let rooms = st
            .rooms
            .values()
            .filter(|r| r.room.account_id == a)
            .collect::<Vec<_>>();
        let live = |kind| {
            rooms
                .iter()
                .filter(|r| !r.archived && r.room.kind == kind)
                .count()
        };
        let users = st
            .directory
            .values()
            .filter(|e| e.account_id == a && e.active);
        Ok(StatsTotals {
            rooms: live(RoomType::Room) as u64,
            dms: live(RoomType::Dm) as u64,
            users: users.clone().count() as u64,
            users_active_24h: users.filter(|e| e.last_seen_at >= since).count() as u64,
            messages_24h: rooms
                .iter()
                .flat_map(|r| r.messages.iter())
                .filter(|m| m.created_at >= since)
                .count() as u64,
        })
    }
}

/// The log forgets what the API no longer shows: an archived room's history goes here, and
/// events about a message replay the message as it is now ([`current`]).
fn forget_in_log(st: &mut State, account: AccountId, op: &Op) {
    let Some((_, log)) = st.events.get_mut(&account) else {
        return;
    };
    if let Op::ArchiveRoom { room, .. } = op {
        log.retain(|(_, e)| e.room_id != Some(*room));
    }
}

/// A logged event as replayed: one about a message carries the message as it is now.
fn current(st: &State, about: Option<MessageId>, e: &Event) -> Event {
    match about.and_then(|id| st.message(e.account_id, id)) {
        Some((_, m)) => Event::new(
            e.id,
            e.kind,
            e.account_id,
            e.room_id,
            e.ts,
            serde_json::json!(m),
            e.audience.clone(),
        ),
        None => e.clone(),
    }
}

fn append_events(
    st: &mut State,
    account: AccountId,
    drafts: &[EventDraft],
    applied: &Applied,
) -> Vec<Event> {
    let mut out = Vec::new();
    for d in drafts {
        let mut users: Vec<UserId> = match &d.audience {
            AudienceRule::RoomMembers { room, plus } => st
                .rooms
                .get(room)
                .filter(|r| r.room.account_id == account)
                .map(|r| r.members.iter().map(|m| m.user_id).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(plus.iter().copied())
                .collect(),
            AudienceRule::Users(u) => u.clone(),
        };
        users.sort_unstable();
        users.dedup();
        let data = match (&d.payload, applied) {
            (Payload::Json(v), _) => v.clone(),
            (_, Applied::Message(m)) => serde_json::json!(m),
            (_, Applied::Read(r)) => serde_json::json!(r),
            (_, Applied::Room(r)) => serde_json::json!(r),
            _ => serde_json::Value::Null,
        };
        let (last, log) = st.events.entry(account).or_default();
        *last += 1;
        let e = Event::new(
            Some(*last),
            d.kind,
            account,
            d.room_id,
            crate::ids::Timestamp::now(),
            data,
            Audience::users(users),
        );
        log.push((d.message_id, e.clone()));
        out.push(e);
    }
    out
}

#[cfg(test)]
mod conformance {
    crate::__conformance_tests! { (flavor = "current_thread") super::backend }
}

#[cfg(test)]
mod model {
    crate::chat_store_model!(super::backend);
}
