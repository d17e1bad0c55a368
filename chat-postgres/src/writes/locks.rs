//! The locks a write takes before it checks its preconditions, so that the facts it checks
//! cannot change until it commits (READ COMMITTED re-reads each statement, but only a lock
//! stops a concurrent writer between the check and the commit). Always in this order —
//! advisory locks, then rooms, then directory rows (`preconditions`), then the account's
//! event counter (`event_log`, last) — so two writes never wait for each other in a cycle.
//!
//! * **A room** is locked (`FOR NO KEY UPDATE` on its row) by every write that touches it or
//!   checks a fact about it: its liveness, a membership, its member count, a client id, a
//!   message in it. Writes of one room are therefore serial (sends are anyway: each bumps the
//!   room's `seq`), as they are on SQLite's single writer; writes of different rooms run side
//!   by side until the account's counter row.
//! * **Account-wide facts** — the number of live team rooms, the entitlements, a directory
//!   entry the service API decided from — have no one row to lock, so they take a
//!   transaction-level advisory lock named after the fact and the account.

use chat_core::ids::{MessageId, RoomId};
use chat_core::store::{Op, Precondition, Write};

use crate::error::Result;
use crate::tx::{rows, Conn};

/// The rooms (directly, or as the room of a message) a write must lock.
fn rooms(write: &Write) -> (Vec<RoomId>, Vec<MessageId>) {
    let mut rooms = Vec::new();
    let mut messages = Vec::new();
    for p in write.preconditions() {
        match p {
            Precondition::RoomLive(room)
            | Precondition::Membership { room, .. }
            | Precondition::NoClientId { room, .. }
            | Precondition::MembersAtMost { room, .. } => rooms.push(*room),
            Precondition::MessageLive(m) => messages.push(*m),
            _ => {}
        }
    }
    match write.op() {
        Op::RenameRoom { room, .. }
        | Op::ArchiveRoom { room, .. }
        | Op::AddMembers { room, .. }
        | Op::RemoveMember { room, .. }
        | Op::MarkRead { room, .. } => rooms.push(*room),
        Op::SendMessage(m) => rooms.push(m.room_id),
        Op::EditMessage { message, .. } | Op::DeleteMessage { message, .. } => {
            messages.push(*message);
        }
        _ => {}
    }
    rooms.sort_unstable();
    rooms.dedup();
    messages.sort_unstable();
    messages.dedup();
    (rooms, messages)
}

/// The advisory locks of a write, by name.
fn advisory(write: &Write) -> Vec<String> {
    let a = write.account().0;
    let mut keys = Vec::new();
    for p in write.preconditions() {
        match p {
            Precondition::LiveTeamRoomsBelow(_) => keys.push(format!("chat:{a}:team-rooms")),
            Precondition::EntitlementsAre(_) => keys.push(format!("chat:{a}:entitlements")),
            Precondition::DirectoryIs(user, _) => keys.push(format!("chat:{a}:directory:{user}")),
            _ => {}
        }
    }
    if matches!(write.op(), Op::SetEntitlements(_)) {
        keys.push(format!("chat:{a}:entitlements"));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Takes the write's locks (see the module docs).
pub(super) async fn take(c: &Conn, write: &Write) -> Result<()> {
    for key in advisory(write) {
        // Hashed to the lock's 64-bit key: a collision only serializes two unrelated writes.
        rows(
            c,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&key],
        )
        .await?;
    }
    let (rooms, messages) = rooms(write);
    if rooms.is_empty() && messages.is_empty() {
        return Ok(());
    }
    let rooms: Vec<uuid::Uuid> = rooms.into_iter().map(|r| r.0).collect();
    let messages: Vec<uuid::Uuid> = messages.into_iter().map(|m| m.0).collect();
    // In id order, so two writes locking the same rooms cannot deadlock.
    rows(
        c,
        "SELECT r.id FROM internal_chat_rooms r \
         WHERE r.account_id = $1 AND (r.id = ANY($2) OR r.id IN ( \
             SELECT m.room_id FROM internal_chat_messages m WHERE m.account_id = $1 AND m.id = ANY($3))) \
         ORDER BY r.id FOR NO KEY UPDATE",
        &[&write.account().0, &rooms, &messages],
    )
    .await?;
    Ok(())
}
