//! Comparing what the store answers with the model, and recording what each user saw.

use std::collections::BTreeMap;

use crate::store::AuditFilter;
use crate::{
    AccountId, Actor, AuditAction, AuditEntry, Member, Message, MessageId, MessagePage, Page, Room,
    RoomDetail, RoomId, UserId,
};

use super::harness::{ensure, ensure_eq, unexpected, Harness, R};
use super::state::{Seen, ACCOUNTS, USERS};

/// Bound on pages walked in one listing (a cursor loop is a bug, not a long list).
const MAX_PAGES: usize = 200;

impl Harness {
    // ---- what users saw ------------------------------------------------------------------

    /// The id must belong to the user's account; it is recorded as seen by them.
    fn see(&mut self, u: usize, id: Seen) -> R {
        self.owned_by(u, id)?;
        self.seen[u].insert(id);
        Ok(())
    }

    fn owned_by(&self, u: usize, id: Seen) -> R {
        let acc = USERS[u].account;
        let owner = self.model.owner(id);
        ensure!(
            owner == Some(acc),
            "user {} (account {}) saw {id:?}, which belongs to {}",
            USERS[u].id,
            ACCOUNTS[acc],
            owner.map_or("no account the model knows".to_owned(), |a| format!(
                "account {}",
                ACCOUNTS[a]
            ))
        );
        Ok(())
    }

    /// Everything each user saw during the sequence, checked again at its end.
    pub fn check_seen(&self) -> R {
        for (u, seen) in self.seen.iter().enumerate() {
            for id in seen {
                self.owned_by(u, *id)?;
            }
        }
        Ok(())
    }

    fn see_account(&mut self, u: usize, account: AccountId) -> R {
        self.see(u, Seen::Account(account))
    }

    fn see_user(&mut self, u: usize, id: UserId) -> R {
        self.see(u, Seen::User(id))
    }

    fn see_room(&mut self, u: usize, id: RoomId) -> R {
        self.see(u, Seen::Room(id))
    }

    fn see_msg(&mut self, u: usize, id: MessageId) -> R {
        self.see(u, Seen::Message(id))
    }

    pub fn see_room_obj(&mut self, u: usize, room: &Room) -> R {
        self.see_room(u, room.id)?;
        self.see_account(u, room.account_id)?;
        self.see_user(u, room.created_by)
    }

    pub fn see_message(&mut self, u: usize, m: &Message) -> R {
        self.see_msg(u, m.id)?;
        self.see_room(u, m.room_id)?;
        self.see_account(u, m.account_id)?;
        self.see_user(u, m.sender_id)?;
        for id in &m.mentions {
            self.see_user(u, *id)?;
        }
        Ok(())
    }

    fn see_audit(&mut self, u: usize, e: &AuditEntry) -> R {
        self.see_account(u, e.account_id)?;
        if let Some(actor) = e.actor_id {
            self.see_user(u, actor)?;
        }
        if e.action == crate::model::AuditAction::EntitlementsUpdated {
            // The target is the account itself.
            let account = e.target_id.parse().map(crate::ids::AccountId);
            self.see_account(u, account.map_err(|_| format!("odd audit target {e:?}"))?)?;
        } else if let Ok(room) = e.target_id.parse::<RoomId>() {
            if self.model.room_index(room).is_some() {
                self.see_room(u, room)?;
            } else {
                self.see_msg(u, MessageId(room.0))?;
            }
        } else {
            let user = e.target_id.parse().map(UserId);
            self.see_user(u, user.map_err(|_| format!("odd audit target {e:?}"))?)?;
        }
        if let Some(room) = e.metadata.get("room_id").and_then(|v| v.as_str()) {
            let room = room.parse().map_err(|_| format!("odd room_id in {e:?}"))?;
            self.see_room(u, room)?;
        }
        for key in ["member_ids", "sender_id"] {
            let ids = match e.metadata.get(key) {
                Some(serde_json::Value::Array(ids)) => ids.clone(),
                Some(v) => vec![v.clone()],
                None => vec![],
            };
            for id in ids {
                let id = id.as_i64().ok_or_else(|| format!("odd {key} in {e:?}"))?;
                self.see_user(u, UserId(id))?;
            }
        }
        Ok(())
    }

