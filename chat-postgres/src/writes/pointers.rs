//! Read pointers and the counters they move (unread = the room's `last_seq` minus the
//! pointer minus the skipped messages after it; see migration 001).

use chat_core::ids::{RoomId, Timestamp, UserId};
use chat_core::model::ReadState;

use crate::error::{internal, Result};
use crate::tx::{exec, get, one, opt, Conn};

/// Moves `user`'s pointer forward to `to` (below the room's newest message), lowering the
/// counters by what is now read. Cost is proportional to the messages newly read.
async fn advance(
    c: &Conn,
    a: i64,
    room: RoomId,
    user: UserId,
    to: i64,
    at: Timestamp,
) -> Result<()> {
    let Some(row) = opt(
        c,
        "SELECT last_read_seq FROM internal_chat_members WHERE account_id = $1 AND room_id = $2 AND user_id = $3",
        &[&a, &room.0, &user.0],
    )
    .await?
    else {
        return Ok(());
    };
    let from: i64 = get(&row, 0)?;
    if to <= from {
        return Ok(());
    }
    let counts = one(
        c,
        "SELECT \
           (SELECT COUNT(*) FROM internal_chat_messages \
             WHERE account_id = $1 AND room_id = $2 AND seq > $4 AND seq <= $5 \
               AND (deleted_at IS NOT NULL OR sender_id = $3)), \
           (SELECT COUNT(*) FROM internal_chat_mentions mn \
             JOIN internal_chat_messages m ON m.account_id = $1 AND m.room_id = mn.room_id AND m.seq = mn.seq \
             WHERE mn.account_id = $1 AND mn.room_id = $2 AND mn.user_id = $3 AND mn.seq > $4 AND mn.seq <= $5 \
               AND m.deleted_at IS NULL)",
        &[&a, &room.0, &user.0, &from, &to],
    )
    .await?;
    let (skipped, mentions): (i64, i64) = (get(&counts, 0)?, get(&counts, 1)?);
    exec(
        c,
        "UPDATE internal_chat_members SET last_read_seq = $1, last_read_at = $2, \
           skipped_count = skipped_count - $3, mention_count = mention_count - $4 \
         WHERE account_id = $5 AND room_id = $6 AND user_id = $7",
        &[&to, &at.0, &skipped, &mentions, &a, &room.0, &user.0],
    )
    .await?;
    Ok(())
}

pub(super) async fn mark_read(
    c: &Conn,
    a: i64,
    room: RoomId,
    user: UserId,
    up_to: Option<i64>,
    at: Timestamp,
) -> Result<ReadState> {
    let last_seq: i64 = get(
        &opt(
            c,
            "SELECT last_seq FROM internal_chat_rooms WHERE account_id = $2 AND id = $1",
            &[&room.0, &a],
        )
        .await?
        .ok_or_else(|| internal("mark_read: no such room"))?,
        0,
    )?;
    let to = up_to.unwrap_or(last_seq).min(last_seq);
    if to == last_seq {
        // Reading to the newest needs no counting at all.
        exec(
            c,
            "UPDATE internal_chat_members SET last_read_seq = $1, last_read_at = $2, skipped_count = 0, mention_count = 0 \
             WHERE account_id = $5 AND room_id = $3 AND user_id = $4 AND last_read_seq < $1",
            &[&to, &at.0, &room.0, &user.0, &a],
        )
        .await?;
    } else {
        advance(c, a, room, user, to, at).await?;
    }
    let row = opt(
        c,
        "SELECT last_read_at, last_read_seq, $4 - last_read_seq - skipped_count, mention_count \
         FROM internal_chat_members WHERE account_id = $3 AND room_id = $1 AND user_id = $2",
        &[&room.0, &user.0, &a, &last_seq],
    )
    .await?
    .ok_or_else(|| internal("mark_read: not a member"))?;
    Ok(ReadState {
        room_id: room,
        last_read_at: get::<Option<i64>>(&row, 0)?.map(Timestamp),
        last_read_seq: get(&row, 1)?,
        unread_count: get(&row, 2)?,
        mention_count: get(&row, 3)?,
    })
}
