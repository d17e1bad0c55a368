//! What SQLite itself does on this machine: the store's pragmas on a plain connection, the
//! same tables and indexes (rows go into a dedicated archived room of a third account that no
//! store operation reads), no facade, no writer thread, no pool.

use std::time::{Duration, Instant};

use rusqlite::{params, Connection, TransactionBehavior};
use uuid::Uuid;

use crate::stats::Samples;

/// The account and room the raw inserts write to.
pub const RAW_ACCOUNT: i64 = 9;

/// A plain connection with the store's pragmas (WAL, `synchronous`, foreign keys, the
/// default `mmap_size`, busy timeout).
pub fn open(path: &std::path::Path, synchronous_full: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.busy_timeout(Duration::from_millis(5_000))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let mmap = chat_sqlite::Options::default().mmap_size;
    conn.pragma_update(None, "mmap_size", i64::try_from(mmap).unwrap_or(i64::MAX))?;
    conn.pragma_update(
        None,
        "synchronous",
        if synchronous_full { "FULL" } else { "NORMAL" },
    )?;
    Ok(conn)
}

/// Copies the whole WAL back into the database and empties it, so that the next figure
/// starts from the same state whatever the previous one wrote: a million batched rows left
/// in the WAL made the figure after them pay for their checkpoint (the send's SQL measured
/// 0.32× of the raw single-row rate right after them, 0.6× on its own).
pub fn settle(path: &std::path::Path) -> rusqlite::Result<()> {
    let conn = open(path, false)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

/// Creates (once) the archived room the raw inserts go to; returns its id and next seq.
pub fn raw_room(conn: &Connection) -> rusqlite::Result<(Uuid, i64)> {
    let id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0009);
    conn.execute(
        "INSERT OR IGNORE INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, archived_at) \
         VALUES (?1, ?2, 'room', 'raw', 1, 0, 0, 0)",
        params![id, RAW_ACCOUNT],
    )?;
    let next: i64 = conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM internal_chat_messages WHERE room_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    Ok((id, next))
}

const INSERT: &str = "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, 'text', '[]', NULL, ?6, ?7)";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Inserts `batch` message rows per `BEGIN IMMEDIATE … COMMIT` until `budget` or `max_tx`
/// transactions; one sample per transaction, `ops` counts rows.
pub fn insert(
    conn: &mut Connection,
    room: Uuid,
    seq: &mut i64,
    batch: usize,
    budget: Duration,
    max_tx: usize,
) -> rusqlite::Result<Samples> {
    let mut s = Samples::new();
    let start = Instant::now();
    let mut n = 0;
    while n < max_tx && (n == 0 || start.elapsed() < budget) {
        let t = Instant::now();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached(INSERT)?;
            for _ in 0..batch {
                stmt.execute(params![
                    Uuid::now_v7(),
                    room,
                    RAW_ACCOUNT,
                    1,
                    "hello from the raw benchmark",
                    *seq,
                    now_ms()
                ])?;
                *seq += 1;
            }
        }
        tx.commit()?;
        s.push(t.elapsed());
        n += 1;
    }
    s.ops = (n * batch) as u64;
    s.wall = start.elapsed();
    Ok(s)
}

/// A message row as the store's query returns it, decoded into owned values.
pub type RawMessage = (
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
    Option<String>,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

/// The newest `limit` messages of `room` before `before`: the indexed query of a page,
/// without the membership check the store adds.
pub fn page(
    conn: &Connection,
    room: Uuid,
    account: i64,
    before: i64,
    limit: u32,
) -> rusqlite::Result<Vec<RawMessage>> {
    conn.prepare_cached(
        "SELECT id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at, edited_at, deleted_at \
         FROM internal_chat_messages WHERE room_id = ?1 AND account_id = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
    )?
    .query_map(params![room, account, before, limit], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
        ))
    })?
    .collect()
}

