//! The statistics reads: an account's activity by time bucket and its totals.
//!
//! Nothing is maintained for them on writes (see `chat_core::Chat::stats` for why, and
//! `docs/performance.md` for the figures): activity is one range of the seed index
//! `idx_messages_account_created` (`account_id, created_at`) read in time order and folded
//! into buckets here, plus the account's team rooms by `idx_rooms_account_type`; the facade
//! caches ended buckets, so a range is read once and later requests read the last minutes.

use chat_core::ids::{AccountId, Timestamp, UserId};
use chat_core::stats::{Activity, BucketUnit, StatsTotals};
use rusqlite::{params, Connection};

/// Messages of the account in `[?2, ?3)`, in time order (the index's, no sort).
pub(crate) const ACTIVITY_MESSAGES_SQL: &str =
    "SELECT created_at, sender_id FROM internal_chat_messages \
     WHERE account_id = ?1 AND created_at >= ?2 AND created_at < ?3 ORDER BY created_at";

/// Team rooms of the account created in `[?2, ?3)`, archived or not.
pub(crate) const ACTIVITY_ROOMS_SQL: &str = "SELECT created_at FROM internal_chat_rooms \
     WHERE account_id = ?1 AND type = 'room' AND created_at >= ?2 AND created_at < ?3";

/// See `ChatStore::activity`.
pub(crate) fn activity(
    c: &Connection,
    account: AccountId,
    from: Timestamp,
    to: Timestamp,
    unit: BucketUnit,
) -> rusqlite::Result<Vec<Activity>> {
    let mut out: Vec<Activity> = Vec::new();
    let mut stmt = c.prepare_cached(ACTIVITY_MESSAGES_SQL)?;
    let mut rows = stmt.query(params![account.0, from.0, to.0])?;
    while let Some(row) = rows.next()? {
        let start = unit.floor(Timestamp(row.get(0)?));
        let sender = UserId(row.get(1)?);
        let bucket = match out.last_mut() {
            Some(b) if b.start == start => b,
            _ => {
                if let Some(done) = out.last_mut() {
                    done.senders.sort_unstable();
                    done.senders.dedup();
                }
                out.push(Activity::empty(start));
                let Some(b) = out.last_mut() else {
                    continue;
                };
                b
            }
        };
        bucket.messages += 1;
        // Senders repeat a lot within a bucket: skip the common case of the same one again.
        if bucket.senders.last() != Some(&sender) {
            bucket.senders.push(sender);
        }
    }
    if let Some(last) = out.last_mut() {
        last.senders.sort_unstable();
        last.senders.dedup();
    }
    let mut stmt = c.prepare_cached(ACTIVITY_ROOMS_SQL)?;
    let created = stmt.query_map(params![account.0, from.0, to.0], |r| r.get::<_, i64>(0))?;
    for at in created {
        let start = unit.floor(Timestamp(at?));
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

/// See `ChatStore::stats_totals`; one snapshot.
pub(crate) fn totals(
    c: &Connection,
    account: AccountId,
    since: Timestamp,
) -> rusqlite::Result<StatsTotals> {
    let mut t = StatsTotals::default();
    let mut stmt = c.prepare_cached(
        "SELECT type, COUNT(*) FROM internal_chat_rooms \
         WHERE account_id = ?1 AND archived_at IS NULL GROUP BY type",
    )?;
    for row in stmt.query_map(params![account.0], |r| {
        Ok((r.get::<_, String>(0)?, count(r.get(1)?)))
    })? {
        match row? {
            (kind, n) if kind == "room" => t.rooms = n,
            (_, n) => t.dms = n,
        }
    }
    let (users, active): (i64, i64) = c
        .prepare_cached(
            "SELECT COUNT(*), COALESCE(SUM(last_seen_at >= ?2), 0) FROM internal_chat_directory \
             WHERE account_id = ?1 AND active = 1",
        )?
        .query_row(params![account.0, since.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
    (t.users, t.users_active_24h) = (count(users), count(active));
    let messages: i64 = c
        .prepare_cached(
            "SELECT COUNT(*) FROM internal_chat_messages WHERE account_id = ?1 AND created_at >= ?2",
        )?
        .query_row(params![account.0, since.0], |r| r.get(0))?;
    t.messages_24h = count(messages);
    Ok(t)
}

/// A SQL count (never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
