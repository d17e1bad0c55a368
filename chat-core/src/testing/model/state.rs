//! The model: what the contract says the chat holds, and what each operation must answer.
//!
//! Permissions come from `crate::policy::decide` (the policy table is the spec) applied
//! to facts the model keeps itself; the checks happen in the order the contract's layers run
//! them (input validation, room visibility, the decision, data checks, entitlements). Data
//! effects are computed from the contract and `store.rs`'s counter semantics. This file
//! holds the people, the model's state and its lookups; `rules.rs` the operations.

use std::collections::BTreeMap;

use crate::policy::Subject;
use crate::{
    AccountId, AccountRole, AuditAction, ChatError, MessageId, MessageType, RoomId, RoomRole,
    RoomType, Timestamp, UserId,
};

use super::ops::{Op, UserRef, ANY, GHOST, MEMBER};

#[path = "rules.rs"]
mod rules;
pub use rules::{valid_content, valid_name};

/// A provisioned user.
pub struct UserSpec {
    pub account: usize,
    pub id: UserId,
    pub role: AccountRole,
}

/// Account A (index 0) and account B (index 1).
pub const ACCOUNTS: [AccountId; 2] = [AccountId(1), AccountId(2)];

const fn user(account: usize, id: i64, role: AccountRole) -> UserSpec {
    UserSpec {
        account,
        id: UserId(id),
        role,
    }
}

/// Each account: an admin, a supervisor, agents (three in A, two in B). Ids are distinct
/// across accounts.
pub const USERS: [UserSpec; 9] = [
    user(0, 101, AccountRole::Admin),
    user(0, 102, AccountRole::Supervisor),
    user(0, 103, AccountRole::Agent),
    user(0, 104, AccountRole::Agent),
    user(0, 105, AccountRole::Agent),
    user(1, 201, AccountRole::Admin),
    user(1, 202, AccountRole::Supervisor),
    user(1, 203, AccountRole::Agent),
    user(1, 204, AccountRole::Agent),
];

/// An id some user saw in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seen {
    Account(AccountId),
    User(UserId),
    Room(RoomId),
    Message(MessageId),
}

/// The outcome class of a facade call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ok,
    NotFound,
    Forbidden,
    Validation,
    EntitlementDenied,
    UserDeactivated,
    Other(&'static str),
}

/// The outcome class of a result.
pub fn kind_of<T>(r: &Result<T, ChatError>) -> Kind {
    match r {
        Ok(_) => Kind::Ok,
        Err(ChatError::NotFound) => Kind::NotFound,
        Err(ChatError::Forbidden(_)) => Kind::Forbidden,
        Err(ChatError::Validation(_)) => Kind::Validation,
        Err(ChatError::EntitlementDenied(_)) => Kind::EntitlementDenied,
        Err(ChatError::UserDeactivated) => Kind::UserDeactivated,
        Err(e) => Kind::Other(e.code()),
    }
}

#[derive(Debug, Clone)]
pub struct MMember {
    pub role: RoomRole,
    pub read_seq: i64,
    /// When the pointer last moved (`None`: never since joining).
    pub read_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct MRoom {
    pub id: RoomId,
    pub account: usize,
    pub kind: RoomType,
    pub name: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub archived: bool,
    pub dm_pair: Option<(UserId, UserId)>,
    pub members: BTreeMap<UserId, MMember>,
    pub last_seq: i64,
    pub last_message_at: Option<Timestamp>,
    /// Indices into [`Model::msgs`], in seq order.
    pub msgs: Vec<usize>,
}

impl MRoom {
    pub fn activity(&self) -> Timestamp {
        self.last_message_at.unwrap_or(self.created_at)
    }
}

#[derive(Debug, Clone)]
pub struct MMsg {
    pub id: MessageId,
    pub room: usize,
    pub seq: i64,
    pub sender: UserId,
    pub content: Option<String>,
    pub kind: MessageType,
    pub mentions: Vec<UserId>,
    pub client_id: Option<String>,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub struct MAccount {
    pub enabled: bool,
    pub max_rooms: Option<u32>,
    pub max_members: Option<u32>,
    /// (action, actor, target) of every audited action, in order.
    pub audit: Vec<(AuditAction, Option<UserId>, String)>,
}

/// What a DM request resolves to.
pub enum DmPlan {
    Existing(usize),
    New(UserId),
}

/// What a send resolves to.
pub enum SendPlan {
    /// The earlier message with the same `client_id`.
    Dup(usize),
    New {
        room: usize,
        content: String,
        mentions: Vec<UserId>,
        kind: MessageType,
        client_id: Option<String>,
    },
}

pub struct Model {
    pub rooms: Vec<MRoom>,
    pub msgs: Vec<MMsg>,
    pub accounts: [MAccount; 2],
    pub active: [bool; USERS.len()],
    ghost_room: RoomId,
    ghost_msg: MessageId,
}

impl Model {
    pub fn new() -> Self {
        let account = MAccount {
            enabled: true,
            max_rooms: None,
            max_members: None,
            audit: Vec::new(),
        };
        Self {
            rooms: Vec::new(),
            msgs: Vec::new(),
            accounts: [account.clone(), account],
            active: [true; USERS.len()],
            ghost_room: RoomId::new(),
            ghost_msg: MessageId::new(),
        }
    }

