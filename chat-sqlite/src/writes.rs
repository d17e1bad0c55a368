//! The one write path: preconditions, the op, the audit, notification and event rows of each
//! write, in `BEGIN IMMEDIATE` transactions on the writer connection — one per write, or one
//! per batch of concurrent writes (group commit), each write inside its own savepoint so a
//! failed write rolls back alone.

use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::model::{Message, ReadState, RoomRole};
use chat_core::store::{Applied, Committed, Op, Precondition, Write};
use chat_core::{ChatError, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::db::{internal, Retention};
use crate::events::Heads;
use crate::rows;

/// Applies a batch of writes in one transaction; each write succeeds or fails on its own,
/// and none is reported successful unless the transaction commits.
///
/// A batch first runs without savepoints (two statements per write saved): a write refused by
/// its preconditions has written nothing and is simply answered, but one that fails after it
/// began writing leaves changes only a rollback can undo, so the whole transaction is rolled
/// back and the batch is redone with each write in its own savepoint.
pub(crate) fn apply_batch(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
) -> Vec<Result<Committed>> {
    if writes.len() > 1 {
        if let Some(results) = without_savepoints(conn, writes, retention) {
            return results;
        }
    }
    with_savepoints(conn, writes, retention)
}

fn all_failed(writes: &[&Write], e: &rusqlite::Error) -> Vec<Result<Committed>> {
    writes.iter().map(|_| Err(internal(e))).collect()
}

/// Commits if any write succeeded (otherwise the transaction rolls back as it is dropped).
fn finish(
    tx: rusqlite::Transaction<'_>,
    writes: &[&Write],
    results: Vec<Result<Committed>>,
) -> Vec<Result<Committed>> {
    if results.iter().any(Result::is_ok) {
        if let Err(e) = tx.commit() {
            return all_failed(writes, &e);
        }
    }
    results
}

/// The fast path of [`apply_batch`]; `None` when a write failed midway (rolled back).
fn without_savepoints(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
) -> Option<Vec<Result<Committed>>> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Some(all_failed(writes, &e)),
    };
    let mut heads = Heads::new();
    let mut results = Vec::with_capacity(writes.len());
    for w in writes {
        if let Err(e) = check(&tx, w) {
            results.push(Err(e));
            continue;
        }
        match perform(&tx, w, retention, &mut heads) {
            Ok(c) => results.push(Ok(c)),
            Err(_) => return None,
        }
    }
    Some(finish(tx, writes, results))
}

/// Each write in its own savepoint, so a failed one rolls back alone (a lone write needs
/// none: its failure rolls the transaction itself back).
fn with_savepoints(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
) -> Vec<Result<Committed>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return all_failed(writes, &e),
    };
    let mut heads = Heads::new();
    let mut results = Vec::with_capacity(writes.len());
    if let [only] = writes {
        results.push(apply_one(&tx, only, retention, &mut heads));
    } else {
        for w in writes {
            let before = heads.clone();
            let result = tx.savepoint().map_err(internal).and_then(|sp| {
                let r = apply_one(&sp, w, retention, &mut heads)?;
                sp.commit().map_err(internal)?;
                Ok(r)
            });
            if result.is_err() {
                // Its events were rolled back with it.
                heads = before;
            }
            results.push(result);
        }
    }
    finish(tx, writes, results)
}

/// Applies one write inside the open transaction `tx`.
fn apply_one(
    tx: &Connection,
    write: &Write,
    retention: &Retention,
    heads: &mut Heads,
) -> Result<Committed> {
    check(tx, write)?;
    perform(tx, write, retention, heads)
}

/// The write's preconditions (reads only: a refusal has written nothing).
fn check(tx: &Connection, write: &Write) -> Result<()> {
    let account = write.account();
    for p in write.preconditions() {
        if !holds(tx, account, p).map_err(internal)? {
            return Err(ChatError::Conflict(format!("precondition failed: {p:?}")));
        }
    }
    Ok(())
}

