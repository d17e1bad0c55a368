//! Queries. Every statement carries `account_id` in its `WHERE` clause (and row-level
//! security filters it again); room content also requires the reader's membership, so a
//! decision made on stale facts fails closed.

use chat_core::ids::{AccountId, MessageId, RoomId, UserId};
use chat_core::model::{
    AuditEntry, DirectoryEntry, Entitlements, Message, Notification, RoomDetail, RoomOverview,
    RoomRole, RoomSummary, RoomUnread,
};
use chat_core::store::{
    AuditFilter, AuditPosition, MessageAccess, NotificationPosition, RoomAccess, RoomPosition,
    Window,
};

use crate::error::{internal, Result};
use crate::rows::{self, member_cols, message_cols, room_cols, unread_col};
use crate::tx::{get, one, opt, rows as query, Conn};

pub(crate) async fn room_access(
    c: &Conn,
    account: AccountId,
    room: RoomId,
    user: UserId,
) -> Result<Option<RoomAccess>> {
    const SQL: &str = concat!(
        "SELECT ",
        room_cols!(),
        ", mb.role FROM internal_chat_rooms r \
         LEFT JOIN internal_chat_members mb ON mb.account_id = r.account_id AND mb.room_id = r.id AND mb.user_id = $3 \
         WHERE r.account_id = $2 AND r.id = $1 AND r.archived_at IS NULL"
    );
    let Some(row) = opt(c, SQL, &[&room.0, &account.0, &user.0]).await? else {
        return Ok(None);
    };
    let role: Option<&str> = get(&row, 9)?;
    Ok(Some(RoomAccess {
        room: rows::room(&row, 0)?,
        membership: role.and_then(RoomRole::parse),
    }))
}

pub(crate) async fn message_access(
    c: &Conn,
    account: AccountId,
    message: MessageId,
    user: UserId,
) -> Result<Option<MessageAccess>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m WHERE m.account_id = $2 AND m.id = $1"
    );
    let Some(row) = opt(c, SQL, &[&message.0, &account.0]).await? else {
        return Ok(None);
    };
    let msg = rows::message(&row, 0)?;
    Ok(room_access(c, account, msg.room_id, user)
        .await?
        .map(|room| MessageAccess { message: msg, room }))
}

pub(crate) async fn message_by_client_id(
    c: &Conn,
    account: AccountId,
    room: RoomId,
    sender: UserId,
    client_id: &str,
) -> Result<Option<Message>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m \
         JOIN internal_chat_rooms r ON r.account_id = $4 AND r.id = m.room_id AND r.archived_at IS NULL \
         JOIN internal_chat_members mb ON mb.account_id = $4 AND mb.room_id = m.room_id AND mb.user_id = $2 \
         WHERE m.account_id = $4 AND m.room_id = $1 AND m.sender_id = $2 AND m.client_id = $3"
    );
    opt(c, SQL, &[&room.0, &sender.0, &client_id, &account.0])
        .await?
        .map(|row| rows::message(&row, 0))
        .transpose()
}

pub(crate) async fn directory(
    c: &Conn,
    account: AccountId,
    users: &[UserId],
) -> Result<Vec<DirectoryEntry>> {
    let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
    let found = query(
        c,
        "SELECT account_id, user_id, name, role, active, last_seen_at FROM internal_chat_directory \
         WHERE account_id = $1 AND user_id = ANY($2)",
        &[&account.0, &ids],
    )
    .await?;
    let mut found = rows::all(&found, rows::directory)?;
    // In the order asked (as SQLite's one lookup per user returns them).
    found.sort_by_key(|e| ids.iter().position(|u| *u == e.user_id.0));
    Ok(found)
}