    // ---- comparisons ---------------------------------------------------------------------

    pub fn compare_room(&self, room: &Room, r: usize) -> R {
        let m = &self.model.rooms[r];
        ensure_eq!(room.id, m.id, "room id");
        ensure_eq!(
            room.account_id,
            ACCOUNTS[m.account],
            "room {} account",
            m.id
        );
        ensure_eq!(room.kind, m.kind, "room {} type", m.id);
        ensure_eq!(room.name, m.name, "room {} name", m.id);
        ensure_eq!(room.created_by, m.created_by, "room {} created_by", m.id);
        ensure_eq!(room.created_at, m.created_at, "room {} created_at", m.id);
        ensure_eq!(room.updated_at, m.updated_at, "room {} updated_at", m.id);
        ensure_eq!(room.last_seq, m.last_seq, "room {} last_seq", m.id);
        ensure_eq!(
            room.last_message_at,
            m.last_message_at,
            "room {} last_message_at",
            m.id
        );
        Ok(())
    }

    /// Members by user id, with role and read pointer.
    pub fn compare_members(&mut self, u: usize, members: &[Member], r: usize) -> R {
        let got: Vec<_> = members
            .iter()
            .map(|m| (m.user_id, m.role, m.last_read_seq, m.last_read_at))
            .collect();
        let want: Vec<_> = self.model.rooms[r]
            .members
            .iter()
            .map(|(id, m)| (*id, m.role, m.read_seq, m.read_at))
            .collect();
        ensure_eq!(got, want, "members of room {}", self.model.rooms[r].id);
        for m in members {
            self.see_user(u, m.user_id)?;
        }
        Ok(())
    }

    pub fn compare_detail(&mut self, u: usize, detail: &RoomDetail, r: usize) -> R {
        self.compare_room(&detail.room, r)?;
        self.see_room_obj(u, &detail.room)?;
        self.compare_members(u, &detail.members, r)
    }

    pub fn compare_message(&self, msg: &Message, m: usize) -> R {
        let want = &self.model.msgs[m];
        let room = &self.model.rooms[want.room];
        ensure_eq!(msg.id, want.id, "message id");
        let id = want.id;
        ensure_eq!(msg.room_id, room.id, "message {id} room");
        ensure_eq!(
            msg.account_id,
            ACCOUNTS[room.account],
            "message {id} account"
        );
        ensure_eq!(msg.seq, want.seq, "message {id} seq");
        ensure_eq!(msg.sender_id, want.sender, "message {id} sender");
        ensure_eq!(msg.content, want.content, "message {id} content");
        ensure_eq!(msg.message_type, want.kind, "message {id} type");
        ensure_eq!(msg.mentions, want.mentions, "message {id} mentions");
        ensure_eq!(msg.client_id, want.client_id, "message {id} client_id");
        ensure_eq!(msg.created_at, want.created_at, "message {id} created_at");
        ensure_eq!(msg.edited_at, want.edited_at, "message {id} edited_at");
        ensure_eq!(
            msg.deleted_at.is_some(),
            want.deleted,
            "message {id} deleted"
        );
        Ok(())
    }

    /// A room's whole history, newest first.
    pub fn compare_messages(&mut self, u: usize, items: &[Message], r: usize) -> R {
        let want: Vec<usize> = self.model.rooms[r].msgs.iter().rev().copied().collect();
        let seqs = |v: &[Message]| v.iter().map(|m| m.seq).collect::<Vec<_>>();
        let want_seqs: Vec<i64> = want.iter().map(|&m| self.model.msgs[m].seq).collect();
        ensure_eq!(
            seqs(items),
            want_seqs,
            "message seqs of room {}",
            self.model.rooms[r].id
        );
        for (msg, m) in items.iter().zip(want) {
            self.compare_message(msg, m)?;
            self.see_message(u, msg)?;
        }
        Ok(())
    }

