//! Preconditions: the facts a write's decision relied on, checked again inside its
//! transaction (reads only, so a refusal has written nothing).

use chat_core::ids::{AccountId, RoomId, UserId};
use chat_core::model::RoomRole;
use chat_core::store::Precondition;
use rusqlite::{params, Connection, OptionalExtension};

use crate::rows;

fn exists(tx: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<bool> {
    tx.prepare_cached(sql)?.exists(p)
}

/// [`Precondition::RoomLive`] and [`Precondition::Membership`] of the same room together:
/// the room is live in the account and `user`'s role in it is `role` (`None`: not a member).
pub(super) fn live_with_role(
    tx: &Connection,
    account: AccountId,
    room: RoomId,
    user: UserId,
    role: Option<RoomRole>,
) -> rusqlite::Result<bool> {
    let found: Option<Option<String>> = tx
        .prepare_cached(
            "SELECT mb.role FROM internal_chat_rooms r \
             LEFT JOIN internal_chat_members mb ON mb.room_id = r.id AND mb.user_id = ?2 AND mb.account_id = ?3 \
             WHERE r.id = ?1 AND r.account_id = ?3 AND r.archived_at IS NULL",
        )?
        .query_row(params![room.0, user.0, account.0], |r| r.get(0))
        .optional()?;
    Ok(match found {
        None => false,
        Some(current) => current.as_deref().and_then(RoomRole::parse) == role,
    })
}

pub(super) fn holds(
    tx: &Connection,
    account: AccountId,
    p: &Precondition,
) -> rusqlite::Result<bool> {
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
        Precondition::DirectoryIs(user, facts) => {
            let current: Option<(Option<String>, String, bool)> = tx
                .prepare_cached("SELECT name, role, active FROM internal_chat_directory WHERE account_id = ?1 AND user_id = ?2")?
                .query_row(params![a, user.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            let current = current.map(|(name, role, active)| {
                (name, chat_core::model::AccountRole::parse(&role), active)
            });
            Ok(match (current, facts) {
                (None, None) => true,
                (Some((name, Some(role), active)), Some(f)) => (name, role, active) == *f,
                _ => false,
            })
        }
        Precondition::EntitlementsAre(e) => {
            Ok(crate::reads::entitlements(tx, account)? == *e)
        }
        // A precondition this backend does not know cannot be checked: refuse the write.
        _ => Ok(false),
    }
}