    // ---- lookups -------------------------------------------------------------------------

    pub fn user_account(uid: UserId) -> Option<usize> {
        USERS.iter().find(|u| u.id == uid).map(|u| u.account)
    }

    /// The account an id belongs to (`None`: an id the model never made).
    pub fn owner(&self, id: Seen) -> Option<usize> {
        match id {
            Seen::Account(a) => ACCOUNTS.iter().position(|x| *x == a),
            Seen::User(u) => Self::user_account(u),
            Seen::Room(r) => self.room_index(r).map(|r| self.rooms[r].account),
            Seen::Message(m) => self
                .msg_index(m)
                .map(|m| self.rooms[self.msgs[m].room].account),
        }
    }

    fn known_active(&self, acc: usize, uid: UserId) -> bool {
        USERS
            .iter()
            .position(|u| u.id == uid && u.account == acc)
            .is_some_and(|i| self.active[i])
    }

    pub fn resolve_user(acc: usize, r: UserRef) -> UserId {
        let acc = if r.foreign { 1 - acc } else { acc };
        let of: Vec<&UserSpec> = USERS.iter().filter(|u| u.account == acc).collect();
        of[usize::from(r.idx) % of.len()].id
    }

    fn user_index(uid: UserId) -> usize {
        USERS.iter().position(|u| u.id == uid).unwrap_or_default()
    }

    /// The acting user of a step and the room and message it targets (see `ops`; a ghost
    /// id where the operation has none).
    pub fn resolve(&self, op: &Op) -> (usize, RoomId, MessageId) {
        let a = op.actor().unwrap_or_default();
        let plain = usize::from(a) % USERS.len();
        if a >= MEMBER {
            let live = |r: &MRoom| !r.archived && !r.members.is_empty();
            if let Some(pick) = op.room().filter(|p| *p < GHOST) {
                let rooms: Vec<&MRoom> = self.rooms.iter().filter(|r| live(r)).collect();
                if !rooms.is_empty() {
                    let room = rooms[usize::from(pick) % rooms.len()];
                    let ids: Vec<UserId> = room.members.keys().copied().collect();
                    let uid = ids[usize::from(a) % ids.len()];
                    return (Self::user_index(uid), room.id, self.ghost_msg);
                }
            }
            if let Some(pick) = op.msg().filter(|p| *p < GHOST) {
                let msgs: Vec<&MMsg> = self
                    .msgs
                    .iter()
                    .filter(|m| live(&self.rooms[m.room]))
                    .collect();
                if !msgs.is_empty() {
                    let msg = msgs[usize::from(pick) % msgs.len()];
                    let uid = if matches!(op, Op::Edit { .. }) {
                        msg.sender
                    } else {
                        let ids: Vec<UserId> =
                            self.rooms[msg.room].members.keys().copied().collect();
                        ids[usize::from(a) % ids.len()]
                    };
                    return (Self::user_index(uid), self.ghost_room, msg.id);
                }
            }
        }
        let room = op
            .room()
            .map_or(self.ghost_room, |r| self.room_ref(plain, r));
        let msg = op
            .msg()
            .map_or(self.ghost_msg, |m| self.msg_ref(plain, m, None));
        (plain, room, msg)
    }