    /// Follows `next_cursor` to the end; every page but the last is full.
    pub async fn walk_messages(
        &self,
        actor: &Actor,
        room: RoomId,
        first: MessagePage,
        limit: u32,
    ) -> R<Vec<Message>> {
        let mut all = Vec::new();
        let mut page = first;
        for _ in 0..MAX_PAGES {
            let full = page.items.len() == limit as usize;
            all.extend(page.items);
            let Some(cursor) = page.next_cursor else {
                return Ok(all);
            };
            ensure!(full, "a page before the end holds `limit` messages");
            page = self
                .chat
                .list_messages(actor, room, Some(&cursor), Some(limit))
                .await
                .map_err(unexpected)?;
            ensure!(
                !page.items.is_empty(),
                "a message cursor led to an empty page"
            );
        }
        Err("message pages never end".to_owned())
    }

    /// `list_rooms`, walked with `limit`, against the model's rooms of the user in activity
    /// order with their counters.
    /// `None`: the default page size (50).
    pub async fn check_rooms(&mut self, u: usize, actor: &Actor, limit: Option<u32>) -> R {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for i in 0.. {
            ensure!(i < MAX_PAGES, "room pages never end");
            let page = self
                .chat
                .list_rooms(actor, cursor.as_deref(), limit)
                .await
                .map_err(unexpected)?;
            ensure!(
                cursor.is_none() || !page.items.is_empty(),
                "a room cursor led to an empty page"
            );
            let full = page.items.len() == limit.unwrap_or(50) as usize;
            all.extend(page.items);
            match page.next_cursor {
                Some(c) => {
                    ensure!(full, "a page before the end holds `limit` rooms");
                    cursor = Some(c);
                }
                None => break,
            }
        }
        let me = USERS[u].id;
        let want = self.model.rooms_of(u);
        let got_ids: Vec<RoomId> = all.iter().map(|s| s.room.id).collect();
        let want_ids: Vec<RoomId> = want.iter().map(|&r| self.model.rooms[r].id).collect();
        if got_ids != want_ids {
            // Name foreign or unknown ids first: that is the worse bug.
            for id in &got_ids {
                self.see_room(u, *id)?;
            }
            return Err(format!(
                "list_rooms of user {me}: store {got_ids:?} != model {want_ids:?}"
            ));
        }
        for (s, r) in all.iter().zip(want) {
            self.compare_room(&s.room, r)?;
            self.see_room_obj(u, &s.room)?;
            ensure_eq!(
                (s.unread_count, s.mention_count),
                self.model.counts(r, me),
                "(unread, mentions) of user {me} in room {} in list_rooms",
                s.room.id
            );
        }
        Ok(())
    }

    /// `unread` against the model: every live member room, total the sum.
    pub async fn check_unread(&mut self, u: usize, actor: &Actor) -> R {
        let me = USERS[u].id;
        let got = self.chat.unread(actor).await.map_err(unexpected)?;
        for r in &got.rooms {
            self.see_room(u, r.room_id)?;
        }
        let got_map: BTreeMap<RoomId, (i64, i64)> = got
            .rooms
            .iter()
            .map(|r| (r.room_id, (r.unread_count, r.mention_count)))
            .collect();
        ensure_eq!(
            got_map.len(),
            got.rooms.len(),
            "rooms listed once in unread"
        );
        let want: BTreeMap<RoomId, (i64, i64)> = self
            .model
            .rooms_of(u)
            .into_iter()
            .map(|r| (self.model.rooms[r].id, self.model.counts(r, me)))
            .collect();
        ensure_eq!(got_map, want, "unread of user {me}");
        let sum: i64 = want.values().map(|c| c.0).sum();
        ensure_eq!(got.total, sum, "unread total of user {me}");
        Ok(())
    }

