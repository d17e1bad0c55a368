//! The rules: what each operation must answer, in the order the facade's layers check
//! them (input validation, room visibility, the policy decision, data checks, entitlements),
//! and the effect of each on the model.

use std::collections::BTreeMap;

use crate::policy::{decide, Action, Decision, Deny, Subject};
use crate::{
    AuditAction, Message, MessageId, MessageType, Room, RoomId, RoomRole, RoomType, Timestamp,
    UserId,
};

use super::{DmPlan, Kind, MMember, MMsg, MRoom, Model, SendPlan, USERS};

fn allowed(action: Action, s: Subject) -> Result<(), Kind> {
    match decide(action, &s) {
        Decision::Allow => Ok(()),
        Decision::Deny(Deny::NotFound) => Err(Kind::NotFound),
        Decision::Deny(Deny::Forbidden(_)) => Err(Kind::Forbidden),
        Decision::Deny(Deny::Invalid(..)) => Err(Kind::Validation),
    }
}

/// Content: 1–4000 characters after trimming, no NUL; stored trimmed.
pub fn valid_content(s: &str) -> Result<String, Kind> {
    let t = s.trim();
    if t.is_empty() || t.contains('\0') || t.chars().count() > 4000 {
        return Err(Kind::Validation);
    }
    Ok(t.to_owned())
}

/// Room name: 1–80 characters after trimming, no control characters; stored trimmed.
pub fn valid_name(s: &str) -> Result<String, Kind> {
    let t = s.trim();
    if t.is_empty() || t.chars().any(char::is_control) || t.chars().count() > 80 {
        return Err(Kind::Validation);
    }
    Ok(t.to_owned())
}

