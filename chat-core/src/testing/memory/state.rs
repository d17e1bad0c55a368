//! The reference store's data and how a write changes it.

use std::collections::HashMap;

use crate::ids::{AccountId, MessageId, RoomId, UserId};
use crate::model::{
    AuditEntry, DirectoryEntry, Entitlements, Member, Message, ReadState, Room, RoomType,
};
use crate::store::{Applied, Op, Precondition};
use crate::store::{StoreError, StoreResult as Result};

pub(super) struct RoomRow {
    pub(super) room: Room,
    pub(super) archived: bool,
    pub(super) dm_pair: Option<(UserId, UserId)>,
    pub(super) members: Vec<Member>,
    pub(super) messages: Vec<Message>,
}

/// A logged event and the message it is about.
pub(super) type LoggedEvent = (Option<MessageId>, crate::events::Event);

#[derive(Default)]
pub(super) struct State {
    pub(super) rooms: HashMap<RoomId, RoomRow>,
    pub(super) message_room: HashMap<MessageId, RoomId>,
    pub(super) directory: HashMap<(AccountId, UserId), DirectoryEntry>,
    pub(super) entitlements: HashMap<AccountId, Entitlements>,
    pub(super) audit: Vec<AuditEntry>,
    /// Each account's event log (never pruned here) and last assigned id.
    /// Each entry remembers the message it is about (for edits and deletes).
    pub(super) events: HashMap<AccountId, (i64, Vec<LoggedEvent>)>,
    /// Notifications with their account.
    pub(super) notifications: Vec<(AccountId, crate::model::Notification)>,
}

impl State {
    pub(super) fn live(&self, account: AccountId, room: RoomId) -> Option<&RoomRow> {
        self.rooms
            .get(&room)
            .filter(|r| r.room.account_id == account && !r.archived)
    }

    pub(super) fn live_mut(&mut self, account: AccountId, room: RoomId) -> Result<&mut RoomRow> {
        self.rooms
            .get_mut(&room)
            .filter(|r| r.room.account_id == account && !r.archived)
            .ok_or_else(|| StoreError::Conflict("room not live".into()))
    }

    pub(super) fn message(
        &self,
        account: AccountId,
        id: MessageId,
    ) -> Option<(&RoomRow, &Message)> {
        let room = self.live(account, *self.message_room.get(&id)?)?;
        room.messages.iter().find(|m| m.id == id).map(|m| (room, m))
    }

    pub(super) fn counts(row: &RoomRow, user: UserId) -> (i64, i64) {
        let Some(m) = row.members.iter().find(|m| m.user_id == user) else {
            return (0, 0);
        };
        let unread: Vec<&Message> = row
            .messages
            .iter()
            .filter(|x| x.seq > m.last_read_seq && x.sender_id != user && x.deleted_at.is_none())
            .collect();
        let mentions = unread.iter().filter(|x| x.mentions.contains(&user)).count();
        (unread.len() as i64, mentions as i64)
    }

    pub(super) fn holds(&self, account: AccountId, p: &Precondition) -> bool {
        match p {
            Precondition::RoomLive(r) => self.live(account, *r).is_some(),
            Precondition::Membership { room, user, role } => {
                self.live(account, *room).is_some_and(|r| {
                    r.members
                        .iter()
                        .find(|m| m.user_id == *user)
                        .map(|m| m.role)
                        == *role
                })
            }
            Precondition::UsersActive(users) => users
                .iter()
                .all(|u| self.directory.get(&(account, *u)).is_some_and(|e| e.active)),
            Precondition::NoLiveDm(a, b) => !self.rooms.values().any(|r| {
                r.room.account_id == account && !r.archived && r.dm_pair == Some((*a, *b))
            }),
            Precondition::NoClientId {
                room,
                sender,
                client_id,
            } => !self.rooms.get(room).is_some_and(|r| {
                r.room.account_id == account
                    && r.messages.iter().any(|m| {
                        m.sender_id == *sender && m.client_id.as_deref() == Some(client_id)
                    })
            }),
            Precondition::LiveTeamRoomsBelow(n) => self.team_rooms(account) < u64::from(*n),
            Precondition::MembersAtMost { room, max } => self
                .live(account, *room)
                .is_some_and(|r| r.members.len() <= *max as usize),
            Precondition::MessageLive(m) => self
                .message(account, *m)
                .is_some_and(|(_, m)| m.deleted_at.is_none()),
            Precondition::DirectoryIs(user, facts) => {
                self.directory
                    .get(&(account, *user))
                    .map(|e| (e.name.clone(), e.role, e.active))
                    == *facts
            }
            Precondition::EntitlementsAre(e) => {
                self.entitlements.get(&account).copied().unwrap_or_default() == *e
            }
        }
    }

    pub(super) fn team_rooms(&self, account: AccountId) -> u64 {
        self.rooms
            .values()
            .filter(|r| {
                r.room.account_id == account && !r.archived && r.room.kind == RoomType::Room
            })
            .count() as u64
    }