    /// The whole audit log of an account (read by its admin) against the model's record of
    /// audited actions, newest first.
    pub async fn check_audit(&mut self, acc: usize) -> R {
        let admin = USERS
            .iter()
            .position(|s| s.account == acc && s.role == crate::AccountRole::Admin)
            .ok_or("no admin")?;
        let actor = self.actors[admin].clone();
        let filter = AuditFilter::default();
        let first = self
            .chat
            .list_audit(&actor, &filter, None, Some(7))
            .await
            .map_err(unexpected)?;
        self.check_audit_pages(admin, &actor, &filter, first, 7)
            .await
    }

    /// An audit listing, walked from its first page, against the model's entries of the
    /// reader's account that match the filter.
    pub async fn check_audit_pages(
        &mut self,
        u: usize,
        actor: &Actor,
        filter: &AuditFilter,
        first: Page<AuditEntry>,
        limit: u32,
    ) -> R {
        let acc = USERS[u].account;
        let mut all = Vec::new();
        let mut page = first;
        for i in 0.. {
            ensure!(i < MAX_PAGES, "audit pages never end");
            let full = page.items.len() == limit as usize;
            all.extend(page.items);
            let Some(cursor) = page.next_cursor else {
                break;
            };
            ensure!(full, "an audit page before the end holds `limit` entries");
            page = self
                .chat
                .list_audit(actor, filter, Some(&cursor), Some(limit))
                .await
                .map_err(unexpected)?;
            ensure!(
                !page.items.is_empty(),
                "an audit cursor led to an empty page"
            );
        }
        for e in &all {
            self.see_audit(u, e)?;
        }
        for pair in all.windows(2) {
            ensure!(
                (pair[0].created_at, pair[0].id) > (pair[1].created_at, pair[1].id),
                "audit not newest first: {:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut got: Vec<(AuditAction, Option<UserId>, String)> = all
            .iter()
            .map(|e| (e.action, e.actor_id, e.target_id.clone()))
            .collect();
        let mut want: Vec<_> = self.model.accounts[acc]
            .audit
            .iter()
            .filter(|(action, actor, target)| {
                filter.action.is_none_or(|a| a == *action)
                    && filter.actor_id.is_none_or(|a| Some(a) == *actor)
                    && filter.target_id.as_ref().is_none_or(|t| t == target)
            })
            .cloned()
            .collect();
        got.sort();
        want.sort();
        ensure_eq!(
            got,
            want,
            "audit entries of account {} with {filter:?}",
            ACCOUNTS[acc]
        );
        Ok(())
    }

    /// Everything every user can see, against the model: room lists with counters, unread,
    /// every member room's messages, and (through the account's admin) every live room's
    /// members.
    pub async fn check_all(&mut self) -> R {
        for u in 0..USERS.len() {
            let actor = self.actors[u].clone();
            self.check_rooms(u, &actor, Some(100)).await?;
            self.check_unread(u, &actor).await?;
            for r in self.model.rooms_of(u) {
                let id = self.model.rooms[r].id;
                let page = self
                    .chat
                    .list_messages(&actor, id, None, Some(100))
                    .await
                    .map_err(unexpected)?;
                ensure!(page.next_cursor.is_none(), "fewer than 100 messages");
                self.compare_messages(u, &page.items, r)?;
            }
        }
        for r in 0..self.model.rooms.len() {
            let room = &self.model.rooms[r];
            let admin = USERS
                .iter()
                .position(|s| s.account == room.account && s.role == crate::AccountRole::Admin)
                .ok_or("no admin")?;
            let got = self
                .chat
                .get_room(&self.actors[admin].clone(), room.id)
                .await;
            if room.archived {
                ensure!(
                    matches!(got, Err(crate::ChatError::NotFound)),
                    "archived room {} is gone, got {got:?}",
                    room.id
                );
            } else {
                let detail = got.map_err(unexpected)?;
                // The admin's read is audited when they are not a member.
                self.model.apply_view(admin, r);
                self.compare_detail(admin, &detail, r)?;
            }
        }
        Ok(())
    }
}