/// The store's unread query, raw: `(room, unread, mentions)` for every live room of a user.
pub fn unread(
    conn: &Connection,
    account: i64,
    user: i64,
) -> rusqlite::Result<Vec<(Vec<u8>, i64, i64)>> {
    conn.prepare_cached(
        "SELECT mb.room_id, r.last_seq - mb.last_read_seq - mb.skipped_count, mb.mention_count \
         FROM internal_chat_members mb JOIN internal_chat_rooms r ON r.id = mb.room_id \
         WHERE mb.user_id = ?1 AND mb.account_id = ?2 AND r.account_id = ?2 AND r.archived_at IS NULL \
         ORDER BY mb.room_id",
    )?
    .query_map(params![user, account], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// An audit row decoded into owned values (`actor_id` is NULL for the service API's entries).
pub type RawAudit = (Vec<u8>, i64, Option<i64>, String, String, String, i64);

/// The newest `limit` audit entries of an account (no filter).
pub fn audit(conn: &Connection, account: i64, limit: u32) -> rusqlite::Result<Vec<RawAudit>> {
    conn.prepare_cached(
        "SELECT id, account_id, actor_id, action, target_id, metadata, created_at FROM internal_chat_audit \
         WHERE account_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
    )?
    .query_map(params![account, limit], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?
    .collect()
}

/// The SQL of one store send (plain text message in a team room), replayed on a plain
/// connection, statement for statement as `chat-sqlite/src/writes/` and `event_log.rs` run
/// it: preconditions, `last_seq` bump, message row, the sender's read pointer, the log head
/// (read once per transaction), the event row with its resolved audience (and its amortized
/// prune). `per_tx` sends share one `BEGIN IMMEDIATE` transaction without savepoints, as
/// group commit runs a batch, taking their `(room, sender)` from `senders` in turn. The
/// difference between this and the facade's send is the facade, the writer thread and the
/// async hand-offs.
pub fn send_like(
    conn: &mut Connection,
    account: i64,
    senders: &[(Uuid, i64)],
    keep_events: i64,
    per_tx: usize,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut head = None;
    for &(room, sender) in senders.iter().cycle().take(per_tx.max(1)) {
        send_stmts(&tx, account, room, sender, keep_events, &mut head)?;
    }
    tx.commit()
}

fn send_stmts(
    tx: &Connection,
    account: i64,
    room: Uuid,
    sender: i64,
    keep_events: i64,
    head: &mut Option<(i64, i64)>,
) -> rusqlite::Result<()> {
    let now = now_ms();
    let live = tx
        .prepare_cached("SELECT 1 FROM internal_chat_rooms WHERE id = ?1 AND account_id = ?2 AND archived_at IS NULL")?
        .exists(params![room, account])?;
    let role: Option<String> = tx
        .prepare_cached("SELECT role FROM internal_chat_members WHERE room_id = ?1 AND user_id = ?2 AND account_id = ?3")?
        .query_row(params![room, sender, account], |r| r.get(0))
        .ok();
    assert!(
        live && role.is_some(),
        "raw send to a room the sender is not in"
    );
    let seq: i64 = tx
        .prepare_cached(
            "UPDATE internal_chat_rooms SET last_seq = last_seq + 1, last_message_at = ?1 \
             WHERE id = ?2 AND account_id = ?3 RETURNING last_seq",
        )?
        .query_row(params![now, room, account], |r| r.get(0))?;
    let id = Uuid::now_v7();
    let content = "benchmark message: cliente pediu reembolso do pedido";
    tx.prepare_cached(
        "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![id, room, account, sender, content, "text", "[]", None::<String>, seq, now])?;
    tx.prepare_cached(
        "UPDATE internal_chat_members SET last_read_seq = ?1, last_read_at = ?2, skipped_count = 0, mention_count = 0 \
         WHERE room_id = ?3 AND user_id = ?4",
    )?
    .execute(params![seq, now, room, sender])?;
    // event_log::append()
    let (last, last_ts) = match *head {
        Some(h) => h,
        None => {
            let newest: (i64, i64) = tx
                .prepare_cached(
                    "SELECT id, ts FROM internal_chat_events WHERE account_id = ?1 ORDER BY id DESC LIMIT 1",
                )?
                .query_row([account], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap_or((0, 0));
            let counted: i64 = tx
                .prepare_cached(
                    "SELECT last_id FROM internal_chat_event_counters WHERE account_id = ?1",
                )?
                .query_row([account], |r| r.get(0))
                .unwrap_or(0);
            (newest.0.max(counted), newest.1)
        }
    };
    let ts = now.max(last_ts);
    let mut members: Vec<i64> = tx
        .prepare_cached(
            "SELECT user_id FROM internal_chat_members WHERE room_id = ?1 AND account_id = ?2",
        )?
        .query_map(params![room, account], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    members.sort_unstable();
    let audience = serde_json::to_string(&members).unwrap_or_default();
    let next = last + 1;
    tx.prepare_cached(
        "INSERT INTO internal_chat_events (account_id, id, type, room_id, ts, data, audience, message_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![account, next, "message.created", room, ts, "", audience, id])?;
    *head = Some((next, ts));
    if next % 256 == 0 {
        // event_log::prune(); the harness keeps 10 years by age, as its store options do.
        let by_count = next - keep_events;
        let by_age = now - 10 * 365 * 24 * 3600 * 1000;
        let a: Option<i64> = tx
            .prepare_cached(
                "SELECT MAX(id) FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2",
            )?
            .query_row(params![account, by_count], |r| r.get(0))?;
        let b: Option<i64> = tx
            .prepare_cached(
                "SELECT MAX(id) FROM (SELECT id, ts FROM internal_chat_events WHERE account_id = ?1 \
                 ORDER BY id LIMIT 2048) WHERE ts < ?2",
            )?
            .query_row(params![account, by_age], |r| r.get(0))?;
        let through = a.max(b).unwrap_or(0);
        if through > 0 {
            tx.prepare_cached(
                "DELETE FROM internal_chat_events WHERE account_id = ?1 AND id <= ?2",
            )?
            .execute(params![account, through])?;
        }
        tx.prepare_cached(
            "INSERT INTO internal_chat_event_counters (account_id, last_id, pruned_through) VALUES (?1, ?2, ?3) \
             ON CONFLICT (account_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id), \
               pruned_through = MAX(pruned_through, excluded.pruned_through)",
        )?
        .execute(params![account, next, through])?;
    }
    Ok(())
}
