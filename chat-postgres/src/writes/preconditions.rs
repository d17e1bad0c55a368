//! Preconditions: the facts a write's decision relied on, checked again inside its
//! transaction after its locks (`locks`) are held, so they still hold at the commit. Reads
//! only: a refusal has written nothing.

use chat_core::ids::AccountId;
use chat_core::model::{AccountRole, RoomRole};
use chat_core::store::{Precondition, StoreError, Write};

use crate::error::Result;
use crate::rows;
use crate::tx::{get, one, opt, rows as query, Conn};

/// Every precondition of `write`, in order; the first that fails is a
/// [`StoreError::Conflict`] naming it.
pub(super) async fn check(c: &Conn, write: &Write) -> Result<()> {
    for p in write.preconditions() {
        if !holds(c, write.account(), p).await? {
            return Err(StoreError::Conflict(format!("precondition failed: {p:?}")));
        }
    }
    Ok(())
}

async fn exists(
    c: &Conn,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<bool> {
    Ok(opt(c, sql, params).await?.is_some())
}

async fn holds(c: &Conn, account: AccountId, p: &Precondition) -> Result<bool> {
    let a = account.0;
    match p {
        Precondition::RoomLive(room) => {
            exists(
                c,
                "SELECT 1 FROM internal_chat_rooms WHERE account_id = $2 AND id = $1 AND archived_at IS NULL",
                &[&room.0, &a],
            )
            .await
        }
        Precondition::Membership { room, user, role } => {
            let current = opt(
                c,
                "SELECT role FROM internal_chat_members WHERE account_id = $3 AND room_id = $1 AND user_id = $2",
                &[&room.0, &user.0, &a],
            )
            .await?;
            let current = match &current {
                Some(row) => RoomRole::parse(get(row, 0)?),
                None => None,
            };
            Ok(current == *role)
        }
        Precondition::UsersActive(users) => {
            let mut ids: Vec<i64> = users.iter().map(|u| u.0).collect();
            ids.sort_unstable();
            ids.dedup();
            // FOR SHARE: a deactivation (an update of the row) waits until this write ends.
            let active = query(
                c,
                "SELECT user_id FROM internal_chat_directory \
                 WHERE account_id = $1 AND user_id = ANY($2) AND active ORDER BY user_id FOR SHARE",
                &[&a, &ids],
            )
            .await?;
            Ok(active.len() == ids.len())
        }
        Precondition::NoLiveDm(low, high) => {
            // A concurrent creation of the same pair is stopped by idx_rooms_live_dm.
            exists(
                c,
                "SELECT 1 FROM internal_chat_rooms WHERE account_id = $1 AND dm_key = $2 AND archived_at IS NULL",
                &[&a, &rows::dm_key((*low, *high))],
            )
            .await
            .map(|found| !found)
        }
        Precondition::NoClientId {
            room,
            sender,
            client_id,
        } => exists(
            c,
            "SELECT 1 FROM internal_chat_messages \
             WHERE account_id = $4 AND room_id = $1 AND sender_id = $2 AND client_id = $3",
            &[&room.0, &sender.0, client_id, &a],
        )
        .await
        .map(|found| !found),
        Precondition::LiveTeamRoomsBelow(max) => {
            let n: i64 = get(
                &one(
                    c,
                    "SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = $1 AND type = 'room' AND archived_at IS NULL",
                    &[&a],
                )
                .await?,
                0,
            )?;
            Ok(n < i64::from(*max))
        }
        Precondition::MembersAtMost { room, max } => {
            let n: i64 = get(
                &one(
                    c,
                    "SELECT COUNT(*) FROM internal_chat_members WHERE account_id = $2 AND room_id = $1",
                    &[&room.0, &a],
                )
                .await?,
                0,
            )?;
            Ok(n <= i64::from(*max))
        }
        Precondition::MessageLive(id) => {
            exists(
                c,
                "SELECT 1 FROM internal_chat_messages WHERE account_id = $2 AND id = $1 AND deleted_at IS NULL",
                &[&id.0, &a],
            )
            .await
        }
        Precondition::DirectoryIs(user, facts) => {
            let current = opt(
                c,
                "SELECT name, role, active FROM internal_chat_directory \
                 WHERE account_id = $1 AND user_id = $2 FOR NO KEY UPDATE",
                &[&a, &user.0],
            )
            .await?;
            let current = match &current {
                Some(row) => Some((
                    get::<Option<String>>(row, 0)?,
                    AccountRole::parse(get(row, 1)?),
                    get::<bool>(row, 2)?,
                )),
                None => None,
            };
            Ok(match (current, facts) {
                (None, None) => true,
                (Some((name, Some(role), active)), Some(f)) => (name, role, active) == *f,
                _ => false,
            })
        }
        Precondition::EntitlementsAre(e) => Ok(crate::reads::entitlements(c, account).await? == *e),
        // A precondition this backend does not know cannot be checked: refuse the write.
        _ => Ok(false),
    }
}