pub(crate) async fn entitlements(c: &Conn, account: AccountId) -> Result<Entitlements> {
    let row = opt(
        c,
        "SELECT chat_enabled, max_rooms, max_members_per_room FROM internal_chat_entitlements WHERE account_id = $1",
        &[&account.0],
    )
    .await?;
    let Some(row) = row else {
        return Ok(Entitlements::default());
    };
    let limit = |i: usize| -> Result<Option<u32>> {
        get::<Option<i64>>(&row, i)?
            .map(|n| u32::try_from(n).map_err(internal))
            .transpose()
    };
    Ok(Entitlements {
        chat_enabled: get(&row, 0)?,
        max_rooms: limit(1)?,
        max_members_per_room: limit(2)?,
    })
}

pub(crate) async fn find_dm(
    c: &Conn,
    account: AccountId,
    pair: (UserId, UserId),
) -> Result<Option<RoomId>> {
    opt(
        c,
        "SELECT id FROM internal_chat_rooms WHERE account_id = $1 AND dm_key = $2 AND archived_at IS NULL",
        &[&account.0, &rows::dm_key(pair)],
    )
    .await?
    .map(|r| get(&r, 0).map(RoomId))
    .transpose()
}

pub(crate) async fn live_team_rooms(c: &Conn, account: AccountId) -> Result<u64> {
    let row = one(
        c,
        "SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = $1 AND type = 'room' AND archived_at IS NULL",
        &[&account.0],
    )
    .await?;
    Ok(u64::try_from(get::<i64>(&row, 0)?).unwrap_or(0))
}

pub(crate) async fn room_detail(
    c: &Conn,
    account: AccountId,
    room: RoomId,
) -> Result<Option<RoomDetail>> {
    const SQL: &str = concat!(
        "SELECT ",
        room_cols!(),
        " FROM internal_chat_rooms r WHERE r.account_id = $2 AND r.id = $1 AND r.archived_at IS NULL"
    );
    let Some(row) = opt(c, SQL, &[&room.0, &account.0]).await? else {
        return Ok(None);
    };
    const MEMBERS_SQL: &str = concat!(
        "SELECT ",
        member_cols!(),
        " FROM internal_chat_members mb WHERE mb.account_id = $2 AND mb.room_id = $1 ORDER BY mb.user_id"
    );
    let members = query(c, MEMBERS_SQL, &[&room.0, &account.0]).await?;
    Ok(Some(RoomDetail {
        room: rows::room(&row, 0)?,
        members: rows::all(&members, |r| rows::member(r, 0))?,
    }))
}

pub(crate) async fn list_messages(
    c: &Conn,
    account: AccountId,
    room: RoomId,
    user: UserId,
    window: Window,
    limit: u32,
) -> Result<Vec<Message>> {
    const OLDER: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m \
         WHERE m.account_id = $2 AND m.room_id = $1 AND m.seq < $3 \
           AND EXISTS (SELECT 1 FROM internal_chat_members mb WHERE mb.account_id = $2 AND mb.room_id = $1 AND mb.user_id = $4) \
         ORDER BY m.seq DESC LIMIT $5"
    );
    const NEWER: &str = concat!(
        "SELECT ",
        message_cols!(),
        " FROM internal_chat_messages m \
         WHERE m.account_id = $2 AND m.room_id = $1 AND m.seq > $3 \
           AND EXISTS (SELECT 1 FROM internal_chat_members mb WHERE mb.account_id = $2 AND mb.room_id = $1 AND mb.user_id = $4) \
         ORDER BY m.seq ASC LIMIT $5"
    );
    let (sql, bound) = match window {
        Window::Before(before) => (OLDER, before.unwrap_or(i64::MAX)),
        Window::After(after) => (NEWER, after),
    };
    let found = query(
        c,
        sql,
        &[&room.0, &account.0, &bound, &user.0, &i64::from(limit)],
    )
    .await?;
    let mut page = rows::all(&found, |r| rows::message(r, 0))?;
    if matches!(window, Window::After(_)) {
        page.reverse();
    }
    Ok(page)
}

