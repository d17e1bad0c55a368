//! Messages: send (idempotent), edit, soft delete. Reading them is `history`.

use serde_json::json;

use super::notifications::notifications_for;
use super::{audit, decide_room, retrying, same_membership, Actor, Chat};
use crate::error::{ChatError, FieldError, Result};
use crate::events::{EventDraft, EventType, Payload};
use crate::ids::{MessageId, RoomId, Timestamp, UserId};
use crate::model::{AuditAction, Message, MessageType, RoomType};
use crate::policy::Action;
use crate::store::{Applied, MemberScope, MessageAccess, Op, Precondition, RoomScope, Write};
use crate::validate;

/// Input of [`Chat::send_message`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMessage {
    /// Text, 1–4000 characters after trimming.
    pub content: String,
    /// `text` or `mention` (default: `mention` when `mentions` is not empty, else `text`).
    pub message_type: Option<MessageType>,
    /// Members of the room to notify.
    pub mentions: Vec<UserId>,
    /// Idempotency key: the same key from the same sender in the same room returns the
    /// original message instead of storing a new one.
    pub client_id: Option<String>,
}

/// A validated [`NewMessage`].
struct Outgoing {
    content: String,
    mentions: Vec<UserId>,
    client_id: Option<String>,
    message_type: MessageType,
}

impl Chat {
    /// Sends a message as a member. Returns the stored message and whether it was stored now
    /// (`false`: an earlier send with the same `client_id`).
    pub async fn send_message(
        &self,
        actor: &Actor,
        room: RoomId,
        input: NewMessage,
    ) -> Result<(Message, bool)> {
        let content = validate::content(&input.content)?;
        let mentions = validate::user_ids("mentions", &input.mentions)?;
        let client_id = input
            .client_id
            .as_deref()
            .map(validate::client_id)
            .transpose()?;
        let message_type = match input.message_type {
            Some(MessageType::System) => {
                return Err(ChatError::invalid(
                    "message_type",
                    "clients may not send system messages",
                ))
            }
            Some(t) => t,
            None if mentions.is_empty() => MessageType::Text,
            None => MessageType::Mention,
        };
        let out = Outgoing {
            content,
            mentions,
            client_id,
            message_type,
        };
        let mut attempts = 0;
        retrying(|| {
            let attempt = attempts;
            attempts += 1;
            self.send_attempt(actor, room, attempt, &out)
        })
        .await
    }

    /// One decision and write of [`Chat::send_message`]; `attempt` > 0 after a `Conflict`.
    async fn send_attempt(
        &self,
        actor: &Actor,
        room: RoomId,
        attempt: usize,
        out: &Outgoing,
    ) -> Result<(Message, bool)> {
        let Outgoing {
            content,
            mentions,
            client_id,
            message_type,
        } = out;
        // Preconditions below re-check room and membership: a cached access may only ever
        // allow a send that reads nothing first, and a stale one ends in a Conflict and a
        // fresh read.
        let plain = client_id.is_none() && mentions.is_empty();
        let access = self
            .access_for_write(actor, room, plain && attempt == 0)
            .await?;
        decide_room(actor, &access, |s| s, Action::SendMessage)?;
        let scope = MemberScope::new(actor.account, room, actor.user);
        if let Some(key) = &client_id {
            if let Some(original) = self.store.message_by_client_id(&scope, key).await? {
                return Ok((original, false));
            }
        }
        let mut write_expect = vec![
            Precondition::RoomLive(room),
            same_membership(actor, &access),
        ];
        let dm = access.room.kind == RoomType::Dm;
        let mut members = Vec::new();
        if !mentions.is_empty() || dm {
            let detail = self
                .store
                .room_detail(&RoomScope::new(actor.account, room))
                .await?
                .ok_or(ChatError::NotFound)?;
            members = detail.members.iter().map(|m| m.user_id).collect();
            let mut errors = Vec::new();
            for (i, user) in mentions.iter().enumerate() {
                match detail.members.iter().find(|m| m.user_id == *user) {
                    Some(m) => write_expect.push(Precondition::Membership {
                        room,
                        user: *user,
                        role: Some(m.role),
                    }),
                    None => errors.push(FieldError::new(
                        format!("mentions[{i}]"),
                        "not a member of the room",
                    )),
                }
            }
            if !errors.is_empty() {
                return Err(ChatError::Validation(errors));
            }
            // Memberships outlive deactivation: a deactivated member cannot be mentioned.
            self.require_active("mentions", actor, mentions).await?;
            write_expect.push(Precondition::UsersActive(mentions.clone()));
        }
        if let Some(key) = &client_id {
            write_expect.push(Precondition::NoClientId {
                room,
                sender: actor.user,
                client_id: key.clone(),
            });
        }
        let message = Message {
            id: MessageId::new(),
            room_id: room,
            account_id: actor.account,
            sender_id: actor.user,
            content: Some(content.clone()),
            message_type: *message_type,
            mentions: mentions.clone(),
            client_id: client_id.clone(),
            seq: 0,
            created_at: Timestamp::now(),
            edited_at: None,
            deleted_at: None,
        };
        let dm_peers: &[UserId] = if dm { &members } else { &[] };
        let notifications = notifications_for(&message, dm_peers);
        let created =
            EventDraft::room(EventType::MessageCreated, room, Payload::Applied).about(message.id);
        let mut write = Write::new(actor.account, Op::SendMessage(message)).event(created);
        for n in notifications {
            write = write
                .event(EventDraft::user(
                    EventType::NotificationCreated,
                    Some(room),
                    n.user_id,
                    Payload::Json(json!(n)),
                ))
                .notify(n);
        }
        for p in write_expect {
            write = write.expect(p);
        }
        match self.commit(write).await?.applied {
            Applied::Message(m) => Ok((m, true)),
            other => Err(ChatError::internal(format!("send returned {other:?}"))),
        }
    }

