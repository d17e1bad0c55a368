//! The statistics reads: an account's activity by time bucket and its totals. Nothing is
//! maintained for them on writes (as on SQLite: see `chat_core::Chat::stats`): activity is
//! one range of `idx_messages_account_created` read in time order and folded into buckets
//! here, plus the account's team rooms by `idx_rooms_account_type`.

use chat_core::ids::{AccountId, Timestamp, UserId};
use chat_core::stats::{Activity, BucketUnit, StatsTotals};

use crate::error::Result;
use crate::tx::{get, one, rows as query, Conn};

/// Messages of the account in `[$2, $3)`, in time order (the index's, no sort).
const ACTIVITY_MESSAGES_SQL: &str = "SELECT created_at, sender_id FROM internal_chat_messages \
     WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at";

/// Team rooms of the account created in `[$2, $3)`, archived or not.
const ACTIVITY_ROOMS_SQL: &str = "SELECT created_at FROM internal_chat_rooms \
     WHERE account_id = $1 AND type = 'room' AND created_at >= $2 AND created_at < $3";

/// See `ChatStore::activity`.
pub(crate) async fn activity(
    c: &Conn,
    account: AccountId,
    from: Timestamp,
    to: Timestamp,
    unit: BucketUnit,
) -> Result<Vec<Activity>> {
    let mut out: Vec<Activity> = Vec::new();
    for row in query(c, ACTIVITY_MESSAGES_SQL, &[&account.0, &from.0, &to.0]).await? {
        let start = unit.floor(Timestamp(get(&row, 0)?));
        let sender = UserId(get(&row, 1)?);
        if out.last().is_none_or(|b| b.start != start) {
            out.push(Activity::empty(start));
        }
        if let Some(bucket) = out.last_mut() {
            bucket.messages += 1;
            bucket.senders.push(sender);
        }
    }
    for bucket in &mut out {
        bucket.senders.sort_unstable();
        bucket.senders.dedup();
    }
    for row in query(c, ACTIVITY_ROOMS_SQL, &[&account.0, &from.0, &to.0]).await? {
        let start = unit.floor(Timestamp(get(&row, 0)?));
        match out.binary_search_by_key(&start, |b| b.start) {
            Ok(i) => out[i].rooms_created += 1,
            Err(i) => {
                let mut b = Activity::empty(start);
                b.rooms_created = 1;
                out.insert(i, b);
            }
        }
    }
    Ok(out)
}

/// See `ChatStore::stats_totals` (in the caller's snapshot).
pub(crate) async fn totals(c: &Conn, account: AccountId, since: Timestamp) -> Result<StatsTotals> {
    let row = one(
        c,
        "SELECT \
           (SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = $1 AND archived_at IS NULL AND type = 'room'), \
           (SELECT COUNT(*) FROM internal_chat_rooms WHERE account_id = $1 AND archived_at IS NULL AND type = 'dm'), \
           (SELECT COUNT(*) FROM internal_chat_directory WHERE account_id = $1 AND active), \
           (SELECT COUNT(*) FROM internal_chat_directory WHERE account_id = $1 AND active AND last_seen_at >= $2), \
           (SELECT COUNT(*) FROM internal_chat_messages WHERE account_id = $1 AND created_at >= $2)",
        &[&account.0, &since.0],
    )
    .await?;
    let count = |i: usize| -> Result<u64> { Ok(u64::try_from(get::<i64>(&row, i)?).unwrap_or(0)) };
    Ok(StatsTotals {
        rooms: count(0)?,
        dms: count(1)?,
        users: count(2)?,
        users_active_24h: count(3)?,
        messages_24h: count(4)?,
    })
}
