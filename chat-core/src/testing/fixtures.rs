//! Fixtures: a chat with two accounts, each with an admin, a supervisor and agents, all
//! provisioned in the directory.

use std::fmt::Debug;

use crate::chat::{Actor, Chat, NewMessage, NewRoom};
use crate::error::{ChatError, Result};
use crate::ids::{AccountId, RoomId, Timestamp, UserId};
use crate::model::{
    AccountRole, AuditEntry, Message, Room, RoomDetail, RoomSummary, RoomType, RoomUnread,
};
use crate::store::{
    AuditFilter, AuditPosition, AuditScope, MemberScope, RoomScope, UserScope, Window,
};

use super::TestBackend;

/// Account A and account B.
pub const ACC_A: AccountId = AccountId(1);
/// Account B.
pub const ACC_B: AccountId = AccountId(2);

/// One account's people, all provisioned and active.
pub struct People {
    pub admin: Actor,
    pub supervisor: Actor,
    pub agents: Vec<Actor>,
}

/// The world the suite plays in.
pub struct World {
    pub chat: Chat,
    pub backend: TestBackend,
    pub a: People,
    pub b: People,
}

/// Provisions an account's admin (`base`+1), supervisor (`base`+2) and agents (`base`+3..5).
pub async fn people(chat: &Chat, account: AccountId, base: i64) -> People {
    let make = |n: i64, role: AccountRole| {
        let chat = chat.clone();
        async move {
            let user = UserId(base + n);
            chat.provision_user(account, user, Some(&format!("user {}", user.0)), role, true)
                .await
                .unwrap();
            Actor::unchecked(account, user, role)
        }
    };
    People {
        admin: make(1, AccountRole::Admin).await,
        supervisor: make(2, AccountRole::Supervisor).await,
        agents: vec![
            make(3, AccountRole::Agent).await,
            make(4, AccountRole::Agent).await,
            make(5, AccountRole::Agent).await,
        ],
    }
}

impl People {
    /// Everyone, admin first.
    pub fn all(&self) -> Vec<&Actor> {
        let mut v = vec![&self.admin, &self.supervisor];
        v.extend(self.agents.iter());
        v
    }

    /// Everyone's user id.
    pub fn users(&self) -> Vec<UserId> {
        self.all().iter().map(|a| a.user()).collect()
    }
}

/// Accounts A (users 11–15) and B (users 21–25), everyone provisioned and active.
pub async fn world(backend: TestBackend) -> World {
    let chat = Chat::new(backend.store.clone());
    let a = people(&chat, ACC_A, 10).await;
    let b = people(&chat, ACC_B, 20).await;
    World {
        chat,
        backend,
        a,
        b,
    }
}

/// Input for a team room.
pub fn team(name: &str, members: &[&Actor]) -> NewRoom {
    NewRoom {
        kind: RoomType::Room,
        name: Some(name.to_owned()),
        member_ids: members.iter().map(|a| a.user()).collect(),
    }
}

/// Input for a DM with `other`.
pub fn dm_with(other: UserId) -> NewRoom {
    NewRoom {
        kind: RoomType::Dm,
        name: None,
        member_ids: vec![other],
    }
}

/// A plain text message.
pub fn text(content: &str) -> NewMessage {
    NewMessage {
        content: content.to_owned(),
        ..Default::default()
    }
}

/// A message mentioning `users`.
pub fn mention(content: &str, users: &[UserId]) -> NewMessage {
    NewMessage {
        content: content.to_owned(),
        mentions: users.to_vec(),
        ..Default::default()
    }
}

/// Waits until the millisecond clock has moved on, so that the next write gets a strictly
/// later timestamp than everything before (ordering by activity is by millisecond).
pub fn next_ms() {
    let start = Timestamp::now();
    while Timestamp::now() <= start {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
}

/// Asserts `ChatError::NotFound`.
#[track_caller]
pub fn not_found<T: Debug>(r: Result<T>, what: &str) {
    assert!(
        matches!(r, Err(ChatError::NotFound)),
        "{what}: expected NotFound, got {r:?}"
    );
}

/// Asserts `ChatError::Validation`.
#[track_caller]
pub fn invalid<T: Debug>(r: Result<T>, what: &str) {
    assert!(
        matches!(r, Err(ChatError::Validation(_))),
        "{what}: expected Validation, got {r:?}"
    );
}

/// Asserts `ChatError::Forbidden`.
#[track_caller]
pub fn forbidden<T: Debug>(r: Result<T>, what: &str) {
    assert!(
        matches!(r, Err(ChatError::Forbidden(_))),
        "{what}: expected Forbidden, got {r:?}"
    );
}

/// Asserts `ChatError::EntitlementDenied` naming `limit`.
#[track_caller]
pub fn denied<T: Debug>(r: Result<T>, limit: &str) {
    assert!(
        matches!(&r, Err(ChatError::EntitlementDenied(l)) if *l == limit),
        "expected EntitlementDenied({limit}), got {r:?}"
    );
}

/// Everything the store holds for one account, read through the raw store: the audit log,
/// every room (with members and messages) any of `users` is in, and each user's room list
/// and unread counters. Two equal snapshots mean nothing observable changed.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub audit: Vec<AuditEntry>,
    pub rooms: Vec<(RoomDetail, Vec<Message>)>,
    pub lists: Vec<(UserId, Vec<RoomSummary>, Vec<RoomUnread>)>,
    pub team_rooms: u64,
}

