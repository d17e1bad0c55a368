//! Applying a write's op: its SQL on rooms, members, messages, the directory, entitlements
//! and notifications.

use crate::error::Result;
use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::model::{Message, RoomRole};
use chat_core::store::{Applied, Op};
use rusqlite::{params, Connection};

use super::pointers::mark_read;
use crate::error::internal;
use crate::rows;

/// Applies `op` to `account`'s rows inside the open transaction `tx`.
pub(super) fn op(tx: &Connection, account: AccountId, op: &Op) -> Result<Applied> {
    let a = account.0;
    match op {
        Op::CreateRoom {
            room,
            dm_pair,
            members,
        } => {
            run(
                tx,
                "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, dm_key, last_seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![room.id.0, a, room.kind.as_str(), room.name, room.created_by.0, room.created_at.0, room.updated_at.0, dm_pair.map(rows::dm_key)],
            )?;
            add_members(tx, a, room.id, members, room.created_at)?;
            Ok(Applied::Room(room.clone()))
        }
        Op::RenameRoom { room, name, at } => {
            run(
                tx,
                "UPDATE internal_chat_rooms SET name = ?1, updated_at = ?2 WHERE id = ?3 AND account_id = ?4",
                params![name, at.0, room.0, a],
            )?;
            Ok(Applied::Done)
        }
        Op::ArchiveRoom { room, at } => {
            run(
                tx,
                "UPDATE internal_chat_rooms SET archived_at = ?1 WHERE id = ?2 AND account_id = ?3",
                params![at.0, room.0, a],
            )?;
            crate::event_log::forget_room(tx, account, *room)?;
            Ok(Applied::Done)
        }
        Op::AddMembers { room, members, at } => {
            add_members(tx, a, *room, members, *at)?;
            Ok(Applied::Done)
        }
        Op::RemoveMember { room, user } => {
            run(
                tx,
                "DELETE FROM internal_chat_members WHERE room_id = ?1 AND user_id = ?2 AND account_id = ?3",
                params![room.0, user.0, a],
            )?;
            Ok(Applied::Done)
        }
        Op::SendMessage(m) => send(tx, a, m).map(Applied::Message),
        Op::EditMessage {
            message,
            content,
            at,
        } => {
            run(
                tx,
                "UPDATE internal_chat_messages SET content = ?1, edited_at = ?2 WHERE id = ?3 AND account_id = ?4",
                params![content, at.0, message.0, a],
            )?;
            Ok(Applied::Done)
        }
        Op::DeleteMessage { message, at } => {
            delete(tx, a, *message, *at)?;
            Ok(Applied::Done)
        }
        Op::MarkRead {
            room,
            user,
            up_to,
            at,
        } => mark_read(tx, a, *room, *user, *up_to, *at).map(Applied::Read),
        Op::SeenUser {
            user,
            name,
            role,
            at,
        } => {
            run(
                tx,
                "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = COALESCE(excluded.name, name), role = excluded.role, last_seen_at = excluded.last_seen_at",
                params![a, user.0, name, role.as_str(), at.0],
            )?;
            crate::directory::reindex(tx, account, *user).map_err(internal)?;
            Ok(Applied::Done)
        }
        Op::ProvisionUser(e) => {
            run(
                tx,
                "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = excluded.name, role = excluded.role, active = excluded.active",
                params![a, e.user_id.0, e.name, e.role.as_str(), e.active, e.last_seen_at.0],
            )?;
            crate::directory::reindex(tx, account, e.user_id).map_err(internal)?;
            Ok(Applied::Done)
        }
        Op::SetEntitlements(e) => {
            run(
                tx,
                "INSERT INTO internal_chat_entitlements (account_id, chat_enabled, max_rooms, max_members_per_room) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET chat_enabled = excluded.chat_enabled, \
                   max_rooms = excluded.max_rooms, max_members_per_room = excluded.max_members_per_room",
                params![a, e.chat_enabled, e.max_rooms, e.max_members_per_room],
            )?;
            Ok(Applied::Done)
        }
        Op::RecordOnly => Ok(Applied::Done),
        Op::ReadNotifications { user, ids, at } => {
            let n = match ids {
                None => run(
                    tx,
                    "UPDATE internal_chat_notifications SET read_at = ?1 \
                     WHERE account_id = ?2 AND user_id = ?3 AND read_at IS NULL",
                    params![at.0, a, user.0],
                )?,
                Some(ids) => {
                    let mut n = 0;
                    for id in ids {
                        n += run(
                            tx,
                            "UPDATE internal_chat_notifications SET read_at = ?1 \
                             WHERE id = ?2 AND account_id = ?3 AND user_id = ?4 AND read_at IS NULL",
                            params![at.0, id.0, a, user.0],
                        )?;
                    }
                    n
                }
            };
            Ok(Applied::Count(n as u64))
        }
        other => Err(crate::error::internal(format!(
            "sqlite backend does not know {other:?}"
        ))),
    }
}