fn dedup(ids: &[UserId]) -> Vec<UserId> {
    let mut out = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

impl Model {
    // ---- admission -----------------------------------------------------------------------

    pub fn enter(&self, u: usize) -> Kind {
        if !self.accounts[USERS[u].account].enabled {
            Kind::EntitlementDenied
        } else if !self.active[u] {
            Kind::UserDeactivated
        } else {
            Kind::Ok
        }
    }

    // ---- rooms ---------------------------------------------------------------------------

    /// The other members of a new team room.
    pub fn create_room(&self, u: usize, ids: &[UserId], name: &str) -> Result<Vec<UserId>, Kind> {
        let me = &USERS[u];
        let ids = dedup(ids);
        valid_name(name)?;
        allowed(Action::CreateRoom, Subject::account(me.role))?;
        let others: Vec<UserId> = ids.into_iter().filter(|id| *id != me.id).collect();
        if others.iter().any(|id| !self.known_active(me.account, *id)) {
            return Err(Kind::Validation);
        }
        let plan = &self.accounts[me.account];
        if let Some(max) = plan.max_members {
            if others.len() + 1 > max as usize {
                return Err(Kind::EntitlementDenied);
            }
        }
        if let Some(max) = plan.max_rooms {
            let live = self
                .rooms
                .iter()
                .filter(|r| r.account == me.account && !r.archived && r.kind == RoomType::Room)
                .count();
            if live >= max as usize {
                return Err(Kind::EntitlementDenied);
            }
        }
        Ok(others)
    }

    pub fn create_dm(&self, u: usize, ids: &[UserId]) -> Result<DmPlan, Kind> {
        let me = &USERS[u];
        let ids = dedup(ids);
        allowed(Action::CreateDm, Subject::account(me.role))?;
        let others: Vec<UserId> = ids.into_iter().filter(|id| *id != me.id).collect();
        let [other] = others[..] else {
            return Err(Kind::Validation);
        };
        let pair = (me.id.min(other), me.id.max(other));
        let existing = (0..self.rooms.len()).find(|&r| {
            let room = &self.rooms[r];
            room.account == me.account && !room.archived && room.dm_pair == Some(pair)
        });
        if let Some(r) = existing {
            return Ok(DmPlan::Existing(r));
        }
        if !self.known_active(me.account, other) {
            return Err(Kind::Validation);
        }
        Ok(DmPlan::New(other))
    }

    /// Records a room or DM the store created: the creator is owner of a room (member of a
    /// DM), the others members, nobody has anything unread.
    pub fn add_room(&mut self, u: usize, room: &Room, others: &[UserId]) {
        let me = &USERS[u];
        let dm = room.kind == RoomType::Dm;
        let mut members = BTreeMap::new();
        let creator = if dm {
            RoomRole::Member
        } else {
            RoomRole::Owner
        };
        members.insert(
            me.id,
            MMember {
                role: creator,
                read_seq: 0,
                read_at: None,
            },
        );
        for id in others {
            members.insert(
                *id,
                MMember {
                    role: RoomRole::Member,
                    read_seq: 0,
                    read_at: None,
                },
            );
        }
        let dm_pair = dm.then(|| (me.id.min(others[0]), me.id.max(others[0])));
        self.rooms.push(MRoom {
            id: room.id,
            account: me.account,
            kind: room.kind,
            name: room.name.clone(),
            created_by: me.id,
            created_at: room.created_at,
            updated_at: room.updated_at,
            archived: false,
            dm_pair,
            members,
            last_seq: 0,
            last_message_at: None,
            msgs: Vec::new(),
        });
        self.audit(
            me.account,
            AuditAction::RoomCreated,
            me.id,
            room.id.to_string(),
        );
        if !dm {
            for id in others {
                self.audit(me.account, AuditAction::MemberAdded, me.id, id.to_string());
            }
        }
    }

    pub fn rename(&self, u: usize, id: RoomId, name: &str) -> Result<(usize, String), Kind> {
        let name = valid_name(name)?;
        let r = self.access(u, id)?;
        allowed(Action::RenameRoom, self.subject(u, r))?;
        Ok((r, name))
    }

    pub fn apply_rename(&mut self, u: usize, r: usize, name: String, at: Timestamp) {
        self.rooms[r].name = Some(name);
        self.rooms[r].updated_at = at;
        let id = self.rooms[r].id.to_string();
        self.audit(USERS[u].account, AuditAction::RoomUpdated, USERS[u].id, id);
    }

    pub fn archive(&self, u: usize, id: RoomId) -> Result<usize, Kind> {
        let r = self.access(u, id)?;
        allowed(Action::ArchiveRoom, self.subject(u, r))?;
        Ok(r)
    }

    pub fn apply_archive(&mut self, u: usize, r: usize) {
        self.rooms[r].archived = true;
        let id = self.rooms[r].id.to_string();
        self.audit(USERS[u].account, AuditAction::RoomDeleted, USERS[u].id, id);
    }

    pub fn view_room(&self, u: usize, id: RoomId) -> Result<usize, Kind> {
        let r = self.access(u, id)?;
        allowed(Action::ViewRoom, self.subject(u, r))?;
        Ok(r)
    }

    /// A manager's read of a room they are not a member of is audited.
    pub fn apply_view(&mut self, u: usize, r: usize) {
        if !self.rooms[r].members.contains_key(&USERS[u].id) {
            let id = self.rooms[r].id.to_string();
            self.audit(USERS[u].account, AuditAction::RoomViewed, USERS[u].id, id);
        }
    }

    // ---- members -------------------------------------------------------------------------

    /// The room, the users who are not members yet, and the role they get.
    pub fn add_members(
        &self,
        u: usize,
        id: RoomId,
        ids: &[UserId],
        role: Option<RoomRole>,
    ) -> Result<(usize, Vec<UserId>, RoomRole), Kind> {
        let me = &USERS[u];
        let ids = dedup(ids);
        if ids.is_empty() {
            return Err(Kind::Validation);
        }
        let role = role.unwrap_or(RoomRole::Member);
        let r = self.access(u, id)?;
        allowed(Action::AddMembers, self.subject(u, r).target(role))?;
        let new: Vec<UserId> = ids
            .into_iter()
            .filter(|id| !self.rooms[r].members.contains_key(id))
            .collect();
        if new.is_empty() {
            return Ok((r, new, role));
        }
        if new.iter().any(|id| !self.known_active(me.account, *id)) {
            return Err(Kind::Validation);
        }
        if let Some(max) = self.accounts[me.account].max_members {
            if self.rooms[r].members.len() + new.len() > max as usize {
                return Err(Kind::EntitlementDenied);
            }
        }
        Ok((r, new, role))
    }

    /// New members start with nothing unread.
    pub fn apply_add(&mut self, u: usize, r: usize, new: &[UserId], role: RoomRole) {
        let read_seq = self.rooms[r].last_seq;
        for id in new {
            self.rooms[r].members.insert(
                *id,
                MMember {
                    role,
                    read_seq,
                    read_at: None,
                },
            );
            self.audit(
                USERS[u].account,
                AuditAction::MemberAdded,
                USERS[u].id,
                id.to_string(),
            );
        }
    }

    pub fn remove_member(&self, u: usize, id: RoomId, target: UserId) -> Result<usize, Kind> {
        let r = self.access(u, id)?;
        let own = target == USERS[u].id;
        let role = self.membership(r, target);
        let s = self
            .subject(u, r)
            .own(own)
            .target(role.unwrap_or(RoomRole::Member));
        allowed(Action::RemoveMember, s)?;
        role.ok_or(Kind::NotFound)?;
        Ok(r)
    }

    pub fn apply_remove(&mut self, u: usize, r: usize, target: UserId) {
        self.rooms[r].members.remove(&target);
        self.audit(
            USERS[u].account,
            AuditAction::MemberRemoved,
            USERS[u].id,
            target.to_string(),
        );
    }

    // ---- messages ------------------------------------------------------------------------

    pub fn send(
        &self,
        u: usize,
        id: RoomId,
        content: &str,
        mentions: &[UserId],
        client_id: Option<&str>,
    ) -> Result<SendPlan, Kind> {
        let me = &USERS[u];
        let content = valid_content(content)?;
        let mentions = dedup(mentions);
        if let Some(key) = client_id {
            if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Kind::Validation);
            }
        }
        let kind = if mentions.is_empty() {
            MessageType::Text
        } else {
            MessageType::Mention
        };
        let r = self.access(u, id)?;
        allowed(Action::SendMessage, self.subject(u, r))?;
        if let Some(key) = client_id {
            let dup = self.rooms[r].msgs.iter().copied().find(|&m| {
                self.msgs[m].sender == me.id && self.msgs[m].client_id.as_deref() == Some(key)
            });
            if let Some(m) = dup {
                return Ok(SendPlan::Dup(m));
            }
        }
        // Mentioned users must be members, and (memberships outlive deactivation) active.
        if mentions.iter().any(|id| {
            !self.rooms[r].members.contains_key(id) || !self.known_active(me.account, *id)
        }) {
            return Err(Kind::Validation);
        }
        Ok(SendPlan::New {
            room: r,
            content,
            mentions,
            kind,
            client_id: client_id.map(str::to_owned),
        })
    }

    /// Records a stored message (its seq checked by the caller): the room's newest, and read
    /// by its sender.
    pub fn apply_send(&mut self, u: usize, r: usize, stored: &Message) {
        let sender = USERS[u].id;
        let room = &mut self.rooms[r];
        room.last_seq = stored.seq;
        room.last_message_at = Some(stored.created_at);
        room.msgs.push(self.msgs.len());
        if let Some(m) = room.members.get_mut(&sender) {
            m.read_seq = m.read_seq.max(stored.seq);
            m.read_at = Some(stored.created_at);
        }
        self.msgs.push(MMsg {
            id: stored.id,
            room: r,
            seq: stored.seq,
            sender,
            content: stored.content.clone(),
            kind: stored.message_type,
            mentions: stored.mentions.clone(),
            client_id: stored.client_id.clone(),
            created_at: stored.created_at,
            edited_at: None,
            deleted: false,
        });
    }

    pub fn edit(&self, u: usize, id: MessageId, content: &str) -> Result<(usize, String), Kind> {
        let content = valid_content(content)?;
        let m = self.live_msg(USERS[u].account, id).ok_or(Kind::NotFound)?;
        let own = self.msgs[m].sender == USERS[u].id;
        allowed(
            Action::EditMessage,
            self.subject(u, self.msgs[m].room).own(own),
        )?;
        if self.msgs[m].deleted {
            return Err(Kind::NotFound);
        }
        Ok((m, content))
    }

    pub fn apply_edit(&mut self, u: usize, m: usize, content: String, at: Option<Timestamp>) {
        self.msgs[m].content = Some(content);
        self.msgs[m].edited_at = at;
        let id = self.msgs[m].id.to_string();
        self.audit(
            USERS[u].account,
            AuditAction::MessageEdited,
            USERS[u].id,
            id,
        );
    }

    pub fn delete(&self, u: usize, id: MessageId) -> Result<usize, Kind> {
        let m = self.live_msg(USERS[u].account, id).ok_or(Kind::NotFound)?;
        let own = self.msgs[m].sender == USERS[u].id;
        allowed(
            Action::DeleteMessage,
            self.subject(u, self.msgs[m].room).own(own),
        )?;
        Ok(m)
    }

    /// Deleting a deleted message changes nothing and audits nothing.
    pub fn apply_delete(&mut self, u: usize, m: usize) {
        if self.msgs[m].deleted {
            return;
        }
        self.msgs[m].deleted = true;
        self.msgs[m].content = None;
        let id = self.msgs[m].id.to_string();
        self.audit(
            USERS[u].account,
            AuditAction::MessageDeleted,
            USERS[u].id,
            id,
        );
    }

    /// Page sizes are 1–100, checked before anything else.
    pub fn page_size(limit: u32) -> Result<(), Kind> {
        if (1..=100).contains(&limit) {
            Ok(())
        } else {
            Err(Kind::Validation)
        }
    }

    pub fn read_messages(&self, u: usize, id: RoomId, limit: u32) -> Result<usize, Kind> {
        Self::page_size(limit)?;
        let r = self.access(u, id)?;
        allowed(Action::ReadMessages, self.subject(u, r))?;
        Ok(r)
    }

    /// The room and the seq to read up to.
    pub fn mark_read(
        &self,
        u: usize,
        id: RoomId,
        to: Option<MessageId>,
    ) -> Result<(usize, i64), Kind> {
        let r = self.access(u, id)?;
        allowed(Action::MarkRead, self.subject(u, r))?;
        let seq = match to {
            None => self.rooms[r].last_seq,
            Some(mid) => {
                let m = self
                    .live_msg(USERS[u].account, mid)
                    .filter(|&m| self.msgs[m].room == r)
                    .ok_or(Kind::Validation)?;
                self.msgs[m].seq
            }
        };
        Ok((r, seq))
    }

    /// The pointer never moves backwards; when it moves, `at` (the store's time) is kept.
    /// Returns whether it moved.
    pub fn apply_mark_read(&mut self, u: usize, r: usize, seq: i64, at: Option<Timestamp>) -> bool {
        match self.rooms[r].members.get_mut(&USERS[u].id) {
            Some(m) if seq > m.read_seq => {
                m.read_seq = seq;
                m.read_at = at;
                true
            }
            _ => false,
        }
    }

    pub fn view_audit(&self, u: usize) -> Result<(), Kind> {
        allowed(Action::ViewAudit, Subject::account(USERS[u].role))
    }
}
