//! Queries. Every statement carries `account_id` in its `WHERE` clause; room content also
//! requires the reader's membership, so a decision made on stale facts fails closed.

use chat_core::ids::{AccountId, MessageId, RoomId, UserId};
use chat_core::model::{
    AuditEntry, DirectoryEntry, Entitlements, Message, Notification, RoomDetail, RoomOverview,
    RoomRole, RoomSummary, RoomUnread,
};
use chat_core::store::{
    AuditFilter, AuditPosition, MessageAccess, NotificationPosition, RoomAccess, RoomPosition,
    Window,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::rows::{self, member_cols, message_cols, room_cols, unread_col};

pub(crate) fn room_access(
    c: &Connection,
    account: AccountId,
    room: RoomId,
    user: UserId,
) -> rusqlite::Result<Option<RoomAccess>> {
    const SQL: &str = concat!(
        "SELECT ",
        room_cols!(),
        ", mb.role FROM internal_chat_rooms r \
         LEFT JOIN internal_chat_members mb ON mb.room_id = r.id AND mb.user_id = ?3 \
         WHERE r.id = ?1 AND r.account_id = ?2 AND r.archived_at IS NULL"
    );
    c.prepare_cached(SQL)?
        .query_row(params![room.0, account.0, user.0], |row| {
            let role: Option<String> = row.get(9)?;
            Ok(RoomAccess {
                room: rows::room(row, 0)?,
                membership: role.as_deref().and_then(RoomRole::parse),
            })
        })
        .optional()
}

pub(crate) fn message_access(
    c: &Connection,
    account: AccountId,
    message: MessageId,
    user: UserId,
) -> rusqlite::Result<Option<MessageAccess>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m WHERE m.id = ?1 AND m.account_id = ?2"
    );
    let Some(msg) = c
        .prepare_cached(SQL)?
        .query_row(params![message.0, account.0], |row| rows::message(row, 0))
        .optional()?
    else {
        return Ok(None);
    };
    Ok(
        room_access(c, account, msg.room_id, user)?
            .map(|room| MessageAccess { message: msg, room }),
    )
}

pub(crate) fn message_by_client_id(
    c: &Connection,
    account: AccountId,
    room: RoomId,
    sender: UserId,
    client_id: &str,
) -> rusqlite::Result<Option<Message>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m \
         JOIN internal_chat_rooms r ON r.id = m.room_id AND r.account_id = ?4 AND r.archived_at IS NULL \
         JOIN internal_chat_members mb ON mb.room_id = m.room_id AND mb.user_id = ?2 AND mb.account_id = ?4 \
         WHERE m.room_id = ?1 AND m.sender_id = ?2 AND m.client_id = ?3 AND m.account_id = ?4"
    );
    c.prepare_cached(SQL)?
        .query_row(params![room.0, sender.0, client_id, account.0], |row| {
            rows::message(row, 0)
        })
        .optional()
}

pub(crate) fn directory(
    c: &Connection,
    account: AccountId,
    users: &[UserId],
) -> rusqlite::Result<Vec<DirectoryEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT account_id, user_id, name, role, active, last_seen_at FROM internal_chat_directory \
         WHERE account_id = ?1 AND user_id = ?2",
    )?;
    let mut out = Vec::with_capacity(users.len());
    for user in users {
        if let Some(e) = stmt
            .query_row(params![account.0, user.0], rows::directory)
            .optional()?
        {
            out.push(e);
        }
    }
    Ok(out)
}

pub(crate) fn entitlements(c: &Connection, account: AccountId) -> rusqlite::Result<Entitlements> {
    Ok(c.prepare_cached(
        "SELECT chat_enabled, max_rooms, max_members_per_room FROM internal_chat_entitlements WHERE account_id = ?1",
    )?
    .query_row([account.0], |r| {
        Ok(Entitlements {
            chat_enabled: r.get(0)?,
            max_rooms: r.get(1)?,
            max_members_per_room: r.get(2)?,
        })
    })
    .optional()?
    .unwrap_or_default())
}

pub(crate) fn find_dm(
    c: &Connection,
    account: AccountId,
    pair: (UserId, UserId),
) -> rusqlite::Result<Option<RoomId>> {
    c.prepare_cached(
        "SELECT id FROM internal_chat_rooms WHERE account_id = ?1 AND dm_key = ?2 AND archived_at IS NULL",
    )?
    .query_row(params![account.0, rows::dm_key(pair)], |r| r.get(0).map(RoomId))
    .optional()
}

pub(crate) fn live_team_rooms(c: &Connection, account: AccountId) -> rusqlite::Result<u64> {
    c.prepare_cached(
        "SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = ?1 AND type = 'room' AND archived_at IS NULL",
    )?
    .query_row([account.0], |r| r.get::<_, i64>(0))
    .map(|n| u64::try_from(n).unwrap_or(0))
}