/// The member's read pointer, `None` when they are not a member of the live room.
pub(crate) async fn read_pointer(
    c: &Conn,
    account: AccountId,
    room: RoomId,
    user: UserId,
) -> Result<Option<i64>> {
    opt(
        c,
        "SELECT mb.last_read_seq FROM internal_chat_members mb \
         JOIN internal_chat_rooms r ON r.account_id = $3 AND r.id = mb.room_id \
         WHERE mb.account_id = $3 AND mb.room_id = $1 AND mb.user_id = $2 AND r.archived_at IS NULL",
        &[&room.0, &user.0, &account.0],
    )
    .await?
    .map(|r| get(&r, 0))
    .transpose()
}

/// The keyset bounds of a room position, as bound parameters.
fn position(after: Option<RoomPosition>) -> (Option<i64>, Option<uuid::Uuid>) {
    match after {
        Some(p) => (Some(p.activity_at.0), Some(p.room.0)),
        None => (None, None),
    }
}

pub(crate) async fn list_rooms(
    c: &Conn,
    account: AccountId,
    user: UserId,
    after: Option<RoomPosition>,
    limit: u32,
) -> Result<Vec<RoomSummary>> {
    // The activity key is computed, so the user's memberships (hundreds at most) are sorted:
    // cheaper than maintaining a per-member activity column on every send.
    const SQL: &str = concat!(
        "SELECT ",
        room_cols!(),
        ", ",
        unread_col!(),
        ", mb.mention_count FROM internal_chat_members mb \
         JOIN internal_chat_rooms r ON r.account_id = $2 AND r.id = mb.room_id \
         WHERE mb.account_id = $2 AND mb.user_id = $1 AND r.archived_at IS NULL \
           AND ($3::bigint IS NULL OR COALESCE(r.last_message_at, r.created_at) < $3 \
                OR (COALESCE(r.last_message_at, r.created_at) = $3 AND r.id < $4::uuid)) \
         ORDER BY COALESCE(r.last_message_at, r.created_at) DESC, r.id DESC LIMIT $5"
    );
    let (at, id) = position(after);
    let found = query(c, SQL, &[&user.0, &account.0, &at, &id, &i64::from(limit)]).await?;
    rows::all(&found, |row| {
        Ok(RoomSummary {
            room: rows::room(row, 0)?,
            unread_count: get(row, 9)?,
            mention_count: get(row, 10)?,
        })
    })
}

pub(crate) async fn unread(c: &Conn, account: AccountId, user: UserId) -> Result<Vec<RoomUnread>> {
    const SQL: &str = concat!(
        "SELECT mb.room_id, ",
        unread_col!(),
        ", mb.mention_count FROM internal_chat_members mb \
         JOIN internal_chat_rooms r ON r.account_id = $2 AND r.id = mb.room_id \
         WHERE mb.account_id = $2 AND mb.user_id = $1 AND r.archived_at IS NULL \
         ORDER BY mb.room_id"
    );
    let found = query(c, SQL, &[&user.0, &account.0]).await?;
    rows::all(&found, |r| {
        Ok(RoomUnread {
            room_id: RoomId(get(r, 0)?),
            unread_count: get(r, 1)?,
            mention_count: get(r, 2)?,
        })
    })
}

/// The audit listing: newest first by (`created_at`, `id`), in `[$8, $9)`.
pub(crate) const AUDIT_SQL: &str =
    "SELECT id, account_id, actor_id, action, target_id, metadata, created_at \
     FROM internal_chat_audit \
     WHERE account_id = $1 AND created_at >= $8 AND created_at < $9 \
       AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR actor_id = $3) \
       AND ($4::text IS NULL OR target_id = $4) \
       AND ($5::bigint IS NULL OR created_at < $5 OR (created_at = $5 AND id < $6::uuid)) \
     ORDER BY created_at DESC, id DESC LIMIT $7";

pub(crate) async fn list_audit(
    c: &Conn,
    account: AccountId,
    f: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    // The time range is always bound (the whole of time without `from`/`to`), so that it is a
    // range of idx_audit_account_created_id; a cursor lowers its upper end too.
    let upper =
        f.to.map_or(i64::MAX, |t| t.0)
            .min(at.map_or(i64::MAX, |a| a.saturating_add(1)));
    let found = query(
        c,
        AUDIT_SQL,
        &[
            &account.0,
            &f.action.map(|a| a.as_str()),
            &f.actor_id.map(|u| u.0),
            &f.target_id.as_deref(),
            &at,
            &id,
            &i64::from(limit),
            &f.from.map_or(i64::MIN, |t| t.0),
            &upper,
        ],
    )
    .await?;
    rows::all(&found, rows::audit)
}

