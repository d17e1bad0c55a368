//! Rows to domain values, shared by the queries.

use chat_core::ids::{AccountId, AuditId, MessageId, NotificationId, RoomId, Timestamp, UserId};
use chat_core::model::{
    AccountRole, AuditAction, AuditEntry, DirectoryEntry, Member, Message, MessageType,
    Notification, NotificationKind, Room, RoomRole, RoomType,
};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::error::{internal, Result};
use crate::tx::get;

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

/// Columns of [`member`], prefixed `mb.`.
macro_rules! member_cols {
    () => {
        "mb.user_id, mb.role, mb.last_read_at, mb.last_read_seq, mb.joined_at"
    };
}

/// A member's unread count (`mb.`) in their room (`r.`): every message after the read
/// pointer but those that do not count (deleted ones, their own).
macro_rules! unread_col {
    () => {
        "r.last_seq - mb.last_read_seq - mb.skipped_count"
    };
}

pub(crate) use {member_cols, message_cols, room_cols, unread_col};

fn enum_col<T>(row: &Row, idx: usize, parse: fn(&str) -> Option<T>) -> Result<T> {
    let s: &str = get(row, idx)?;
    parse(s).ok_or_else(|| internal(format!("unknown value {s:?} in column {idx}")))
}

fn opt_ts(row: &Row, idx: usize) -> Result<Option<Timestamp>> {
    Ok(get::<Option<i64>>(row, idx)?.map(Timestamp))
}

/// A room from [`room_cols!`] starting at `o`.
pub(crate) fn room(row: &Row, o: usize) -> Result<Room> {
    Ok(Room {
        id: RoomId(get(row, o)?),
        account_id: AccountId(get(row, o + 1)?),
        kind: enum_col(row, o + 2, RoomType::parse)?,
        name: get(row, o + 3)?,
        created_by: UserId(get(row, o + 4)?),
        created_at: Timestamp(get(row, o + 5)?),
        updated_at: Timestamp(get(row, o + 6)?),
        last_message_at: opt_ts(row, o + 7)?,
        last_seq: get(row, o + 8)?,
    })
}

/// A member from [`member_cols!`] starting at `o`.
pub(crate) fn member(row: &Row, o: usize) -> Result<Member> {
    Ok(Member {
        user_id: UserId(get(row, o)?),
        role: enum_col(row, o + 1, RoomRole::parse)?,
        last_read_at: opt_ts(row, o + 2)?,
        last_read_seq: get(row, o + 3)?,
        joined_at: Timestamp(get(row, o + 4)?),
    })
}

/// A message from [`message_cols!`] starting at `o`.
pub(crate) fn message(row: &Row, o: usize) -> Result<Message> {
    let mentions: Vec<i64> = get(row, o + 6)?;
    Ok(Message {
        id: MessageId(get(row, o)?),
        room_id: RoomId(get(row, o + 1)?),
        account_id: AccountId(get(row, o + 2)?),
        sender_id: UserId(get(row, o + 3)?),
        content: get(row, o + 4)?,
        message_type: enum_col(row, o + 5, MessageType::parse)?,
        mentions: mentions.into_iter().map(UserId).collect(),
        client_id: get(row, o + 7)?,
        seq: get(row, o + 8)?,
        created_at: Timestamp(get(row, o + 9)?),
        edited_at: opt_ts(row, o + 10)?,
        deleted_at: opt_ts(row, o + 11)?,
    })
}

/// Whether the message columns starting at `o` hold a message (a LEFT JOIN may leave them
/// NULL).
pub(crate) fn has_message(row: &Row, o: usize) -> Result<bool> {
    Ok(get::<Option<Uuid>>(row, o)?.is_some())
}

/// An audit entry from `id, account_id, actor_id, action, target_id, metadata, created_at`.
pub(crate) fn audit(row: &Row) -> Result<AuditEntry> {
    let metadata: &str = get(row, 5)?;
    Ok(AuditEntry {
        id: AuditId(get(row, 0)?),
        account_id: AccountId(get(row, 1)?),
        actor_id: get::<Option<i64>>(row, 2)?.map(UserId),
        action: enum_col(row, 3, AuditAction::parse)?,
        target_id: get(row, 4)?,
        metadata: serde_json::from_str(metadata).map_err(internal)?,
        created_at: Timestamp(get(row, 6)?),
    })
}

/// A directory entry from `account_id, user_id, name, role, active, last_seen_at`.
pub(crate) fn directory(row: &Row) -> Result<DirectoryEntry> {
    Ok(DirectoryEntry {
        account_id: AccountId(get(row, 0)?),
        user_id: UserId(get(row, 1)?),
        name: get(row, 2)?,
        role: enum_col(row, 3, AccountRole::parse)?,
        active: get(row, 4)?,
        last_seen_at: Timestamp(get(row, 5)?),
    })
}

/// The `dm_key` column value of an ordered pair.
pub(crate) fn dm_key(pair: (UserId, UserId)) -> String {
    format!("{}:{}", pair.0, pair.1)
}

/// A notification from `id, user_id, kind, room_id, message_id, created_at, read_at`.
pub(crate) fn notification(row: &Row) -> Result<Notification> {
    Ok(Notification {
        id: NotificationId(get(row, 0)?),
        user_id: UserId(get(row, 1)?),
        kind: enum_col(row, 2, NotificationKind::parse)?,
        room_id: RoomId(get(row, 3)?),
        message_id: MessageId(get(row, 4)?),
        created_at: Timestamp(get(row, 5)?),
        read_at: opt_ts(row, 6)?,
    })
}

/// Every row through `f`.
pub(crate) fn all<T>(rows: &[Row], f: impl Fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}