/// The write's op, audit entries, notifications and events.
fn perform(
    tx: &Connection,
    write: &Write,
    retention: &Retention,
    heads: &mut Heads,
) -> Result<Committed> {
    let account = write.account();
    let applied = op(tx, account, write.op())?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(internal)?;
    for e in write.audit_entries() {
        stmt.execute(params![
            e.id.0,
            account.0,
            e.actor_id.0,
            e.action.as_str(),
            e.target_id,
            e.metadata.to_string(),
            e.created_at.0
        ])
        .map_err(internal)?;
    }
    drop(stmt);
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_notifications (id, account_id, user_id, kind, room_id, message_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(internal)?;
    for n in write.notifications() {
        stmt.execute(params![
            n.id.0,
            account.0,
            n.user_id.0,
            n.kind.as_str(),
            n.room_id.0,
            n.message_id.0,
            n.created_at.0
        ])
        .map_err(internal)?;
    }
    drop(stmt);
    let events = crate::events::append(tx, account, write.events(), &applied, retention, heads)?;
    Ok(Committed { applied, events })
}

fn exists(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<bool> {
    tx.prepare_cached(sql)?.exists(p)
}

fn holds(tx: &Connection, account: AccountId, p: &Precondition) -> rusqlite::Result<bool> {
    let a = account.0;
    match p {
        Precondition::RoomLive(room) => exists(
            tx,
            "SELECT 1 FROM internal_chat_rooms WHERE id = ?1 AND account_id = ?2 AND archived_at IS NULL",
            params![room.0, a],
        ),
        Precondition::Membership { room, user, role } => {
            let current: Option<String> = tx
                .prepare_cached("SELECT role FROM internal_chat_members WHERE room_id = ?1 AND user_id = ?2 AND account_id = ?3")?
                .query_row(params![room.0, user.0, a], |r| r.get(0))
                .optional()?;
            Ok(current.as_deref().and_then(RoomRole::parse) == *role)
        }
        Precondition::UsersActive(users) => {
            let mut stmt = tx.prepare_cached(
                "SELECT 1 FROM internal_chat_directory WHERE account_id = ?1 AND user_id = ?2 AND active = 1",
            )?;
            for u in users {
                if !stmt.exists(params![a, u.0])? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Precondition::NoLiveDm(low, high) => exists(
            tx,
            "SELECT 1 FROM internal_chat_rooms WHERE account_id = ?1 AND dm_key = ?2 AND archived_at IS NULL",
            params![a, rows::dm_key((*low, *high))],
        )
        .map(|found| !found),
        Precondition::NoClientId { room, sender, client_id } => exists(
            tx,
            "SELECT 1 FROM internal_chat_messages WHERE room_id = ?1 AND sender_id = ?2 AND client_id = ?3",
            params![room.0, sender.0, client_id],
        )
        .map(|found| !found),
        Precondition::LiveTeamRoomsBelow(max) => {
            let n: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = ?1 AND type = 'room' AND archived_at IS NULL")?
                .query_row([a], |r| r.get(0))?;
            Ok(n < i64::from(*max))
        }
        Precondition::MembersAtMost { room, max } => {
            let n: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM internal_chat_members WHERE room_id = ?1 AND account_id = ?2")?
                .query_row(params![room.0, a], |r| r.get(0))?;
            Ok(n <= i64::from(*max))
        }
        Precondition::MessageLive(id) => exists(
            tx,
            "SELECT 1 FROM internal_chat_messages WHERE id = ?1 AND account_id = ?2 AND deleted_at IS NULL",
            params![id.0, a],
        ),
        // A precondition this backend does not know cannot be checked: refuse the write.
        _ => Ok(false),
    }
}

fn op(tx: &Connection, account: AccountId, op: &Op) -> Result<Applied> {
    let a = account.0;
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<usize> {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute(p))
            .map_err(internal)
    };
    match op {
        Op::CreateRoom {
            room,
            dm_pair,
            members,
        } => {
            run(
                "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, dm_key, last_seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![room.id.0, a, room.kind.as_str(), room.name, room.created_by.0, room.created_at.0, room.updated_at.0, dm_pair.map(rows::dm_key)],
            )?;
            add_members(tx, a, room.id, members, room.created_at)?;
            Ok(Applied::Room(room.clone()))
        }
        Op::RenameRoom { room, name, at } => {
            run(
                "UPDATE internal_chat_rooms SET name = ?1, updated_at = ?2 WHERE id = ?3 AND account_id = ?4",
                params![name, at.0, room.0, a],
            )?;
            Ok(Applied::Done)
        }
        Op::ArchiveRoom { room, at } => {
            run(
                "UPDATE internal_chat_rooms SET archived_at = ?1 WHERE id = ?2 AND account_id = ?3",
                params![at.0, room.0, a],
            )?;
            crate::events::forget_room(tx, account, *room)?;
            Ok(Applied::Done)
        }
        Op::AddMembers { room, members, at } => {
            add_members(tx, a, *room, members, *at)?;
            Ok(Applied::Done)
        }
        Op::RemoveMember { room, user } => {
            run(
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
                "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = COALESCE(excluded.name, name), role = excluded.role, last_seen_at = excluded.last_seen_at",
                params![a, user.0, name, role.as_str(), at.0],
            )?;
            Ok(Applied::Done)
        }
        Op::ProvisionUser(e) => {
            run(
                "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (account_id, user_id) DO UPDATE SET \
                   name = excluded.name, role = excluded.role, active = excluded.active",
                params![a, e.user_id.0, e.name, e.role.as_str(), e.active, e.last_seen_at.0],
            )?;
            Ok(Applied::Done)
        }
        Op::SetEntitlements(e) => {
            run(
                "INSERT INTO internal_chat_entitlements (account_id, chat_enabled, max_rooms, max_members_per_room) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (account_id) DO UPDATE SET chat_enabled = excluded.chat_enabled, \
                   max_rooms = excluded.max_rooms, max_members_per_room = excluded.max_members_per_room",
                params![a, e.chat_enabled, e.max_rooms, e.max_members_per_room],
            )?;
            Ok(Applied::Done)
        }
        Op::ReadNotifications { user, ids, at } => {
            let n = match ids {
                None => run(
                    "UPDATE internal_chat_notifications SET read_at = ?1 \
                     WHERE account_id = ?2 AND user_id = ?3 AND read_at IS NULL",
                    params![at.0, a, user.0],
                )?,
                Some(ids) => {
                    let mut n = 0;
                    for id in ids {
                        n += run(
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
        other => Err(ChatError::internal(format!(
            "sqlite backend does not know {other:?}"
        ))),
    }
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
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<usize> {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute(p))
            .map_err(internal)
    };
    run(
        "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![m.id.0, m.room_id.0, a, m.sender_id.0, m.content, m.message_type.as_str(), mentions_json, m.client_id, seq, m.created_at.0],
    )?;
    for user in m.mentions.iter().filter(|u| **u != m.sender_id) {
        run(
            "INSERT INTO internal_chat_mentions (room_id, user_id, seq, account_id) VALUES (?1, ?2, ?3, ?4)",
            params![m.room_id.0, user.0, seq, a],
        )?;
        run(
            "UPDATE internal_chat_members SET mention_count = mention_count + 1 WHERE room_id = ?1 AND user_id = ?2",
            params![m.room_id.0, user.0],
        )?;
    }
    // Nobody else's row is written: their unread count follows from the room's `last_seq`
    // (migration 006). The sender has read the whole room: their message is its newest.
    run(
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
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<usize> {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute(p))
            .map_err(internal)
    };
    // Others who had not read it yet: one more message after their pointer that does not
    // count (the sender's own was never counted).
    run(
        "UPDATE internal_chat_members SET skipped_count = skipped_count + 1 \
         WHERE room_id = ?1 AND user_id != ?2 AND last_read_seq < ?3",
        params![room, sender, seq],
    )?;
    run(
        "UPDATE internal_chat_members SET mention_count = mention_count - 1 \
         WHERE room_id = ?1 AND user_id != ?2 AND last_read_seq < ?3 \
           AND user_id IN (SELECT user_id FROM internal_chat_mentions WHERE room_id = ?1 AND seq = ?3)",
        params![room, sender, seq],
    )?;
    Ok(())
}

/// Moves `user`'s pointer forward to `to` (below the room's newest message), lowering the
/// counters by what is now read. Cost is proportional to the messages newly read, never to
/// history or remaining backlog.
fn advance(tx: &Connection, room: RoomId, user: UserId, to: i64, at: Timestamp) -> Result<()> {
    let from: i64 = tx
        .prepare_cached(
            "SELECT last_read_seq FROM internal_chat_members WHERE room_id = ?1 AND user_id = ?2",
        )
        .and_then(|mut s| s.query_row(params![room.0, user.0], |r| r.get(0)))
        .map_err(internal)?;
    if to <= from {
        return Ok(());
    }
    let q = |sql: &str| -> Result<i64> {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.query_row(params![room.0, user.0, from, to], |r| r.get(0)))
            .map_err(internal)
    };
    let skipped_now = q(
        "SELECT COUNT(*) FROM internal_chat_messages \
         WHERE room_id = ?1 AND seq > ?3 AND seq <= ?4 AND (deleted_at IS NOT NULL OR sender_id = ?2)",
    )?;
    let mentions_now = q(
        "SELECT COUNT(*) FROM internal_chat_mentions mn JOIN internal_chat_messages m ON m.room_id = mn.room_id AND m.seq = mn.seq \
         WHERE mn.room_id = ?1 AND mn.user_id = ?2 AND mn.seq > ?3 AND mn.seq <= ?4 AND m.deleted_at IS NULL",
    )?;
    tx.prepare_cached(
        "UPDATE internal_chat_members SET last_read_seq = ?1, last_read_at = ?2, \
           skipped_count = skipped_count - ?3, mention_count = mention_count - ?4 \
         WHERE room_id = ?5 AND user_id = ?6",
    )
    .and_then(|mut s| s.execute(params![to, at.0, skipped_now, mentions_now, room.0, user.0]))
    .map_err(internal)?;
    Ok(())
}

fn mark_read(
    tx: &Connection,
    a: i64,
    room: RoomId,
    user: UserId,
    up_to: Option<i64>,
    at: Timestamp,
) -> Result<ReadState> {
    let last_seq: i64 = tx
        .prepare_cached(
            "SELECT last_seq FROM internal_chat_rooms WHERE id = ?1 AND account_id = ?2",
        )
        .and_then(|mut s| s.query_row(params![room.0, a], |r| r.get(0)))
        .map_err(internal)?;
    let to = up_to.unwrap_or(last_seq).min(last_seq);
    if to == last_seq {
        // Reading to the newest needs no counting at all.
        tx.prepare_cached(
            "UPDATE internal_chat_members SET last_read_seq = ?1, last_read_at = ?2, skipped_count = 0, mention_count = 0 \
             WHERE room_id = ?3 AND user_id = ?4 AND last_read_seq < ?1",
        )
        .and_then(|mut s| s.execute(params![to, at.0, room.0, user.0]))
        .map_err(internal)?;
    } else {
        advance(tx, room, user, to, at)?;
    }
    tx.prepare_cached(
        "SELECT last_read_at, last_read_seq, ?4 - last_read_seq - skipped_count, mention_count \
         FROM internal_chat_members WHERE room_id = ?1 AND user_id = ?2 AND account_id = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![room.0, user.0, a, last_seq], |r| {
            Ok(ReadState {
                room_id: room,
                last_read_at: r.get::<_, Option<i64>>(0)?.map(Timestamp),
                last_read_seq: r.get(1)?,
                unread_count: r.get(2)?,
                mention_count: r.get(3)?,
            })
        })
    })
    .map_err(internal)
}