    pub(super) fn apply(&mut self, account: AccountId, op: &Op) -> Result<Applied> {
        let conflict = |why: &str| StoreError::Conflict(why.to_owned());
        match op {
            Op::CreateRoom {
                room,
                dm_pair,
                members,
            } => {
                if room.account_id != account || self.rooms.contains_key(&room.id) {
                    return Err(conflict("bad room"));
                }
                if let Some((a, b)) = dm_pair {
                    if !self.holds(account, &Precondition::NoLiveDm(*a, *b)) {
                        return Err(conflict("dm exists"));
                    }
                }
                let members = members
                    .iter()
                    .map(|(u, role)| Member {
                        user_id: *u,
                        role: *role,
                        last_read_at: None,
                        last_read_seq: 0,
                        joined_at: room.created_at,
                    })
                    .collect();
                let mut stored = room.clone();
                stored.last_seq = 0;
                stored.last_message_at = None;
                self.rooms.insert(
                    room.id,
                    RoomRow {
                        room: stored.clone(),
                        archived: false,
                        dm_pair: *dm_pair,
                        members,
                        messages: Vec::new(),
                    },
                );
                Ok(Applied::Room(stored))
            }
            Op::RenameRoom { room, name, at } => {
                let row = self.live_mut(account, *room)?;
                row.room.name = Some(name.clone());
                row.room.updated_at = *at;
                Ok(Applied::Done)
            }
            Op::ArchiveRoom { room, .. } => {
                self.live_mut(account, *room)?.archived = true;
                Ok(Applied::Done)
            }
            Op::AddMembers { room, members, at } => {
                let row = self.live_mut(account, *room)?;
                for (u, role) in members {
                    if !row.members.iter().any(|m| m.user_id == *u) {
                        row.members.push(Member {
                            user_id: *u,
                            role: *role,
                            last_read_at: None,
                            last_read_seq: row.room.last_seq,
                            joined_at: *at,
                        });
                    }
                }
                Ok(Applied::Done)
            }
            Op::RemoveMember { room, user } => {
                self.live_mut(account, *room)?
                    .members
                    .retain(|m| m.user_id != *user);
                Ok(Applied::Done)
            }
            Op::SendMessage(msg) => {
                let row = self.live_mut(account, msg.room_id)?;
                let mut stored = msg.clone();
                stored.account_id = account;
                stored.seq = row.room.last_seq + 1;
                row.room.last_seq = stored.seq;
                row.room.last_message_at = Some(stored.created_at);
                if let Some(m) = row.members.iter_mut().find(|m| m.user_id == msg.sender_id) {
                    m.last_read_seq = m.last_read_seq.max(stored.seq);
                    m.last_read_at = Some(stored.created_at);
                }
                row.messages.push(stored.clone());
                self.message_room.insert(stored.id, stored.room_id);
                Ok(Applied::Message(stored))
            }
            Op::EditMessage {
                message,
                content,
                at,
            } => {
                let room = *self
                    .message_room
                    .get(message)
                    .ok_or_else(|| conflict("no msg"))?;
                let row = self.live_mut(account, room)?;
                let m = row.messages.iter_mut().find(|m| m.id == *message);
                let m = m.ok_or_else(|| conflict("no msg"))?;
                m.content = Some(content.clone());
                m.edited_at = Some(*at);
                Ok(Applied::Done)
            }
            Op::DeleteMessage { message, at } => {
                let room = *self
                    .message_room
                    .get(message)
                    .ok_or_else(|| conflict("no msg"))?;
                let row = self.live_mut(account, room)?;
                let m = row.messages.iter_mut().find(|m| m.id == *message);
                let m = m.ok_or_else(|| conflict("no msg"))?;
                m.content = None;
                m.deleted_at = Some(*at);
                Ok(Applied::Done)
            }
            Op::MarkRead {
                room,
                user,
                up_to,
                at,
            } => {
                let row = self.live_mut(account, *room)?;
                let last = row.room.last_seq;
                let m = row.members.iter_mut().find(|m| m.user_id == *user);
                let m = m.ok_or_else(|| conflict("not a member"))?;
                let target = up_to.unwrap_or(last).min(last);
                if target > m.last_read_seq {
                    m.last_read_seq = target;
                    m.last_read_at = Some(*at);
                }
                let (seq, read_at) = (m.last_read_seq, m.last_read_at);
                let (unread, mentions) = Self::counts(row, *user);
                Ok(Applied::Read(ReadState {
                    room_id: *room,
                    last_read_at: read_at,
                    last_read_seq: seq,
                    unread_count: unread,
                    mention_count: mentions,
                }))
            }
            Op::SeenUser {
                user,
                name,
                role,
                at,
            } => {
                let e = self
                    .directory
                    .entry((account, *user))
                    .or_insert_with(|| DirectoryEntry {
                        account_id: account,
                        user_id: *user,
                        name: None,
                        role: *role,
                        active: true,
                        last_seen_at: *at,
                    });
                if name.is_some() {
                    e.name.clone_from(name);
                }
                e.role = *role;
                e.last_seen_at = *at;
                Ok(Applied::Done)
            }
            Op::ProvisionUser(entry) => {
                let mut entry = entry.clone();
                entry.account_id = account;
                self.directory.insert((account, entry.user_id), entry);
                Ok(Applied::Done)
            }
            Op::SetEntitlements(e) => {
                self.entitlements.insert(account, *e);
                Ok(Applied::Done)
            }
            Op::RecordOnly => Ok(Applied::Done),
            Op::ReadNotifications { user, ids, at } => {
                let mut n = 0;
                for note in self.notifications.iter_mut() {
                    let (acc, ref mut note) = *note;
                    let chosen = ids.as_ref().is_none_or(|ids| ids.contains(&note.id));
                    if acc == account && note.user_id == *user && chosen && note.read_at.is_none() {
                        note.read_at = Some(*at);
                        n += 1;
                    }
                }
                Ok(Applied::Count(n))
            }
        }
    }
}
