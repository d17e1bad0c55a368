//! Applying a write's op: its SQL on rooms, members, messages, the directory, entitlements
//! and notifications (the room and the facts it relies on are locked: `super::locks`).

use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::model::{Message, RoomRole};
use chat_core::store::{Applied, Op};

use super::pointers::mark_read;
use crate::error::{internal, Result};
use crate::rows;
use crate::tx::{exec, get, opt, Conn};

/// Applies `op` to `account`'s rows inside the open transaction `c`.
pub(super) async fn op(c: &Conn, account: AccountId, op: &Op) -> Result<Applied> {
    let a = account.0;
    match op {
        Op::CreateRoom {
            room,
            dm_pair,
            members,
        } => {
            exec(
                c,
                "INSERT INTO internal_chat_rooms (account_id, id, type, name, created_by, created_at, updated_at, dm_key, last_seq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
                &[&a, &room.id.0, &room.kind.as_str(), &room.name, &room.created_by.0, &room.created_at.0, &room.updated_at.0, &dm_pair.map(rows::dm_key)],
            )
            .await?;
            add_members(c, a, room.id, members, room.created_at).await?;
            Ok(Applied::Room(room.clone()))
        }
        Op::RenameRoom { room, name, at } => {
            exec(
                c,
                "UPDATE internal_chat_rooms SET name = $1, updated_at = $2 WHERE account_id = $4 AND id = $3",
                &[name, &at.0, &room.0, &a],
            )
            .await?;
            Ok(Applied::Done)
        }
        Op::ArchiveRoom { room, at } => {
            exec(
                c,
                "UPDATE internal_chat_rooms SET archived_at = $1 WHERE account_id = $3 AND id = $2",
                &[&at.0, &room.0, &a],
            )
            .await?;
            crate::event_log::forget_room(c, account, *room).await?;
            Ok(Applied::Done)
        }
        Op::AddMembers { room, members, at } => {
            add_members(c, a, *room, members, *at).await?;
            Ok(Applied::Done)
        }
        Op::RemoveMember { room, user } => {
            exec(
                c,
                "DELETE FROM internal_chat_members WHERE account_id = $3 AND room_id = $1 AND user_id = $2",
                &[&room.0, &user.0, &a],
            )
            .await?;
            Ok(Applied::Done)
        }
        Op::SendMessage(m) => send(c, a, m).await.map(Applied::Message),
        Op::EditMessage {
            message,
            content,
            at,
        } => {
            exec(
                c,
                "UPDATE internal_chat_messages SET content = $1, edited_at = $2 WHERE account_id = $4 AND id = $3",
                &[content, &at.0, &message.0, &a],
            )
            .await?;
            Ok(Applied::Done)
        }
        Op::DeleteMessage { message, at } => {
            delete(c, a, *message, *at).await?;
            Ok(Applied::Done)
        }
        Op::MarkRead {
            room,
            user,
            up_to,
            at,
        } => mark_read(c, a, *room, *user, *up_to, *at)
            .await
            .map(Applied::Read),
        Op::SeenUser {
            user,
            name,
            role,
            at,
        } => {
            exec(
                c,
                "INSERT INTO internal_chat_directory AS d (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES ($1, $2, $3, $4, true, $5) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = COALESCE(excluded.name, d.name), role = excluded.role, last_seen_at = excluded.last_seen_at",
                &[&a, &user.0, name, &role.as_str(), &at.0],
            )
            .await?;
            crate::directory::reindex(c, account, *user).await?;
            Ok(Applied::Done)
        }
        Op::ProvisionUser(e) => {
            exec(
                c,
                "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = excluded.name, role = excluded.role, active = excluded.active",
                &[&a, &e.user_id.0, &e.name, &e.role.as_str(), &e.active, &e.last_seen_at.0],
            )
            .await?;
            crate::directory::reindex(c, account, e.user_id).await?;
            Ok(Applied::Done)
        }
        Op::SetEntitlements(e) => {
            exec(
                c,
                "INSERT INTO internal_chat_entitlements (account_id, chat_enabled, max_rooms, max_members_per_room) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id) DO UPDATE SET chat_enabled = excluded.chat_enabled, \
                   max_rooms = excluded.max_rooms, max_members_per_room = excluded.max_members_per_room",
                &[&a, &e.chat_enabled, &e.max_rooms.map(i64::from), &e.max_members_per_room.map(i64::from)],
            )
            .await?;
            Ok(Applied::Done)
        }
        Op::RecordOnly => Ok(Applied::Done),
        Op::ReadNotifications { user, ids, at } => {
            let n = match ids {
                None => {
                    exec(
                        c,
                        "UPDATE internal_chat_notifications SET read_at = $1 \
                         WHERE account_id = $2 AND user_id = $3 AND read_at IS NULL",
                        &[&at.0, &a, &user.0],
                    )
                    .await?
                }
                Some(ids) => {
                    let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
                    exec(
                        c,
                        "UPDATE internal_chat_notifications SET read_at = $1 \
                         WHERE account_id = $2 AND user_id = $3 AND id = ANY($4) AND read_at IS NULL",
                        &[&at.0, &a, &user.0, &ids],
                    )
                    .await?
                }
            };
            Ok(Applied::Count(n))
        }
        other => Err(internal(format!(
            "postgres backend does not know {other:?}"
        ))),
    }
}

