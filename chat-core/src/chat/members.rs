//! Room membership: add, remove, leave.

use serde_json::json;

use super::rooms::{member_added, new_member};
use super::{audit, decide_room, retrying, same_membership, Actor, Chat};
use crate::error::{ChatError, Result};
use crate::events::{AudienceRule, EventDraft, EventType, Payload};
use crate::ids::{RoomId, Timestamp, UserId};
use crate::model::{AuditAction, Member, Page, RoomRole};
use crate::policy::Action;
use crate::store::{Op, Precondition, RoomScope, Write};
use crate::validate;

impl Chat {
    /// Adds users (known and active in the account) with `role` (default `member`). Users who
    /// are already members are left as they are. Returns the room's full member list.
    pub async fn add_members(
        &self,
        actor: &Actor,
        room: RoomId,
        user_ids: &[UserId],
        role: Option<RoomRole>,
    ) -> Result<Page<Member>> {
        let ids = validate::user_ids("user_ids", user_ids)?;
        if ids.is_empty() {
            return Err(ChatError::invalid("user_ids", "must not be empty"));
        }
        let role = role.unwrap_or(RoomRole::Member);
        retrying(|| async {
            let access = self.access(actor, room).await?;
            decide_room(actor, &access, |s| s.target(role), Action::AddMembers)?;
            let scope = RoomScope::new(actor.account, room);
            let detail = self
                .store
                .room_detail(&scope)
                .await?
                .ok_or(ChatError::NotFound)?;
            let new: Vec<UserId> = ids
                .iter()
                .copied()
                .filter(|u| !detail.members.iter().any(|m| m.user_id == *u))
                .collect();
            if new.is_empty() {
                return Ok(Page {
                    items: detail.members,
                    next_cursor: None,
                });
            }
            self.require_active("user_ids", actor, &new).await?;
            let limits = self.store.entitlements(actor.account).await?;
            if let Some(max) = limits.max_members_per_room {
                if detail.members.len() + new.len() > max as usize {
                    return Err(ChatError::EntitlementDenied("max_members_per_room"));
                }
            }
            let now = Timestamp::now();
            let count = u32::try_from(detail.members.len()).unwrap_or(u32::MAX);
            let mut write = Write::new(
                actor.account,
                Op::AddMembers {
                    room,
                    members: new.iter().map(|u| (*u, role)).collect(),
                    at: now,
                },
            )
            .expect(Precondition::RoomLive(room))
            .expect(same_membership(actor, &access))
            .expect(Precondition::UsersActive(new.clone()))
            .expect(Precondition::MembersAtMost { room, max: count });
            for user in &new {
                write = write
                    .expect(Precondition::Membership {
                        room,
                        user: *user,
                        role: None,
                    })
                    .audit(member_added(actor, &access.room, *user, role, now))
                    .event(EventDraft::room(
                        EventType::MemberAdded,
                        room,
                        Payload::Json(json!({
                            "room_id": room,
                            "member": new_member(*user, role, access.room.last_seq, now),
                        })),
                    ));
            }
            self.commit(write).await?;
            let detail = self
                .store
                .room_detail(&scope)
                .await?
                .ok_or(ChatError::NotFound)?;
            Ok(Page {
                items: detail.members,
                next_cursor: None,
            })
        })
        .await
    }

    /// Removes a member; any member may remove themselves (leave). DMs are fixed.
    pub async fn remove_member(&self, actor: &Actor, room: RoomId, user: UserId) -> Result<()> {
        retrying(|| async {
            let access = self.access(actor, room).await?;
            let target = if user == actor.user {
                access.membership
            } else {
                self.store
                    .room_access(actor.account, room, user)
                    .await?
                    .and_then(|a| a.membership)
            };
            let own = user == actor.user;
            // Decide first: a caller who may not see the room learns nothing about its members.
            let target_role = target.unwrap_or(RoomRole::Member);
            decide_room(
                actor,
                &access,
                |s| s.own(own).target(target_role),
                Action::RemoveMember,
            )?;
            let Some(target) = target else {
                return Err(ChatError::NotFound);
            };
            let now = Timestamp::now();
            let meta = json!({ "role": target.as_str(), "left": own });
            let write = Write::new(actor.account, Op::RemoveMember { room, user })
                .expect(Precondition::RoomLive(room))
                .expect(same_membership(actor, &access))
                .expect(Precondition::Membership {
                    room,
                    user,
                    role: Some(target),
                })
                .audit(audit(
                    actor,
                    AuditAction::MemberRemoved,
                    user.to_string(),
                    Some(&access),
                    meta,
                    now,
                ))
                .event(EventDraft {
                    kind: EventType::MemberRemoved,
                    room_id: Some(room),
                    payload: Payload::Json(json!({ "room_id": room, "user_id": user })),
                    // The removed member learns of it, and of nothing after.
                    audience: AudienceRule::RoomMembers {
                        room,
                        plus: vec![user],
                    },
                    message_id: None,
                });
            self.commit(write).await?;
            self.forget_access(actor.account, room, user);
            Ok(())
        })
        .await
    }
}
