//! The event log: appended inside the write transaction, read by subscribers, pruned by
//! retention.

use crate::error::Result;
use chat_core::events::{Audience, Event, EventDraft, EventType, LogSlice, Payload};
use chat_core::ids::{AccountId, RoomId, Timestamp, UserId};
use chat_core::store::Applied;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension};

use crate::audiences::Audiences;
use crate::error::internal;
use crate::options::Retention;

/// Prune an account's log every this many events (amortizes the DELETE).
const PRUNE_EVERY: i64 = 256;

/// The data of an event that carries the write's applied resource.
pub(crate) fn applied_json(applied: &Applied) -> serde_json::Value {
    match applied {
        Applied::Room(r) => serde_json::json!(r),
        Applied::Message(m) => serde_json::json!(m),
        Applied::Read(r) => serde_json::json!(r),
        _ => serde_json::Value::Null,
    }
}

/// The newest id ever handed out in an account's log — the larger of the newest row's and the
/// counter row's `last_id` (pruning may have emptied the log) — and how far it was pruned.
fn head(c: &Connection, a: i64) -> rusqlite::Result<(i64, i64)> {
    let newest: i64 = c
        .prepare_cached(
            "SELECT COALESCE(MAX(id), 0) FROM internal_chat_events WHERE account_id = ?1",
        )?
        .query_row([a], |r| r.get(0))?;
    let (counted, pruned_through): (i64, i64) = c
        .prepare_cached(
            "SELECT last_id, pruned_through FROM internal_chat_event_counters WHERE account_id = ?1",
        )?
        .query_row([a], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    Ok((newest.max(counted), pruned_through))
}

/// The newest event id handed out, by account, remembered for the length of one transaction
/// so a batch of writes reads each account's head once (the transaction holds the write
/// lock: nobody else moves it). A write that rolls back must restore the map as it was.
pub(crate) type Heads = std::collections::HashMap<i64, i64>;

/// Appends the drafts with the account's next ids; returns the stored events.
///
/// One row per event and nothing else (see migration 005): events about a message store no
/// data (they are rendered from the message row when read), and the counter row is only
/// written when pruning. `ts` is the clock's time: retention by age walks the log from its
/// oldest end (see [`prune`]).
pub(crate) fn append(
    tx: &Connection,
    account: AccountId,
    drafts: &[EventDraft],
    applied: &Applied,
    retention: &Retention,
    heads: &mut Heads,
    audiences: &mut Audiences,
) -> Result<Vec<Event>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let a = account.0;
    let mut last = match heads.get(&a) {
        Some(last) => *last,
        None => head(tx, a).map_err(internal)?.0,
    };
    let first = last + 1;
    let ts = Timestamp::now();
    let mut out = Vec::with_capacity(drafts.len());
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_events (account_id, id, type, room_id, ts, data, audience, message_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(internal)?;
    for d in drafts {
        last += 1;
        let data = match &d.payload {
            Payload::Json(v) => v.clone(),
            // A message event's data is never stored (it is rendered from the message when
            // read), and the caller renders it for the live event, off the writer thread
            // (`SqliteStore::apply`).
            _ if d.message_id.is_some() => serde_json::Value::Null,
            _ => applied_json(applied),
        };
        let to = audiences
            .resolve(tx, account, &d.audience)
            .map_err(internal)?;
        let stored = match d.message_id {
            Some(_) => String::new(),
            None => data.to_string(),
        };
        stmt.execute(params![
            a,
            last,
            d.kind.as_str(),
            d.room_id.map(|r| r.0),
            ts.0,
            stored,
            &*to.json,
            d.message_id.map(|m| m.0)
        ])
        .map_err(internal)?;
        out.push(Event::new(
            Some(last),
            d.kind,
            account,
            d.room_id,
            ts,
            data,
            Audience::users(to.users.to_vec()),
        ));
    }
    heads.insert(a, last);
    if (first..=last).any(|id| id % PRUNE_EVERY == 0) {
        prune(tx, a, last, ts, retention).map_err(internal)?;
    }
    Ok(out)
}

/// Most expired events one prune drops by age (prunes run every [`PRUNE_EVERY`] events, so
/// a backlog of expired events is cleared eight times faster than events arrive).
const PRUNE_AGE_BATCH: i64 = 2048;

/// Drops what retention no longer keeps and records the highest id dropped, so resumes from
/// before it are told to resync, and the newest id handed out (`last`), so ids are never
/// reused even when everything was dropped.
fn prune(
    tx: &Connection,
    a: i64,
    last: i64,
    now: Timestamp,
    retention: &Retention,
) -> rusqlite::Result<()> {
    let max_age = i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX);
    let by_count = last - retention.max_events;
    let by_age = now.0.saturating_sub(max_age);
    // Two range lookups on the primary key: by count, the newest id that is too old by
    // position; by age, the newest expired id among the oldest ones. Times follow ids except
    // when the clock steps: an event stamped in the future (the clock jumped ahead) is dropped
    // with the expired ones after it rather than holding the log, and one stamped in the past
    // may take a few newer ones among the oldest with it — never the log's recent end.
    let by_count: Option<i64> = tx
        .prepare_cached(
            "SELECT MAX(id) FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2",
        )?
        .query_row(params![a, by_count], |r| r.get(0))?;
    let by_age: Option<i64> = tx
        .prepare_cached(
            "SELECT MAX(id) FROM (SELECT id, ts FROM internal_chat_events WHERE account_id = ?1 \
             ORDER BY id LIMIT ?3) WHERE ts < ?2",
        )?
        .query_row(params![a, by_age, PRUNE_AGE_BATCH], |r| r.get(0))?;
    let through = by_count.max(by_age).unwrap_or(0);
    if through > 0 {
        tx.prepare_cached("DELETE FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2")?
            .execute(params![a, through])?;
    }
    tx.prepare_cached(
        "INSERT INTO internal_chat_event_counters (account_id, last_id, pruned_through) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id), \
           pruned_through = MAX(pruned_through, excluded.pruned_through)",
    )?
    .execute(params![a, last, through])?;
    Ok(())
}