/// The export's listing: oldest first by (`created_at`, `id`), in `[$8, $9)`.
pub(crate) const AUDIT_ASC_SQL: &str =
    "SELECT id, account_id, actor_id, action, target_id, metadata, created_at \
     FROM internal_chat_audit \
     WHERE account_id = $1 AND created_at >= $8 AND created_at < $9 \
       AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR actor_id = $3) \
       AND ($4::text IS NULL OR target_id = $4) \
       AND ($5::bigint IS NULL OR created_at > $5 OR (created_at = $5 AND id > $6::uuid)) \
     ORDER BY created_at, id LIMIT $7";

/// [`list_audit`] oldest first (the export's order): the same index range read forwards.
pub(crate) async fn list_audit_ascending(
    c: &Conn,
    account: AccountId,
    f: &AuditFilter,
    after: Option<&AuditPosition>,
    limit: u32,
) -> Result<Vec<AuditEntry>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    // A cursor raises the range's lower end, so each page seeks to its place.
    let lower = f.from.map_or(i64::MIN, |t| t.0).max(at.unwrap_or(i64::MIN));
    let found = query(
        c,
        AUDIT_ASC_SQL,
        &[
            &account.0,
            &f.action.map(|a| a.as_str()),
            &f.actor_id.map(|u| u.0),
            &f.target_id.as_deref(),
            &at,
            &id,
            &i64::from(limit),
            &lower,
            &f.to.map_or(i64::MAX, |t| t.0),
        ],
    )
    .await?;
    rows::all(&found, rows::audit)
}

/// Every live team room of the account by activity, with member counts.
pub(crate) async fn list_account_rooms(
    c: &Conn,
    account: AccountId,
    after: Option<RoomPosition>,
    limit: u32,
) -> Result<Vec<RoomOverview>> {
    const SQL: &str = concat!(
        "SELECT ",
        room_cols!(),
        ", (SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.account_id = $1 AND mb.room_id = r.id) \
         FROM internal_chat_rooms r \
         WHERE r.account_id = $1 AND r.type = 'room' AND r.archived_at IS NULL \
           AND ($2::bigint IS NULL OR COALESCE(r.last_message_at, r.created_at) < $2 \
                OR (COALESCE(r.last_message_at, r.created_at) = $2 AND r.id < $3::uuid)) \
         ORDER BY COALESCE(r.last_message_at, r.created_at) DESC, r.id DESC LIMIT $4"
    );
    let (at, id) = position(after);
    let found = query(c, SQL, &[&account.0, &at, &id, &i64::from(limit)]).await?;
    rows::all(&found, |row| {
        Ok(RoomOverview {
            room: rows::room(row, 0)?,
            member_count: get(row, 9)?,
        })
    })
}

pub(crate) async fn list_notifications(
    c: &Conn,
    account: AccountId,
    user: UserId,
    unread_only: bool,
    after: Option<NotificationPosition>,
    limit: u32,
) -> Result<Vec<Notification>> {
    let (at, id) = match after {
        Some(p) => (Some(p.created_at.0), Some(p.id.0)),
        None => (None, None),
    };
    let found = query(
        c,
        "SELECT id, user_id, kind, room_id, message_id, created_at, read_at FROM internal_chat_notifications \
         WHERE account_id = $1 AND user_id = $2 AND (NOT $3 OR read_at IS NULL) \
           AND ($4::bigint IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5::uuid)) \
         ORDER BY created_at DESC, id DESC LIMIT $6",
        &[&account.0, &user.0, &unread_only, &at, &id, &i64::from(limit)],
    )
    .await?;
    rows::all(&found, rows::notification)
}
