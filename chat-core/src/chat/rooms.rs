//! Rooms and DMs: create, read, list, rename, archive.

use serde_json::json;

use super::{audit, decide_room, retrying, same_membership, Actor, Chat};
use crate::cursor::Pager;
use crate::error::{ChatError, FieldError, Result};
use crate::events::{EventDraft, EventType, Payload};
use crate::ids::{RoomId, Timestamp, UserId};
use crate::model::{AuditAction, Member, Page, Room, RoomDetail, RoomRole, RoomSummary, RoomType};
use crate::policy::{decide, Action, Subject};
use crate::store::{DecideRoom, Op, Precondition, RoomAccess, RoomPosition, RoomScope, Write};
use crate::validate;

/// Input of [`Chat::create_room`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoom {
    /// `room` or `dm`.
    pub kind: RoomType,
    /// Required for rooms, absent for DMs.
    pub name: Option<String>,
    /// Rooms: initial members besides the creator. DMs: the other user (the caller may be
    /// listed too).
    pub member_ids: Vec<UserId>,
}

impl Chat {
    /// Creates a team room (the caller becomes owner, `member_ids` join as members) or finds or
    /// creates the DM between the caller and the one other user. Returns the room and whether
    /// it was created now (`false`: an existing DM).
    pub async fn create_room(&self, actor: &Actor, input: NewRoom) -> Result<(Room, bool)> {
        let ids = validate::user_ids("member_ids", &input.member_ids)?;
        match input.kind {
            RoomType::Room => {
                let name = match input.name.as_deref() {
                    Some(n) => validate::room_name(n)?,
                    None => return Err(ChatError::invalid("name", "required for rooms")),
                };
                decide(Action::CreateRoom, &Subject::account(actor.role)).into_result()?;
                let others: Vec<UserId> = ids.into_iter().filter(|u| *u != actor.user).collect();
                retrying(|| self.create_team_room(actor, &name, &others)).await
            }
            RoomType::Dm => {
                if input.name.is_some() {
                    return Err(ChatError::invalid("name", "DMs have no name"));
                }
                decide(Action::CreateDm, &Subject::account(actor.role)).into_result()?;
                let others: Vec<UserId> = ids.into_iter().filter(|u| *u != actor.user).collect();
                let [other] = others[..] else {
                    return Err(ChatError::invalid(
                        "member_ids",
                        "a DM needs exactly one other user",
                    ));
                };
                retrying(|| self.find_or_create_dm(actor, other)).await
            }
        }
    }

    async fn create_team_room(
        &self,
        actor: &Actor,
        name: &str,
        others: &[UserId],
    ) -> Result<(Room, bool)> {
        self.require_active("member_ids", actor, others).await?;
        let limits = self.store.entitlements(actor.account).await?;
        if let Some(max) = limits.max_members_per_room {
            if others.len() + 1 > max as usize {
                return Err(ChatError::EntitlementDenied("max_members_per_room"));
            }
        }
        let now = Timestamp::now();
        let room = Room {
            id: RoomId::new(),
            account_id: actor.account,
            kind: RoomType::Room,
            name: Some(name.to_owned()),
            created_by: actor.user,
            created_at: now,
            updated_at: now,
            last_message_at: None,
            last_seq: 0,
        };
        let mut members = vec![(actor.user, RoomRole::Owner)];
        members.extend(others.iter().map(|u| (*u, RoomRole::Member)));
        let mut write = Write::new(
            actor.account,
            Op::CreateRoom {
                room: room.clone(),
                dm_pair: None,
                members: members.clone(),
            },
        )
        .expect(Precondition::UsersActive(others.to_vec()));
        if let Some(max) = limits.max_rooms {
            if self.store.live_team_rooms(actor.account).await? >= u64::from(max) {
                return Err(ChatError::EntitlementDenied("max_rooms"));
            }
            write = write.expect(Precondition::LiveTeamRoomsBelow(max));
        }
        write = write
            .audit(room_created(actor, &room, &members, now))
            .event(room_created_event(&room, &members));
        for (user, role) in &members[1..] {
            write = write.audit(member_added(actor, &room, *user, *role, now));
        }
        self.commit(write).await?;
        Ok((room, true))
    }

