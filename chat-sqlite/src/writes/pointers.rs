//! Read pointers and the counters they move (see migration 006: the unread count is the
//! room's `last_seq` minus the pointer minus the skipped messages after it).

use crate::error::Result;
use chat_core::ids::{RoomId, Timestamp, UserId};
use chat_core::model::ReadState;
use rusqlite::{params, Connection};

use crate::error::internal;

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

pub(super) fn mark_read(
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