/// An event from the columns of [`after`]'s query: `account_id, id, type, room_id, ts, data,
/// audience`, then the message columns (NULL unless the event is about a message).
fn event(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let bad = |i: usize| {
        rusqlite::Error::FromSqlConversionFailure(i, Type::Text, "bad event column".into())
    };
    let kind: String = row.get(2)?;
    let audience: String = row.get(6)?;
    let users: Vec<i64> = serde_json::from_str(&audience).map_err(|_| bad(6))?;
    let about_message = row.get::<_, Option<uuid::Uuid>>(7)?.is_some();
    let data = if about_message {
        // The message as it is now: edited text, or none once deleted.
        serde_json::json!(crate::rows::message(row, 7)?)
    } else {
        let data: String = row.get(5)?;
        if data.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&data).map_err(|_| bad(5))?
        }
    };
    Ok(Event::new(
        Some(row.get(1)?),
        EventType::parse(&kind).ok_or_else(|| bad(2))?,
        AccountId(row.get(0)?),
        row.get::<_, Option<uuid::Uuid>>(3)?.map(RoomId),
        Timestamp(row.get(4)?),
        data,
        Audience::users(users.into_iter().map(UserId).collect()),
    ))
}

/// Events after `after` (ascending, at most `limit`) and the log's bounds.
///
/// What the API no longer shows is never replayed: events about a message carry the message
/// as it is now, and events of an archived room are skipped (but its `room.deleted`; the
/// archiving write also deletes them, see [`forget_room`]). Bounds and events come from one
/// snapshot, so every replayable id up to `last_id` is in a slice shorter than `limit`.
pub(crate) fn after(
    c: &Connection,
    account: AccountId,
    after: i64,
    limit: u32,
) -> rusqlite::Result<LogSlice> {
    let a = account.0;
    // One snapshot for the bounds and the events: a prune committing between two reads would
    // otherwise drop events this slice claims are still there.
    let tx = c.unchecked_transaction()?;
    let (last_id, pruned_through) = head(&tx, a)?;
    let events = tx
        .prepare_cached(concat!(
            "SELECT e.account_id, e.id, e.type, e.room_id, e.ts, e.data, e.audience, ",
            crate::rows::message_cols!(),
            " FROM internal_chat_events e \
             LEFT JOIN internal_chat_messages m ON m.id = e.message_id AND m.account_id = e.account_id \
             LEFT JOIN internal_chat_rooms r ON r.id = e.room_id AND r.account_id = e.account_id \
             WHERE e.account_id = ?1 AND e.id > ?2 AND (r.archived_at IS NULL OR e.type = 'room.deleted') \
             ORDER BY e.id LIMIT ?3"
        ))?
        .query_map(params![a, after, limit], event)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.commit()?;
    Ok(LogSlice {
        events,
        pruned_through,
        last_id,
    })
}