    async fn find_or_create_dm(&self, actor: &Actor, other: UserId) -> Result<(Room, bool)> {
        let pair = (actor.user.min(other), actor.user.max(other));
        if let Some(id) = self.store.find_dm(actor.account, pair).await? {
            let access = self.access(actor, id).await?;
            return Ok((access.room, false));
        }
        self.require_active("member_ids", actor, &[other]).await?;
        let now = Timestamp::now();
        let room = Room {
            id: RoomId::new(),
            account_id: actor.account,
            kind: RoomType::Dm,
            name: None,
            created_by: actor.user,
            created_at: now,
            updated_at: now,
            last_message_at: None,
            last_seq: 0,
        };
        let members = vec![(actor.user, RoomRole::Member), (other, RoomRole::Member)];
        let write = Write::new(
            actor.account,
            Op::CreateRoom {
                room: room.clone(),
                dm_pair: Some(pair),
                members: members.clone(),
            },
        )
        .expect(Precondition::NoLiveDm(pair.0, pair.1))
        .expect(Precondition::UsersActive(vec![other]))
        .audit(room_created(actor, &room, &members, now))
        .event(room_created_event(&room, &members));
        self.commit(write).await?;
        Ok((room, true))
    }

    /// `Validation` naming each listed user that is unknown or inactive in the account.
    pub(super) async fn require_active(
        &self,
        field: &str,
        actor: &Actor,
        users: &[UserId],
    ) -> Result<()> {
        if users.is_empty() {
            return Ok(());
        }
        let known = self.store.directory(actor.account, users).await?;
        let errors: Vec<FieldError> = users
            .iter()
            .enumerate()
            .filter(|(_, u)| !known.iter().any(|e| e.user_id == **u && e.active))
            .map(|(i, _)| FieldError::new(format!("{field}[{i}]"), "unknown or inactive user"))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ChatError::Validation(errors))
        }
    }

    /// A room with its members: for members, and for the account's admins and supervisors.
    ///
    /// A manager who is not a member reads it under the contract's manager exception, which
    /// is audited (`room.viewed`): the detail is returned only once its audit entry is
    /// written.
    pub async fn get_room(&self, actor: &Actor, room: RoomId) -> Result<RoomDetail> {
        // The access read, the decision and the detail in one trip to the store; the
        // decision reports whether it granted the manager exception.
        let who = actor.clone();
        let as_manager = std::sync::Arc::new(std::sync::OnceLock::<RoomAccess>::new());
        let granted = std::sync::Arc::clone(&as_manager);
        let decide: DecideRoom = Box::new(move |access| {
            // Only the room asked for, in the caller's account, may grant a scope for it.
            let access = access
                .filter(|a| a.room.id == room && a.room.account_id == who.account)
                .ok_or(ChatError::NotFound)?;
            decide_room(&who, &access, |s| s, Action::ViewRoom)?;
            if access.membership.is_none() {
                let _ = granted.set(access);
            }
            Ok(RoomScope::new(who.account, room))
        });
        let detail = self
            .store
            .room_detail_decided(actor.account, room, actor.user, decide)
            .await?
            .ok_or(ChatError::NotFound)?;
        if let Some(access) = as_manager.get() {
            let now = Timestamp::now();
            let meta = json!({ "type": access.room.kind.as_str(), "name": access.room.name });
            let write = Write::new(actor.account, Op::RecordOnly)
                .expect(Precondition::RoomLive(room))
                .audit(audit(
                    actor,
                    AuditAction::RoomViewed,
                    room.to_string(),
                    Some(access),
                    meta,
                    now,
                ));
            // The only precondition is the room being live: archived meanwhile, it is gone.
            match self.commit(write).await {
                Err(ChatError::Conflict(_)) => return Err(ChatError::NotFound),
                other => other?,
            };
        }
        Ok(detail)
    }

    /// The caller's live rooms, most recent activity first, with unread counts.
    ///
    /// The cursor is a position in activity order, so a room that gets a new message while
    /// the caller pages moves to the front: it may be seen again on a fresh first page but is
    /// never duplicated within the pages already walked.
    pub async fn list_rooms(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<RoomSummary>> {
        let limit = validate::limit(limit)?;
        let pager = Pager::new("rooms", actor.scope_key(), limit);
        let after = pager.after(cursor)?;
        let items = self
            .store
            .list_rooms(&actor.own(), after, pager.fetch())
            .await?;
        Ok(pager.page(items, |r| RoomPosition {
            activity_at: r.room.last_message_at.unwrap_or(r.room.created_at),
            room: r.room.id,
        }))
    }

    /// Renames a team room (owners, moderators, admins, supervisors).
    pub async fn rename_room(&self, actor: &Actor, room: RoomId, name: &str) -> Result<Room> {
        let name = validate::room_name(name)?;
        retrying(|| async {
            let access = self.access(actor, room).await?;
            decide_room(actor, &access, |s| s, Action::RenameRoom)?;
            let now = Timestamp::now();
            let meta = json!({ "old_name": access.room.name, "name": name });
            let write = Write::new(
                actor.account,
                Op::RenameRoom {
                    room,
                    name: name.clone(),
                    at: now,
                },
            )
            .expect(Precondition::RoomLive(room))
            .expect(same_membership(actor, &access))
            .audit(audit(
                actor,
                AuditAction::RoomUpdated,
                room.to_string(),
                Some(&access),
                meta,
                now,
            ));
            let mut updated = access.room.clone();
            updated.name = Some(name.clone());
            updated.updated_at = now;
            let event =
                EventDraft::room(EventType::RoomUpdated, room, Payload::Json(json!(updated)));
            self.commit(write.event(event)).await?;
            Ok(updated)
        })
        .await
    }

    /// Archives a room or DM (admins, supervisors): it disappears from every read and takes no
    /// more writes. A DM pair may start a new DM afterwards.
    pub async fn archive_room(&self, actor: &Actor, room: RoomId) -> Result<()> {
        retrying(|| async {
            let access = self.access(actor, room).await?;
            decide_room(actor, &access, |s| s, Action::ArchiveRoom)?;
            let now = Timestamp::now();
            let meta = json!({ "type": access.room.kind.as_str(), "name": access.room.name });
            let write = Write::new(actor.account, Op::ArchiveRoom { room, at: now })
                .expect(Precondition::RoomLive(room))
                .expect(same_membership(actor, &access))
                .audit(audit(
                    actor,
                    AuditAction::RoomDeleted,
                    room.to_string(),
                    Some(&access),
                    meta,
                    now,
                ))
                .event(EventDraft::room(
                    EventType::RoomDeleted,
                    room,
                    Payload::Json(json!({ "id": room })),
                ));
            self.commit(write).await.map(|_| ())
        })
        .await
    }
}