/// Runs one statement inside `tx`; the number of rows it changed.
fn run(tx: &Connection, sql: &str, p: &[&dyn rusqlite::ToSql]) -> Result<usize> {
    tx.prepare_cached(sql)
        .and_then(|mut s| s.execute(p))
        .map_err(internal)
}

fn add_members(
    tx: &Connection,
    a: i64,
    room: RoomId,
    members: &[(UserId, RoomRole)],
    at: Timestamp,
) -> Result<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_seq, joined_at) \
             SELECT ?1, ?2, ?3, ?4, last_seq, ?5 FROM internal_chat_rooms WHERE id = ?1 AND account_id = ?3",
        )
        .map_err(internal)?;
    for (user, role) in members {
        stmt.execute(params![room.0, user.0, a, role.as_str(), at.0])
            .map_err(internal)?;
    }
    Ok(())
}

fn send(tx: &Connection, a: i64, m: &Message) -> Result<Message> {
    let seq: i64 = tx
        .prepare_cached(
            "UPDATE internal_chat_rooms SET last_seq = last_seq + 1, last_message_at = ?1 \
             WHERE id = ?2 AND account_id = ?3 RETURNING last_seq",
        )
        .and_then(|mut s| s.query_row(params![m.created_at.0, m.room_id.0, a], |r| r.get(0)))
        .map_err(internal)?;
    let mentions: Vec<i64> = m.mentions.iter().map(|u| u.0).collect();
    let mentions_json = serde_json::to_string(&mentions).map_err(internal)?;
    run(
        tx,
        "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![m.id.0, m.room_id.0, a, m.sender_id.0, m.content, m.message_type.as_str(), mentions_json, m.client_id, seq, m.created_at.0],
    )?;
    for user in m.mentions.iter().filter(|u| **u != m.sender_id) {
        run(
            tx,
            "INSERT INTO internal_chat_mentions (room_id, user_id, seq, account_id) VALUES (?1, ?2, ?3, ?4)",
            params![m.room_id.0, user.0, seq, a],
        )?;
        run(
            tx,
            "UPDATE internal_chat_members SET mention_count = mention_count + 1 WHERE room_id = ?1 AND user_id = ?2",
            params![m.room_id.0, user.0],
        )?;
    }
    // Nobody else's row is written: their unread count follows from the room's `last_seq`
    // (migration 006). The sender has read the whole room: their message is its newest.
    run(
        tx,
        "UPDATE internal_chat_members SET last_read_seq = ?1, last_read_at = ?2, skipped_count = 0, mention_count = 0 \
         WHERE room_id = ?3 AND user_id = ?4 AND account_id = ?5",
        params![seq, m.created_at.0, m.room_id.0, m.sender_id.0, a],
    )?;
    Ok(Message { seq, ..m.clone() })
}

fn delete(tx: &Connection, a: i64, id: MessageId, at: Timestamp) -> Result<()> {
    let (room, sender, seq): (uuid::Uuid, i64, i64) = tx
        .prepare_cached(
            "UPDATE internal_chat_messages SET deleted_at = ?1, content = NULL \
             WHERE id = ?2 AND account_id = ?3 AND deleted_at IS NULL RETURNING room_id, sender_id, seq",
        )
        .and_then(|mut s| s.query_row(params![at.0, id.0, a], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .map_err(internal)?;
    // Others who had not read it yet: one more message after their pointer that does not
    // count (the sender's own was never counted).
    run(
        tx,
        "UPDATE internal_chat_members SET skipped_count = skipped_count + 1 \
         WHERE room_id = ?1 AND user_id != ?2 AND last_read_seq < ?3",
        params![room, sender, seq],
    )?;
    run(
        tx,
        "UPDATE internal_chat_members SET mention_count = mention_count - 1 \
         WHERE room_id = ?1 AND user_id != ?2 AND last_read_seq < ?3 \
           AND user_id IN (SELECT user_id FROM internal_chat_mentions WHERE room_id = ?1 AND seq = ?3)",
        params![room, sender, seq],
    )?;
    Ok(())
}