    /// Loads a message of the actor's account and decides `action` on it (ownership = the
    /// actor sent it).
    async fn authorized_message(
        &self,
        actor: &Actor,
        message: MessageId,
        action: Action,
    ) -> Result<MessageAccess> {
        let found = self
            .store
            .message_access(actor.account, message, actor.user)
            .await?
            .ok_or(ChatError::NotFound)?;
        let own = found.message.sender_id == actor.user;
        decide_room(actor, &found.room, |s| s.own(own), action)?;
        Ok(found)
    }

    /// Replaces a message's content (the sender only, while still a member).
    pub async fn edit_message(
        &self,
        actor: &Actor,
        message: MessageId,
        content: &str,
    ) -> Result<Message> {
        let content = validate::content(content)?;
        retrying(|| async {
            let found = self
                .authorized_message(actor, message, Action::EditMessage)
                .await?;
            if found.message.deleted_at.is_some() {
                return Err(ChatError::NotFound);
            }
            let now = Timestamp::now();
            let write = Write::new(
                actor.account,
                Op::EditMessage {
                    message,
                    content: content.clone(),
                    at: now,
                },
            )
            .expect(Precondition::MessageLive(message))
            .expect(same_membership(actor, &found.room))
            .audit(audit(
                actor,
                AuditAction::MessageEdited,
                message.to_string(),
                Some(&found.room),
                json!({}),
                now,
            ));
            let mut edited = found.message;
            edited.content = Some(content.clone());
            edited.edited_at = Some(now);
            let room = edited.room_id;
            let event = EventDraft::room(
                EventType::MessageUpdated,
                room,
                Payload::Json(json!(edited)),
            )
            .about(message);
            self.commit(write.event(event)).await?;
            Ok(edited)
        })
        .await
    }

    /// Soft-deletes a message (the sender, room owners and moderators, admins, supervisors).
    /// Deleting a deleted message is a no-op.
    pub async fn delete_message(&self, actor: &Actor, message: MessageId) -> Result<()> {
        retrying(|| async {
            let found = self
                .authorized_message(actor, message, Action::DeleteMessage)
                .await?;
            if found.message.deleted_at.is_some() {
                return Ok(());
            }
            let now = Timestamp::now();
            let meta = json!({ "sender_id": found.message.sender_id.0 });
            let write = Write::new(actor.account, Op::DeleteMessage { message, at: now })
                .expect(Precondition::MessageLive(message))
                .expect(same_membership(actor, &found.room))
                .audit(audit(
                    actor,
                    AuditAction::MessageDeleted,
                    message.to_string(),
                    Some(&found.room),
                    meta,
                    now,
                ));
            let mut deleted = found.message;
            deleted.content = None;
            deleted.deleted_at = Some(now);
            let event = EventDraft::room(
                EventType::MessageDeleted,
                deleted.room_id,
                Payload::Json(json!(deleted)),
            )
            .about(message);
            self.commit(write.event(event)).await.map(|_| ())
        })
        .await
    }
}
