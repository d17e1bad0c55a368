//! The one write path: preconditions, the op, the audit, notification and event rows of each
//! write, in `BEGIN IMMEDIATE` transactions on the writer connection — one per write, or one
//! per batch of concurrent writes (group commit), so that a failed write still rolls back
//! alone. One concern per submodule: the facts a write relies on (`preconditions`), the SQL
//! of each kind of op on rooms, members, messages, the directory and notifications (`apply`),
//! read pointers and counters (`pointers`).

mod apply;
mod pointers;
mod preconditions;

use crate::error::Result;
use chat_core::store::StoreError;
use chat_core::store::{Committed, Precondition, Write};
use rusqlite::{params, Connection, TransactionBehavior};

use crate::audiences::Audiences;
use crate::error::internal;
use crate::event_log::Heads;
use crate::options::Retention;

/// Applies a batch of writes in one transaction; each write succeeds or fails on its own,
/// and none is reported successful unless the transaction commits.
///
/// A batch first runs without savepoints (two statements per write saved): a write refused by
/// its preconditions has written nothing and is simply answered, but one that fails after it
/// began writing leaves changes only a rollback can undo, so the whole transaction is rolled
/// back and the batch is redone with each write in its own savepoint.
pub(crate) fn apply_batch(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
    audiences: &mut Audiences,
) -> Vec<Result<Committed>> {
    audiences.begin(writes.iter().map(|w| w.op()));
    let fast = if writes.len() > 1 {
        without_savepoints(conn, writes, retention, audiences)
    } else {
        None
    };
    let results = fast.unwrap_or_else(|| with_savepoints(conn, writes, retention, audiences));
    audiences.end();
    results
}

/// Every write of a batch failed with the same SQLite error (shared: each result keeps it as
/// its source).
fn all_failed(writes: &[&Write], e: rusqlite::Error) -> Vec<Result<Committed>> {
    let e = std::sync::Arc::new(e);
    writes
        .iter()
        .map(|_| Err(internal(std::sync::Arc::clone(&e))))
        .collect()
}

/// Commits if any write succeeded (otherwise the transaction rolls back as it is dropped).
fn finish(
    tx: rusqlite::Transaction<'_>,
    writes: &[&Write],
    results: Vec<Result<Committed>>,
) -> Vec<Result<Committed>> {
    if results.iter().any(Result::is_ok) {
        if let Err(e) = tx.commit() {
            return all_failed(writes, e);
        }
    }
    results
}

/// The fast path of [`apply_batch`]; `None` when a write failed midway (rolled back).
fn without_savepoints(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
    audiences: &mut Audiences,
) -> Option<Vec<Result<Committed>>> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Some(all_failed(writes, e)),
    };
    audiences.locked(&tx);
    let mut heads = Heads::new();
    let mut results = Vec::with_capacity(writes.len());
    for w in writes {
        if let Err(e) = check(&tx, w) {
            results.push(Err(e));
            continue;
        }
        match perform(&tx, w, retention, &mut heads, audiences) {
            Ok(c) => results.push(Ok(c)),
            Err(_) => return None,
        }
    }
    Some(finish(tx, writes, results))
}

/// Each write in its own savepoint, so a failed one rolls back alone (a lone write needs
/// none: its failure rolls the transaction itself back).
fn with_savepoints(
    conn: &mut Connection,
    writes: &[&Write],
    retention: &Retention,
    audiences: &mut Audiences,
) -> Vec<Result<Committed>> {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return all_failed(writes, e),
    };
    audiences.locked(&tx);
    let mut heads = Heads::new();
    let mut results = Vec::with_capacity(writes.len());
    if let [only] = writes {
        results.push(apply_one(&tx, only, retention, &mut heads, audiences));
    } else {
        for w in writes {
            let before = heads.clone();
            let result = tx.savepoint().map_err(internal).and_then(|sp| {
                let r = apply_one(&sp, w, retention, &mut heads, audiences)?;
                sp.commit().map_err(internal)?;
                Ok(r)
            });
            if result.is_err() {
                // Its events were rolled back with it.
                heads = before;
            }
            results.push(result);
        }
    }
    finish(tx, writes, results)
}

/// Applies one write inside the open transaction `tx`.
fn apply_one(
    tx: &Connection,
    write: &Write,
    retention: &Retention,
    heads: &mut Heads,
    audiences: &mut Audiences,
) -> Result<Committed> {
    check(tx, write)?;
    perform(tx, write, retention, heads, audiences)
}

/// The write's preconditions (reads only: a refusal has written nothing).
fn check(tx: &Connection, write: &Write) -> Result<()> {
    let account = write.account();
    let mut rest = write.preconditions();
    while let [first, tail @ ..] = rest {
        // "The room is live and the actor's role in it is still R", which every room action
        // carries, is one statement instead of two.
        let (holds, used) = match (first, tail.first()) {
            (Precondition::RoomLive(live), Some(Precondition::Membership { room, user, role }))
                if live == room =>
            {
                let ok = preconditions::live_with_role(tx, account, *room, *user, *role);
                (ok, 2)
            }
            _ => (preconditions::holds(tx, account, first), 1),
        };
        if !holds.map_err(internal)? {
            return Err(StoreError::Conflict(format!(
                "precondition failed: {:?}",
                &rest[..used]
            )));
        }
        rest = &rest[used..];
    }
    Ok(())
}

/// The write's op, audit entries, notifications and events.
fn perform(
    tx: &Connection,
    write: &Write,
    retention: &Retention,
    heads: &mut Heads,
    audiences: &mut Audiences,
) -> Result<Committed> {
    let account = write.account();
    let applied = apply::op(tx, account, write.op())?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(internal)?;
    for e in write.audit_entries() {
        stmt.execute(params![
            e.id.0,
            account.0,
            e.actor_id.map(|u| u.0),
            e.action.as_str(),
            e.target_id,
            e.metadata.to_string(),
            e.created_at.0
        ])
        .map_err(internal)?;
    }
    drop(stmt);
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO internal_chat_notifications (id, account_id, user_id, kind, room_id, message_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(internal)?;
    for n in write.notifications() {
        stmt.execute(params![
            n.id.0,
            account.0,
            n.user_id.0,
            n.kind.as_str(),
            n.room_id.0,
            n.message_id.0,
            n.created_at.0
        ])
        .map_err(internal)?;
    }
    drop(stmt);
    let events = crate::event_log::append(
        tx,
        account,
        write.events(),
        &applied,
        retention,
        heads,
        audiences,
    )?;
    Ok(Committed { applied, events })
}
