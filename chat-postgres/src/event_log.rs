//! The account's event log on PostgreSQL: gap-free and commit-ordered, without a sequence.
//!
//! Ids come from the account's row in `internal_chat_event_counters`. A write appends its
//! events with one statement, the LAST of its transaction: it bumps the counter row by the
//! number of events and inserts them with the ids it got. Under READ COMMITTED the row lock
//! taken by that update is held until the transaction ends, so
//!
//! * the next writer of the account waits at its own counter update until this one has
//!   committed — and a committed transaction is visible to every snapshot taken after its
//!   lock is released — or rolled back, in which case it gets the same ids again: ids are
//!   dense, and id n is visible before n+1 is handed out;
//! * a tailer that reads "ids after c" therefore never sees c+2 without c+1: every batch it
//!   gets starts at c+1 (but for what retention pruned and archived rooms' history, which the
//!   slice's bounds and [`after`]'s docs account for);
//! * the lock is held for one statement and the commit only (it is the last one): writers of
//!   one account overlap in everything else (their preconditions, the op, audit rows).
//!
//! A sequence would not do: its values are taken at insert time and commit in any order, so
//! a tailer can read 12 before 11 commits and skip 11 for good. Transaction-id horizons
//! would let one long transaction stall every reader; gap timeouts lose events.
//! `tests/event_log.rs` proves the order under concurrent writers and shows the sequence fail.

use chat_core::events::{Audience, AudienceRule, Event, EventDraft, EventType, LogSlice, Payload};
use chat_core::ids::{AccountId, RoomId, Timestamp, UserId};
use chat_core::store::Applied;

use crate::error::{internal, Result};
use crate::options::Retention;
use crate::rows;
use crate::tx::{exec, get, one, opt, rows as query, Conn};

/// Prune an account's log every this many events (amortizes the DELETE).
pub(crate) const PRUNE_EVERY: i64 = 256;

/// Most expired events one prune drops by age.
const PRUNE_AGE_BATCH: i64 = 2048;

/// The data of an event that carries the write's applied resource.
pub(crate) fn applied_json(applied: &Applied) -> serde_json::Value {
    match applied {
        Applied::Room(r) => serde_json::json!(r),
        Applied::Message(m) => serde_json::json!(m),
        Applied::Read(r) => serde_json::json!(r),
        _ => serde_json::Value::Null,
    }
}

/// The users an event goes to, sorted and distinct: a room's members (read in the write's
/// transaction, after its op) plus extras, or a list.
async fn resolve(c: &Conn, account: AccountId, rule: &AudienceRule) -> Result<Vec<UserId>> {
    let mut users = match rule {
        AudienceRule::RoomMembers { room, plus } => {
            let members = query(
                c,
                "SELECT user_id FROM internal_chat_members WHERE account_id = $1 AND room_id = $2",
                &[&account.0, &room.0],
            )
            .await?;
            let mut users = rows::all(&members, |r| get(r, 0).map(UserId))?;
            users.extend(plus.iter().copied());
            users
        }
        AudienceRule::Users(users) => users.clone(),
        // An audience this backend does not know is empty: fail closed.
        _ => Vec::new(),
    };
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// Bumps the counter and inserts the events with the ids it hands out, in one statement.
const APPEND_SQL: &str = "WITH counter AS ( \
         INSERT INTO internal_chat_event_counters AS k (account_id, last_id) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET last_id = k.last_id + $2 \
         RETURNING last_id \
     ), appended AS ( \
         INSERT INTO internal_chat_events (account_id, id, type, room_id, ts, data, audience, message_id) \
         SELECT $1, counter.last_id - $2 + e.ord, e.type, e.room_id, $3, e.data, e.audience::bigint[], e.message_id \
         FROM counter, unnest($4::text[], $5::uuid[], $6::text[], $7::text[], $8::uuid[]) \
              WITH ORDINALITY AS e(type, room_id, data, audience, message_id, ord) \
     ) \
     SELECT last_id FROM counter";

/// Appends the drafts with the account's next ids — the write's last statement (see the
/// module docs) — and returns the events as committed (once the caller commits).
pub(crate) async fn append(
    c: &Conn,
    account: AccountId,
    drafts: &[EventDraft],
    applied: &Applied,
) -> Result<Vec<Event>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let ts = Timestamp::now();
    let n = i64::try_from(drafts.len()).map_err(internal)?;
    let mut kinds = Vec::with_capacity(drafts.len());
    let mut room_ids = Vec::with_capacity(drafts.len());
    let mut stored = Vec::with_capacity(drafts.len());
    let mut audiences = Vec::with_capacity(drafts.len());
    let mut message_ids = Vec::with_capacity(drafts.len());
    let mut live = Vec::with_capacity(drafts.len());
    for d in drafts {
        let data = match &d.payload {
            Payload::Json(v) => v.clone(),
            _ => applied_json(applied),
        };
        let to = resolve(c, account, &d.audience).await?;
        let list: Vec<String> = to.iter().map(ToString::to_string).collect();
        kinds.push(d.kind.as_str());
        room_ids.push(d.room_id.map(|r| r.0));
        // A message event's data is never stored: it is rendered from the message when read.
        stored.push(match d.message_id {
            Some(_) => String::new(),
            None => data.to_string(),
        });
        audiences.push(format!("{{{}}}", list.join(",")));
        message_ids.push(d.message_id.map(|m| m.0));
        live.push((d.kind, d.room_id, data, to));
    }
    let row = one(
        c,
        APPEND_SQL,
        &[
            &account.0,
            &n,
            &ts.0,
            &kinds,
            &room_ids,
            &stored,
            &audiences,
            &message_ids,
        ],
    )
    .await?;
    let last: i64 = get(&row, 0)?;
    Ok(live
        .into_iter()
        .zip(last - n + 1..)
        .map(|((kind, room, data, to), id)| {
            Event::new(Some(id), kind, account, room, ts, data, Audience::users(to))
        })
        .collect())
}