    /// Resolves a room index (see `ops`) for user `u`.
    pub fn room_ref(&self, u: usize, r: u8) -> RoomId {
        let mine = self.rooms_of(u);
        if r >= GHOST || self.rooms.is_empty() {
            self.ghost_room
        } else if r < ANY && !mine.is_empty() {
            self.rooms[mine[usize::from(r) % mine.len()]].id
        } else {
            self.rooms[usize::from(r) % self.rooms.len()].id
        }
    }

    /// Resolves a message index (see `ops`) for user `u`; `within` narrows "reachable" to
    /// one room's messages.
    pub fn msg_ref(&self, u: usize, m: u8, within: Option<RoomId>) -> MessageId {
        let mine: Vec<usize> = match within.and_then(|id| self.room_index(id)) {
            Some(r) => self.rooms[r].msgs.clone(),
            None => self
                .rooms_of(u)
                .into_iter()
                .flat_map(|r| self.rooms[r].msgs.iter().copied())
                .collect(),
        };
        if m >= GHOST || self.msgs.is_empty() {
            self.ghost_msg
        } else if m < ANY && !mine.is_empty() {
            self.msgs[mine[usize::from(m) % mine.len()]].id
        } else {
            self.msgs[usize::from(m) % self.msgs.len()].id
        }
    }

    pub fn room_index(&self, id: RoomId) -> Option<usize> {
        self.rooms.iter().position(|r| r.id == id)
    }

    pub fn msg_index(&self, id: MessageId) -> Option<usize> {
        self.msgs.iter().position(|m| m.id == id)
    }

    /// The room, if live in this account.
    fn live_room(&self, acc: usize, id: RoomId) -> Option<usize> {
        self.room_index(id)
            .filter(|&r| self.rooms[r].account == acc && !self.rooms[r].archived)
    }

    /// The message, if its room is live in this account.
    fn live_msg(&self, acc: usize, id: MessageId) -> Option<usize> {
        self.msg_index(id).filter(|&m| {
            self.live_room(acc, self.rooms[self.msgs[m].room].id)
                .is_some()
        })
    }

    pub fn membership(&self, r: usize, uid: UserId) -> Option<RoomRole> {
        self.rooms[r].members.get(&uid).map(|m| m.role)
    }

    fn subject(&self, u: usize, r: usize) -> Subject {
        let me = &USERS[u];
        Subject::room(me.role, self.rooms[r].kind, self.membership(r, me.id))
    }

    /// The live room in the actor's account, else `NotFound`.
    fn access(&self, u: usize, id: RoomId) -> Result<usize, Kind> {
        self.live_room(USERS[u].account, id).ok_or(Kind::NotFound)
    }

    /// Unread and mention counts of a member: messages after their read pointer, not their
    /// own, not deleted (and, for mentions, naming them).
    pub fn counts(&self, r: usize, uid: UserId) -> (i64, i64) {
        let Some(member) = self.rooms[r].members.get(&uid) else {
            return (0, 0);
        };
        let mut unread = 0;
        let mut mentions = 0;
        for &m in &self.rooms[r].msgs {
            let msg = &self.msgs[m];
            if msg.seq > member.read_seq && msg.sender != uid && !msg.deleted {
                unread += 1;
                if msg.mentions.contains(&uid) {
                    mentions += 1;
                }
            }
        }
        (unread, mentions)
    }

    /// The user's live rooms, most recent activity first, then id descending.
    pub fn rooms_of(&self, u: usize) -> Vec<usize> {
        let me = &USERS[u];
        let mut out: Vec<usize> = (0..self.rooms.len())
            .filter(|&r| {
                let room = &self.rooms[r];
                room.account == me.account && !room.archived && room.members.contains_key(&me.id)
            })
            .collect();
        out.sort_by(|&a, &b| {
            let (a, b) = (&self.rooms[a], &self.rooms[b]);
            (b.activity(), b.id).cmp(&(a.activity(), a.id))
        });
        out
    }

    fn audit(&mut self, acc: usize, action: AuditAction, actor: UserId, target: String) {
        self.accounts[acc].audit.push((action, Some(actor), target));
    }
}