async fn add_members(
    c: &Conn,
    a: i64,
    room: RoomId,
    members: &[(UserId, RoomRole)],
    at: Timestamp,
) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let users: Vec<i64> = members.iter().map(|(u, _)| u.0).collect();
    let roles: Vec<&str> = members.iter().map(|(_, r)| r.as_str()).collect();
    exec(
        c,
        "INSERT INTO internal_chat_members (account_id, room_id, user_id, role, last_read_seq, joined_at) \
         SELECT $1, $2, u.user_id, u.role, r.last_seq, $3 \
         FROM internal_chat_rooms r, unnest($4::bigint[], $5::text[]) AS u(user_id, role) \
         WHERE r.account_id = $1 AND r.id = $2",
        &[&a, &room.0, &at.0, &users, &roles],
    )
    .await?;
    Ok(())
}

async fn send(c: &Conn, a: i64, m: &Message) -> Result<Message> {
    let seq: i64 = get(
        &opt(
            c,
            "UPDATE internal_chat_rooms SET last_seq = last_seq + 1, last_message_at = $1 \
             WHERE account_id = $3 AND id = $2 RETURNING last_seq",
            &[&m.created_at.0, &m.room_id.0, &a],
        )
        .await?
        .ok_or_else(|| internal("send: no such room"))?,
        0,
    )?;
    let mentions: Vec<i64> = m.mentions.iter().map(|u| u.0).collect();
    exec(
        c,
        "INSERT INTO internal_chat_messages (account_id, id, room_id, sender_id, content, message_type, mentions, client_id, seq, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[&a, &m.id.0, &m.room_id.0, &m.sender_id.0, &m.content, &m.message_type.as_str(), &mentions, &m.client_id, &seq, &m.created_at.0],
    )
    .await?;
    let mut others: Vec<i64> = mentions
        .iter()
        .copied()
        .filter(|u| *u != m.sender_id.0)
        .collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        exec(
            c,
            "INSERT INTO internal_chat_mentions (account_id, room_id, user_id, seq) \
             SELECT $1, $2, u, $3 FROM unnest($4::bigint[]) AS u",
            &[&a, &m.room_id.0, &seq, &others],
        )
        .await?;
        exec(
            c,
            "UPDATE internal_chat_members SET mention_count = mention_count + 1 \
             WHERE account_id = $1 AND room_id = $2 AND user_id = ANY($3)",
            &[&a, &m.room_id.0, &others],
        )
        .await?;
    }
    // Nobody else's row is written: their unread count follows from the room's `last_seq`.
    // The sender has read the whole room: their message is its newest.
    exec(
        c,
        "UPDATE internal_chat_members SET last_read_seq = $1, last_read_at = $2, skipped_count = 0, mention_count = 0 \
         WHERE account_id = $5 AND room_id = $3 AND user_id = $4",
        &[&seq, &m.created_at.0, &m.room_id.0, &m.sender_id.0, &a],
    )
    .await?;
    Ok(Message { seq, ..m.clone() })
}

async fn delete(c: &Conn, a: i64, id: MessageId, at: Timestamp) -> Result<()> {
    let row = opt(
        c,
        "UPDATE internal_chat_messages SET deleted_at = $1, content = NULL \
         WHERE account_id = $3 AND id = $2 AND deleted_at IS NULL RETURNING room_id, sender_id, seq",
        &[&at.0, &id.0, &a],
    )
    .await?
    .ok_or_else(|| internal("delete: no such live message"))?;
    let (room, sender, seq): (uuid::Uuid, i64, i64) = (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
    // Others who had not read it yet: one more message after their pointer that does not
    // count (the sender's own was never counted).
    exec(
        c,
        "UPDATE internal_chat_members SET skipped_count = skipped_count + 1 \
         WHERE account_id = $1 AND room_id = $2 AND user_id <> $3 AND last_read_seq < $4",
        &[&a, &room, &sender, &seq],
    )
    .await?;
    exec(
        c,
        "UPDATE internal_chat_members SET mention_count = mention_count - 1 \
         WHERE account_id = $1 AND room_id = $2 AND user_id <> $3 AND last_read_seq < $4 \
           AND user_id IN (SELECT user_id FROM internal_chat_mentions WHERE account_id = $1 AND room_id = $2 AND seq = $4)",
        &[&a, &room, &sender, &seq],
    )
    .await?;
    Ok(())
}
