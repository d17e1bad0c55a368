//! The event log: appended inside the write transaction, read by subscribers, pruned by
//! retention.

use chat_core::events::{Audience, AudienceRule, Event, EventDraft, EventType, LogSlice, Payload};
use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::store::Applied;
use chat_core::Result;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension};

use crate::db::{internal, Retention};

/// Prune an account's log every this many events (amortizes the DELETE).
const PRUNE_EVERY: i64 = 256;

fn applied_json(applied: &Applied) -> serde_json::Value {
    match applied {
        Applied::Room(r) => serde_json::json!(r),
        Applied::Message(m) => serde_json::json!(m),
        Applied::Read(r) => serde_json::json!(r),
        _ => serde_json::Value::Null,
    }
}

fn audience(
    tx: &Connection,
    account: AccountId,
    rule: &AudienceRule,
) -> rusqlite::Result<Vec<UserId>> {
    let mut users = match rule {
        AudienceRule::RoomMembers { room, plus } => {
            let mut members: Vec<UserId> = tx
                .prepare_cached("SELECT user_id FROM internal_chat_members WHERE room_id = ?1 AND account_id = ?2")?
                .query_map(params![room.0, account.0], |r| r.get(0).map(UserId))?
                .collect::<rusqlite::Result<_>>()?;
            members.extend(plus.iter().copied());
            members
        }
        AudienceRule::Users(users) => users.clone(),
        // An audience this backend does not know is empty: fail closed.
        _ => Vec::new(),
    };
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// Appends the drafts with the account's next ids; returns the stored events.
pub(crate) fn append(
    tx: &Connection,
    account: AccountId,
    drafts: &[EventDraft],
    applied: &Applied,
    retention: &Retention,
) -> Result<Vec<Event>> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let a = account.0;
    let mut last: i64 = tx
        .prepare_cached("SELECT last_id FROM internal_chat_event_counters WHERE account_id = ?1")
        .and_then(|mut s| s.query_row([a], |r| r.get(0)).optional())
        .map_err(internal)?
        .unwrap_or(0);
    let first = last + 1;
    let ts = Timestamp::now();
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        last += 1;
        let data = match &d.payload {
            Payload::Json(v) => v.clone(),
            _ => applied_json(applied),
        };
        let users = audience(tx, account, &d.audience).map_err(internal)?;
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        let audience_json = serde_json::to_string(&ids).map_err(internal)?;
        tx.prepare_cached(
            "INSERT INTO internal_chat_events (account_id, id, type, room_id, ts, data, audience, message_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                a,
                last,
                d.kind.as_str(),
                d.room_id.map(|r| r.0),
                ts.0,
                data.to_string(),
                audience_json,
                d.message_id.map(|m| m.0)
            ])
        })
        .map_err(internal)?;
        out.push(Event::new(
            Some(last),
            d.kind,
            account,
            d.room_id,
            ts,
            data,
            Audience::users(users),
        ));
    }
    tx.prepare_cached(
        "INSERT INTO internal_chat_event_counters (account_id, last_id) VALUES (?1, ?2) \
         ON CONFLICT (account_id) DO UPDATE SET last_id = excluded.last_id",
    )
    .and_then(|mut s| s.execute(params![a, last]))
    .map_err(internal)?;
    if (first..=last).any(|id| id % PRUNE_EVERY == 0) {
        prune(tx, a, last, ts, retention).map_err(internal)?;
    }
    Ok(out)
}

/// Drops what retention no longer keeps and records the highest id dropped, so resumes from
/// before it are told to resync (ids are dropped oldest first: ts grows with id).
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
    // Two range lookups (the primary key, then the ts index): an OR of both would make
    // SQLite scan the account's whole log, which dominated the writer's time.
    let by_count: Option<i64> = tx
        .prepare_cached(
            "SELECT MAX(id) FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2",
        )?
        .query_row(params![a, by_count], |r| r.get(0))?;
    let by_age: Option<i64> = tx
        .prepare_cached(
            "SELECT MAX(id) FROM internal_chat_events WHERE account_id = ?1 AND ts < ?2",
        )?
        .query_row(params![a, by_age], |r| r.get(0))?;
    let Some(through) = by_count.max(by_age) else {
        return Ok(());
    };
    tx.prepare_cached("DELETE FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2")?
        .execute(params![a, through])?;
    tx.prepare_cached(
        "UPDATE internal_chat_event_counters SET pruned_through = MAX(pruned_through, ?2) WHERE account_id = ?1",
    )?
    .execute(params![a, through])?;
    Ok(())
}

fn event(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let bad = |i: usize| {
        rusqlite::Error::FromSqlConversionFailure(i, Type::Text, "bad event column".into())
    };
    let kind: String = row.get(2)?;
    let data: String = row.get(5)?;
    let audience: String = row.get(6)?;
    let users: Vec<i64> = serde_json::from_str(&audience).map_err(|_| bad(6))?;
    Ok(Event::new(
        Some(row.get(1)?),
        EventType::parse(&kind).ok_or_else(|| bad(2))?,
        AccountId(row.get(0)?),
        row.get::<_, Option<uuid::Uuid>>(3)?.map(RoomId),
        Timestamp(row.get(4)?),
        serde_json::from_str(&data).map_err(|_| bad(5))?,
        Audience::users(users.into_iter().map(UserId).collect()),
    ))
}

/// Events after `after` (ascending, at most `limit`) and the log's bounds.
pub(crate) fn after(
    c: &Connection,
    account: AccountId,
    after: i64,
    limit: u32,
) -> rusqlite::Result<LogSlice> {
    let a = account.0;
    let (last_id, pruned_through): (i64, i64) = c
        .prepare_cached(
            "SELECT last_id, pruned_through FROM internal_chat_event_counters WHERE account_id = ?1",
        )?
        .query_row([a], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    let events = c
        .prepare_cached(
            "SELECT account_id, id, type, room_id, ts, data, audience FROM internal_chat_events \
             WHERE account_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?
        .query_map(params![a, after, limit], event)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(LogSlice {
        events,
        pruned_through,
        last_id,
    })
}

/// Rewrites `$.content` in every logged event about `message` (edit: the new text; delete:
/// `null`), so the log never replays text the API no longer shows.
pub(crate) fn rewrite_content(
    tx: &Connection,
    account: AccountId,
    message: MessageId,
    content: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE internal_chat_events SET data = json_set(data, '$.content', ?1) \
         WHERE account_id = ?2 AND message_id = ?3",
    )
    .and_then(|mut s| s.execute(params![content, account.0, message.0]))
    .map_err(internal)?;
    Ok(())
}

/// Drops an archived room's logged events (the `room.deleted` of the archiving write is
/// appended afterwards and stays).
pub(crate) fn forget_room(tx: &Connection, account: AccountId, room: RoomId) -> Result<()> {
    tx.prepare_cached("DELETE FROM internal_chat_events WHERE account_id = ?1 AND room_id = ?2")
        .and_then(|mut s| s.execute(params![account.0, room.0]))
        .map_err(internal)?;
    Ok(())
}