/// Whether appending ids up to `last` crossed a prune point.
pub(crate) fn prune_due(events: &[Event]) -> Option<i64> {
    let first = events.first()?.id?;
    let last = events.last()?.id?;
    (first..=last)
        .any(|id| id % PRUNE_EVERY == 0)
        .then_some(last)
}

/// Drops what retention no longer keeps — in its own transaction, after the write that
/// crossed a prune point committed — and records the highest id dropped, so resumes from
/// before it are told to resync.
pub(crate) async fn prune(
    c: &Conn,
    account: AccountId,
    last: i64,
    retention: &Retention,
) -> Result<()> {
    let a = account.0;
    let max_age = i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX);
    let by_age = Timestamp::now().0.saturating_sub(max_age);
    let by_count: Option<i64> = get(
        &one(
            c,
            "SELECT MAX(id) FROM internal_chat_events WHERE account_id = $1 AND id <= $2",
            &[&a, &(last - retention.max_events)],
        )
        .await?,
        0,
    )?;
    // Times follow ids but for clock steps: the oldest events are looked at, not an index by
    // time (as chat-sqlite's `event_log::prune`).
    let by_age: Option<i64> = get(
        &one(
            c,
            "SELECT MAX(id) FROM (SELECT id, ts FROM internal_chat_events WHERE account_id = $1 \
             ORDER BY id LIMIT $3) oldest WHERE ts < $2",
            &[&a, &by_age, &PRUNE_AGE_BATCH],
        )
        .await?,
        0,
    )?;
    let through = by_count.max(by_age).unwrap_or(0);
    if through > 0 {
        exec(
            c,
            "DELETE FROM internal_chat_events WHERE account_id = $1 AND id <= $2",
            &[&a, &through],
        )
        .await?;
        exec(
            c,
            "UPDATE internal_chat_event_counters SET pruned_through = GREATEST(pruned_through, $2) \
             WHERE account_id = $1",
            &[&a, &through],
        )
        .await?;
    }
    Ok(())
}

/// An event from the columns of [`after`]'s query: `account_id, id, type, room_id, ts, data,
/// audience`, then the message columns (NULL unless the event is about a message).
fn event(row: &tokio_postgres::Row) -> Result<Event> {
    let kind: &str = get(row, 2)?;
    let users: Vec<i64> = get(row, 6)?;
    let data = if rows::has_message(row, 7)? {
        // The message as it is now: edited text, or none once deleted.
        serde_json::json!(rows::message(row, 7)?)
    } else {
        let data: &str = get(row, 5)?;
        if data.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(data).map_err(internal)?
        }
    };
    Ok(Event::new(
        Some(get(row, 1)?),
        EventType::parse(kind).ok_or_else(|| internal(format!("unknown event type {kind:?}")))?,
        AccountId(get(row, 0)?),
        get::<Option<uuid::Uuid>>(row, 3)?.map(RoomId),
        Timestamp(get(row, 4)?),
        data,
        Audience::users(users.into_iter().map(UserId).collect()),
    ))
}

/// Events after `after` (ascending, at most `limit`) and the log's bounds, read in the
/// caller's snapshot (`tx::Mode::Snapshot`), so every replayable id up to `last_id` is in a
/// slice shorter than `limit`. Events about a message carry the message as it is now; events
/// of an archived room are skipped (but its `room.deleted`).
pub(crate) async fn after(
    c: &Conn,
    account: AccountId,
    after: i64,
    limit: u32,
) -> Result<LogSlice> {
    let a = account.0;
    let head = opt(
        c,
        "SELECT last_id, pruned_through FROM internal_chat_event_counters WHERE account_id = $1",
        &[&a],
    )
    .await?;
    let (last_id, pruned_through) = match head {
        Some(r) => (get(&r, 0)?, get(&r, 1)?),
        None => (0, 0),
    };
    const SQL: &str = concat!(
        "SELECT e.account_id, e.id, e.type, e.room_id, e.ts, e.data, e.audience, ",
        rows::message_cols!(),
        " FROM internal_chat_events e \
         LEFT JOIN internal_chat_messages m ON m.account_id = $1 AND m.id = e.message_id \
         LEFT JOIN internal_chat_rooms r ON r.account_id = $1 AND r.id = e.room_id \
         WHERE e.account_id = $1 AND e.id > $2 AND (r.archived_at IS NULL OR e.type = 'room.deleted') \
         ORDER BY e.id LIMIT $3"
    );
    let found = query(c, SQL, &[&a, &after, &i64::from(limit)]).await?;
    Ok(LogSlice {
        events: rows::all(&found, event)?,
        pruned_through,
        last_id,
    })
}

/// Deletes an archived room's logged events (the `room.deleted` of the archiving write is
/// appended afterwards and stays). The counter keeps the newest id, so none is reused.
pub(crate) async fn forget_room(c: &Conn, account: AccountId, room: RoomId) -> Result<()> {
    exec(
        c,
        "DELETE FROM internal_chat_events WHERE account_id = $1 AND room_id = $2",
        &[&account.0, &room.0],
    )
    .await?;
    Ok(())
}