/// Deletes an archived room's logged events (the `room.deleted` of the archiving write is
/// appended afterwards and stays). Without an index by room this walks the account's log,
/// which retention bounds; archiving is rare, and replays are spared the filtering.
///
/// The newest ids may be among those deleted, so the newest id handed out is recorded in the
/// counter row first: ids are never reused.
pub(crate) fn forget_room(tx: &Connection, account: AccountId, room: RoomId) -> Result<()> {
    let a = account.0;
    let (last, _) = head(tx, a).map_err(internal)?;
    tx.prepare_cached(
        "INSERT INTO internal_chat_event_counters (account_id, last_id) VALUES (?1, ?2) \
         ON CONFLICT (account_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)",
    )
    .and_then(|mut s| s.execute(params![a, last]))
    .map_err(internal)?;
    tx.prepare_cached("DELETE FROM internal_chat_events WHERE account_id = ?1 AND room_id = ?2")
        .and_then(|mut s| s.execute(params![a, room.0]))
        .map_err(internal)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use chat_core::events::AudienceRule;

    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::migrate::migrate(&mut c).unwrap();
        c
    }

    fn draft() -> EventDraft {
        EventDraft {
            kind: EventType::NotificationCreated,
            room_id: None,
            payload: Payload::Json(serde_json::json!({ "n": 1 })),
            audience: AudienceRule::Users(vec![UserId(1)]),
            message_id: None,
        }
    }

    /// Events `ids` of account 1 written directly, dated `ts`.
    fn old_events(c: &Connection, ids: std::ops::RangeInclusive<i64>, ts: i64) {
        for id in ids {
            c.execute(
                "INSERT INTO internal_chat_events (account_id, id, type, ts, data, audience) \
                 VALUES (1, ?1, 'notification.created', ?2, '{}', '[1]')",
                params![id, ts],
            )
            .unwrap();
        }
    }

    fn ids(c: &Connection) -> Vec<i64> {
        c.prepare("SELECT id FROM internal_chat_events WHERE account_id = 1 ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(std::result::Result::unwrap)
            .collect()
    }

    /// Appends one event to account 1's log, as a write would.
    fn push(c: &Connection, retention: &Retention, heads: &mut Heads) -> Event {
        let mut events = append(
            c,
            AccountId(1),
            &[draft()],
            &Applied::Done,
            retention,
            heads,
            &mut crate::audiences::Audiences::default(),
        )
        .unwrap();
        events.remove(0)
    }

    const DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn age_pruning_walks_from_the_oldest_end_and_ids_are_never_reused() {
        let c = db();
        let keep = Retention {
            max_events: 1_000_000,
            max_age: DAY,
        };
        // 3,000 expired events, then appends up to the next prune point (id 3,072).
        old_events(&c, 1..=3_000, 1_000);
        for _ in 0..72 {
            push(&c, &keep, &mut Heads::new());
        }
        // One pass drops at most PRUNE_AGE_BATCH expired events, oldest first.
        let left = ids(&c);
        assert_eq!(left.first(), Some(&(PRUNE_AGE_BATCH + 1)));
        let slice = after(&c, AccountId(1), 0, 10).unwrap();
        assert_eq!(slice.pruned_through, PRUNE_AGE_BATCH);
        assert_eq!(slice.last_id, 3_072);
        // Everything expired: the log empties, and the next id still follows the last one.
        let gone = Retention {
            max_events: 1_000_000,
            max_age: Duration::ZERO,
        };
        c.execute("UPDATE internal_chat_events SET ts = 0", [])
            .unwrap();
        for _ in 0..256 {
            push(&c, &gone, &mut Heads::new());
        }
        c.execute("DELETE FROM internal_chat_events", []).unwrap();
        let slice = after(&c, AccountId(1), 0, 10).unwrap();
        assert_eq!(
            slice.last_id, 3_328,
            "the counter row remembers the last id"
        );
        let next = push(&c, &keep, &mut Heads::new());
        assert_eq!(next.id, Some(3_329));
    }

    #[test]
    fn a_clock_that_jumped_ahead_neither_holds_nor_wipes_the_log() {
        let c = db();
        let week = Retention {
            max_events: 1_000_000,
            max_age: 7 * DAY,
        };
        // Event 1 stamped 30 days ahead, then events written at the right time.
        old_events(&c, 1..=1, Timestamp::now().0 + 30 * 86_400_000);
        let mut heads = Heads::new();
        let next = push(&c, &week, &mut heads);
        assert!(next.ts.0 <= Timestamp::now().0, "stamped with the clock");
        for _ in 0..300 {
            push(&c, &week, &mut heads);
        }
        assert_eq!(ids(&c).len(), 302, "nothing recent was pruned");
        // Once the later events expire, the early one goes with them.
        c.execute(
            "UPDATE internal_chat_events SET ts = 0 WHERE id BETWEEN 2 AND 200",
            [],
        )
        .unwrap();
        for _ in 0..210 {
            push(&c, &week, &mut heads);
        }
        assert_eq!(ids(&c).first(), Some(&201));
    }
}
