//! Row ↔ domain conversions shared by the queries.

use chat_core::ids::{AccountId, AuditId, MessageId, NotificationId, RoomId, Timestamp, UserId};
use chat_core::model::{
    AccountRole, AuditAction, AuditEntry, DirectoryEntry, Member, Message, MessageType,
    Notification, NotificationKind, Room, RoomRole, RoomType,
};
use rusqlite::types::Type;
use rusqlite::Row;
use uuid::Uuid;

// Column lists as macros so that every statement is one compile-time constant (`concat!`):
// no SQL is ever assembled at run time.

/// Columns of [`room`], prefixed `r.` for joins.
macro_rules! room_cols {
    () => {
        "r.id, r.account_id, r.type, r.name, r.created_by, r.created_at, r.updated_at, r.last_message_at, r.last_seq"
    };
}

/// Columns of [`message`], prefixed `m.` for joins.
macro_rules! message_cols {
    () => {
        "m.id, m.room_id, m.account_id, m.sender_id, m.content, m.message_type, m.mentions, m.client_id, m.seq, m.created_at, m.edited_at, m.deleted_at"
    };
}

/// Columns of [`member`].
macro_rules! member_cols {
    () => {
        "user_id, role, last_read_at, last_read_seq, joined_at"
    };
}

/// A member's unread count (`mb.`) in their room (`r.`): every message after the read
/// pointer but those that do not count (deleted, or their own; see migration 006).
macro_rules! unread_col {
    () => {
        "r.last_seq - mb.last_read_seq - mb.skipped_count"
    };
}

pub(crate) use {member_cols, message_cols, room_cols, unread_col};

fn bad(idx: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, what.to_owned().into())
}

fn enum_col<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    parse(&s).ok_or_else(|| bad(idx, "unknown enum value"))
}

fn ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    row.get(idx).map(Timestamp)
}

fn opt_ts(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(Timestamp))
}

/// A room from [`room_cols!`] starting at `o`.
pub(crate) fn room(row: &Row<'_>, o: usize) -> rusqlite::Result<Room> {
    Ok(Room {
        id: RoomId(row.get::<_, Uuid>(o)?),
        account_id: AccountId(row.get(o + 1)?),
        kind: enum_col(row, o + 2, RoomType::parse)?,
        name: row.get(o + 3)?,
        created_by: UserId(row.get(o + 4)?),
        created_at: ts(row, o + 5)?,
        updated_at: ts(row, o + 6)?,
        last_message_at: opt_ts(row, o + 7)?,
        last_seq: row.get(o + 8)?,
    })
}

/// A member from [`member_cols!`] starting at `o`.
pub(crate) fn member(row: &Row<'_>, o: usize) -> rusqlite::Result<Member> {
    Ok(Member {
        user_id: UserId(row.get(o)?),
        role: enum_col(row, o + 1, RoomRole::parse)?,
        last_read_at: opt_ts(row, o + 2)?,
        last_read_seq: row.get(o + 3)?,
        joined_at: ts(row, o + 4)?,
    })
}

/// A message from [`message_cols!`] starting at `o`.
pub(crate) fn message(row: &Row<'_>, o: usize) -> rusqlite::Result<Message> {
    let mentions: String = row.get(o + 6)?;
    let mentions: Vec<i64> =
        serde_json::from_str(&mentions).map_err(|_| bad(o + 6, "mentions is not a JSON array"))?;
    Ok(Message {
        id: MessageId(row.get::<_, Uuid>(o)?),
        room_id: RoomId(row.get::<_, Uuid>(o + 1)?),
        account_id: AccountId(row.get(o + 2)?),
        sender_id: UserId(row.get(o + 3)?),
        content: row.get(o + 4)?,
        message_type: enum_col(row, o + 5, MessageType::parse)?,
        mentions: mentions.into_iter().map(UserId).collect(),
        client_id: row.get(o + 7)?,
        seq: row.get(o + 8)?,
        created_at: ts(row, o + 9)?,
        edited_at: opt_ts(row, o + 10)?,
        deleted_at: opt_ts(row, o + 11)?,
    })
}

/// An audit entry from `id, account_id, actor_id, action, target_id, metadata, created_at`.
pub(crate) fn audit(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    let metadata: String = row.get(5)?;
    Ok(AuditEntry {
        id: AuditId(row.get::<_, Uuid>(0)?),
        account_id: AccountId(row.get(1)?),
        actor_id: row.get::<_, Option<i64>>(2)?.map(UserId),
        action: enum_col(row, 3, AuditAction::parse)?,
        target_id: row.get(4)?,
        metadata: serde_json::from_str(&metadata).map_err(|_| bad(5, "metadata is not JSON"))?,
        created_at: ts(row, 6)?,
    })
}

/// A directory entry from `account_id, user_id, name, role, active, last_seen_at`.
pub(crate) fn directory(row: &Row<'_>) -> rusqlite::Result<DirectoryEntry> {
    Ok(DirectoryEntry {
        account_id: AccountId(row.get(0)?),
        user_id: UserId(row.get(1)?),
        name: row.get(2)?,
        role: enum_col(row, 3, AccountRole::parse)?,
        active: row.get(4)?,
        last_seen_at: ts(row, 5)?,
    })
}

/// The `dm_key` column value of an ordered pair.
pub(crate) fn dm_key(pair: (UserId, UserId)) -> String {
    format!("{}:{}", pair.0, pair.1)
}

/// A notification from `id, user_id, kind, room_id, message_id, created_at, read_at`.
pub(crate) fn notification(row: &Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: NotificationId(row.get::<_, Uuid>(0)?),
        user_id: UserId(row.get(1)?),
        kind: enum_col(row, 2, NotificationKind::parse)?,
        room_id: RoomId(row.get::<_, Uuid>(3)?),
        message_id: MessageId(row.get::<_, Uuid>(4)?),
        created_at: ts(row, 5)?,
        read_at: opt_ts(row, 6)?,
    })
}