impl World {
    /// Creates a team room as `creator` with `members`.
    pub async fn room(&self, creator: &Actor, name: &str, members: &[&Actor]) -> Room {
        let (room, created) = self
            .chat
            .create_room(creator, team(name, members))
            .await
            .unwrap();
        assert!(created);
        room
    }

    /// Finds or creates the DM between `a` and `b`.
    pub async fn dm(&self, a: &Actor, b: &Actor) -> Room {
        self.chat.create_room(a, dm_with(b.user())).await.unwrap().0
    }

    /// Sends a text message.
    pub async fn send(&self, sender: &Actor, room: RoomId, content: &str) -> Message {
        let (m, created) = self
            .chat
            .send_message(sender, room, text(content))
            .await
            .unwrap();
        assert!(created);
        m
    }

    /// The room with its members, read as the account's admin.
    pub async fn detail(&self, room: RoomId, account: AccountId) -> Option<RoomDetail> {
        let scope = RoomScope::new(account, room);
        self.backend.store.room_detail(&scope).await.unwrap()
    }

    /// The account's whole audit log, newest first (raw store).
    pub async fn audit(&self, account: AccountId) -> Vec<AuditEntry> {
        let scope = AuditScope::new(account);
        let filter = AuditFilter::default();
        let mut out: Vec<AuditEntry> = Vec::new();
        loop {
            let after = out.last().map(|e| AuditPosition {
                created_at: e.created_at,
                id: e.id,
            });
            let page = self
                .backend
                .store
                .list_audit(&scope, &filter, after, 100)
                .await
                .unwrap();
            let done = page.len() < 100;
            out.extend(page);
            if done {
                return out;
            }
        }
    }

    /// Every message of a room, newest first, as `reader` (a member) sees them (raw store).
    pub async fn messages(&self, account: AccountId, room: RoomId, reader: UserId) -> Vec<Message> {
        let scope = MemberScope::new(account, room, reader);
        let mut out: Vec<Message> = Vec::new();
        loop {
            let before = Window::Before(out.last().map(|m| m.seq));
            let page = self
                .backend
                .store
                .list_messages(&scope, before, 100)
                .await
                .unwrap();
            let done = page.len() < 100;
            out.extend(page);
            if done {
                return out;
            }
        }
    }

    /// See [`Snapshot`].
    pub async fn snapshot(&self, account: AccountId, users: &[UserId]) -> Snapshot {
        let store = &self.backend.store;
        let mut lists = Vec::new();
        let mut room_ids: Vec<RoomId> = Vec::new();
        for &u in users {
            let rooms = store
                .list_rooms(&UserScope::new(account, u), None, 1000)
                .await
                .unwrap();
            let mut unread = store.unread(&UserScope::new(account, u)).await.unwrap();
            unread.sort_by_key(|r| r.room_id);
            room_ids.extend(rooms.iter().map(|r| r.room.id));
            lists.push((u, rooms, unread));
        }
        room_ids.sort();
        room_ids.dedup();
        let mut rooms = Vec::new();
        for id in room_ids {
            let Some(mut detail) = self.detail(id, account).await else {
                continue;
            };
            detail.members.sort_by_key(|m| m.user_id);
            let reader = detail.members.first().map_or(UserId(0), |m| m.user_id);
            let messages = self.messages(account, id, reader).await;
            rooms.push((detail, messages));
        }
        Snapshot {
            audit: self.audit(account).await,
            rooms,
            lists,
            team_rooms: store.live_team_rooms(account).await.unwrap(),
        }
    }

    /// Snapshots of both fixture accounts.
    pub async fn both(&self) -> (Snapshot, Snapshot) {
        (
            self.snapshot(ACC_A, &self.a.users()).await,
            self.snapshot(ACC_B, &self.b.users()).await,
        )
    }
}