pub(crate) fn room_detail(
    c: &Connection,
    account: AccountId,
    room: RoomId,
) -> rusqlite::Result<Option<RoomDetail>> {
    const SQL: &str = concat!("SELECT ", room_cols!(), " FROM internal_chat_rooms r WHERE r.id = ?1 AND r.account_id = ?2 AND r.archived_at IS NULL");
    let Some(room_row) = c
        .prepare_cached(SQL)?
        .query_row(params![room.0, account.0], |row| rows::room(row, 0))
        .optional()?
    else {
        return Ok(None);
    };
    const MEMBERS_SQL: &str = concat!(
        "SELECT ",
        member_cols!(),
        " FROM internal_chat_members WHERE room_id = ?1 AND account_id = ?2 ORDER BY user_id"
    );
    let members = c
        .prepare_cached(MEMBERS_SQL)?
        .query_map(params![room.0, account.0], |row| rows::member(row, 0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(RoomDetail {
        room: room_row,
        members,
    }))
}

pub(crate) fn list_messages(
    c: &Connection,
    account: AccountId,
    room: RoomId,
    user: UserId,
    window: Window,
    limit: u32,
) -> rusqlite::Result<Vec<Message>> {
    const OLDER: &str = concat!("SELECT ", message_cols!(), " FROM internal_chat_messages m \
         WHERE m.room_id = ?1 AND m.account_id = ?2 AND m.seq < ?3 \
           AND EXISTS (SELECT 1 FROM internal_chat_members mb WHERE mb.room_id = ?1 AND mb.user_id = ?4) \
         ORDER BY m.seq DESC LIMIT ?5");
    const NEWER: &str = concat!("SELECT ", message_cols!(), " FROM internal_chat_messages m \
         WHERE m.room_id = ?1 AND m.account_id = ?2 AND m.seq > ?3 \
           AND EXISTS (SELECT 1 FROM internal_chat_members mb WHERE mb.room_id = ?1 AND mb.user_id = ?4) \
         ORDER BY m.seq ASC LIMIT ?5");
    let (sql, bound) = match window {
        Window::Before(before) => (OLDER, before.unwrap_or(i64::MAX)),
        Window::After(after) => (NEWER, after),
    };
    let mut page = c
        .prepare_cached(sql)?
        .query_map(params![room.0, account.0, bound, user.0, limit], |row| {
            rows::message(row, 0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if matches!(window, Window::After(_)) {
        page.reverse();
    }
    Ok(page)
}

/// The member's read pointer, `None` when they are not a member of the live room.
pub(crate) fn read_pointer(
    c: &Connection,
    account: AccountId,
    room: RoomId,
    user: UserId,
) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached(
        "SELECT mb.last_read_seq FROM internal_chat_members mb \
         JOIN internal_chat_rooms r ON r.id = mb.room_id \
         WHERE mb.room_id = ?1 AND mb.user_id = ?2 AND mb.account_id = ?3 \
           AND r.account_id = ?3 AND r.archived_at IS NULL",
    )?
    .query_row(params![room.0, user.0, account.0], |row| row.get(0))
    .optional()
}

pub(crate) fn list_rooms(
    c: &Connection,
    account: AccountId,
    user: UserId,
    after: Option<RoomPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<RoomSummary>> {
    // The activity key is computed, so SQLite sorts the user's memberships (hundreds at most):
    // cheaper than maintaining a per-member activity column on every send.
    const SQL: &str = concat!("SELECT ", room_cols!(), ", ", unread_col!(), ", mb.mention_count, \
                COALESCE(r.last_message_at, r.created_at) AS activity \
         FROM internal_chat_members mb JOIN internal_chat_rooms r ON r.id = mb.room_id \
         WHERE mb.user_id = ?1 AND mb.account_id = ?2 AND r.account_id = ?2 AND r.archived_at IS NULL \
           AND (?3 IS NULL OR activity < ?3 OR (activity = ?3 AND r.id < ?4)) \
         ORDER BY activity DESC, r.id DESC LIMIT ?5");
    let (at, id) = match after {
        Some(p) => (Some(p.activity_at.0), Some(p.room.0)),
        None => (None, None),
    };
    c.prepare_cached(SQL)?
        .query_map(params![user.0, account.0, at, id, limit], |row| {
            Ok(RoomSummary {
                room: rows::room(row, 0)?,
                unread_count: row.get(9)?,
                mention_count: row.get(10)?,
            })
        })?
        .collect()
}

pub(crate) fn unread(
    c: &Connection,
    account: AccountId,
    user: UserId,
) -> rusqlite::Result<Vec<RoomUnread>> {
    c.prepare_cached(concat!(
        "SELECT mb.room_id, ",
        unread_col!(),
        ", mb.mention_count \
         FROM internal_chat_members mb JOIN internal_chat_rooms r ON r.id = mb.room_id \
         WHERE mb.user_id = ?1 AND mb.account_id = ?2 AND r.account_id = ?2 AND r.archived_at IS NULL \
         ORDER BY mb.room_id"
    ))?
    .query_map(params![user.0, account.0], |r| {
        Ok(RoomUnread {
            room_id: RoomId(r.get(0)?),
            unread_count: r.get(1)?,
            mention_count: r.get(2)?,
        })
    })?
    .collect()
}

pub(crate) fn list_audit(
    c: &Connection,
    account: AccountId,
    f: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<AuditEntry>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    // The time range is always bound (the whole of time without `from`/`to`), so that it is a
    // range of idx_audit_account_created_id rather than a filter; a cursor lowers its upper
    // end too, so a deep page seeks to its place instead of walking the newer entries.
    let upper =
        f.to.map_or(i64::MAX, |t| t.0)
            .min(at.map_or(i64::MAX, |a| a.saturating_add(1)));
    c.prepare_cached(AUDIT_SQL)?
        .query_map(
            params![
                account.0,
                f.action.map(|a| a.as_str()),
                f.actor_id.map(|u| u.0),
                f.target_id.as_deref(),
                at,
                id,
                limit,
                f.from.map_or(i64::MIN, |t| t.0),
                upper,
            ],
            rows::audit,
        )?
        .collect()
}

/// The audit listing: newest first by (`created_at`, `id`), in `[?8, ?9)`.
pub(crate) const AUDIT_SQL: &str = "SELECT id, account_id, actor_id, action, target_id, metadata, created_at \
     FROM internal_chat_audit \
     WHERE account_id = ?1 AND created_at >= ?8 AND created_at < ?9 \
       AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR actor_id = ?3) AND (?4 IS NULL OR target_id = ?4) \
       AND (?5 IS NULL OR created_at < ?5 OR (created_at = ?5 AND id < ?6)) \
     ORDER BY created_at DESC, id DESC LIMIT ?7";

/// [`list_audit`] oldest first (the export's order): the same index range read forwards.
pub(crate) fn list_audit_ascending(
    c: &Connection,
    account: AccountId,
    f: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<AuditEntry>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    // A cursor raises the range's lower end, so each page seeks to its place.
    let lower = f.from.map_or(i64::MIN, |t| t.0).max(at.unwrap_or(i64::MIN));
    c.prepare_cached(AUDIT_ASC_SQL)?
        .query_map(
            params![
                account.0,
                f.action.map(|a| a.as_str()),
                f.actor_id.map(|u| u.0),
                f.target_id.as_deref(),
                at,
                id,
                limit,
                lower,
                f.to.map_or(i64::MAX, |t| t.0),
            ],
            rows::audit,
        )?
        .collect()
}

/// The export's listing: oldest first by (`created_at`, `id`), in `[?8, ?9)`.
pub(crate) const AUDIT_ASC_SQL: &str = "SELECT id, account_id, actor_id, action, target_id, metadata, created_at \
     FROM internal_chat_audit \
     WHERE account_id = ?1 AND created_at >= ?8 AND created_at < ?9 \
       AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR actor_id = ?3) AND (?4 IS NULL OR target_id = ?4) \
       AND (?5 IS NULL OR created_at > ?5 OR (created_at = ?5 AND id > ?6)) \
     ORDER BY created_at, id LIMIT ?7";

/// Every live team room of the account by activity, with member counts. The account's team
/// rooms are found by the seed index `idx_rooms_account_type` and sorted (an account has
/// hundreds of rooms, not millions): an index on the activity would cost every send an index
/// update, for a manager's listing.
pub(crate) fn list_account_rooms(
    c: &Connection,
    account: AccountId,
    after: Option<RoomPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<RoomOverview>> {
    let (at, id) = match after {
        Some(p) => (Some(p.activity_at.0), Some(p.room.0)),
        None => (None, None),
    };
    c.prepare_cached(ACCOUNT_ROOMS_SQL)?
        .query_map(params![account.0, at, id, limit], |row| {
            Ok(RoomOverview {
                room: rows::room(row, 0)?,
                member_count: row.get(9)?,
            })
        })?
        .collect()
}

/// See [`list_account_rooms`].
pub(crate) const ACCOUNT_ROOMS_SQL: &str = concat!(
    "SELECT ",
    room_cols!(),
    ", (SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.room_id = r.id AND mb.account_id = ?1), \
            COALESCE(r.last_message_at, r.created_at) AS activity \
     FROM internal_chat_rooms r \
     WHERE r.account_id = ?1 AND r.type = 'room' AND r.archived_at IS NULL \
       AND (?2 IS NULL OR activity < ?2 OR (activity = ?2 AND r.id < ?3)) \
     ORDER BY activity DESC, r.id DESC LIMIT ?4"
);

pub(crate) fn list_notifications(
    c: &Connection,
    account: AccountId,
    user: UserId,
    unread_only: bool,
    after: Option<NotificationPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<Notification>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    c.prepare_cached(
        "SELECT id, user_id, kind, room_id, message_id, created_at, read_at FROM internal_chat_notifications \
         WHERE account_id = ?1 AND user_id = ?2 AND (?3 = 0 OR read_at IS NULL) \
           AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND id < ?5)) \
         ORDER BY created_at DESC, id DESC LIMIT ?6",
    )?
    .query_map(params![account.0, user.0, unread_only, at, id, limit], rows::notification)?
    .collect()
}