/// `room.created` for the new room's members, carrying the room with its members.
fn room_created_event(room: &Room, members: &[(UserId, RoomRole)]) -> EventDraft {
    let detail = RoomDetail {
        room: room.clone(),
        members: members
            .iter()
            .map(|(user, role)| new_member(*user, *role, 0, room.created_at))
            .collect(),
    };
    EventDraft::room(
        EventType::RoomCreated,
        room.id,
        Payload::Json(json!(detail)),
    )
}

/// A member as it starts: nothing unread, pointer at the room's current `seq`.
pub(super) fn new_member(user: UserId, role: RoomRole, seq: i64, at: Timestamp) -> Member {
    Member {
        user_id: user,
        role,
        last_read_at: None,
        last_read_seq: seq,
        joined_at: at,
    }
}

fn room_created(
    actor: &Actor,
    room: &Room,
    members: &[(UserId, RoomRole)],
    at: Timestamp,
) -> crate::model::AuditEntry {
    let ids: Vec<i64> = members.iter().map(|(u, _)| u.0).collect();
    let meta = json!({ "type": room.kind.as_str(), "name": room.name, "member_ids": ids });
    audit(
        actor,
        AuditAction::RoomCreated,
        room.id.to_string(),
        None,
        meta,
        at,
    )
}

pub(super) fn member_added(
    actor: &Actor,
    room: &Room,
    user: UserId,
    role: RoomRole,
    at: Timestamp,
) -> crate::model::AuditEntry {
    let meta = json!({ "room_id": room.id.to_string(), "role": role.as_str() });
    audit(
        actor,
        AuditAction::MemberAdded,
        user.to_string(),
        None,
        meta,
        at,
    )
}
