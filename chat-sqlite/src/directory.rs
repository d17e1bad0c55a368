//! The directory's search index (migration 007): the folded sort key and the search keys
//! (`chat_core::fold`) of every entry, kept in step with its name, and the listing and search
//! that read them.

use chat_core::fold::{prefix_upper_bound, search_keys, sort_key};
use chat_core::ids::{AccountId, UserId};
use chat_core::model::DirectoryEntry;
use chat_core::store::{DirectoryPosition, DirectorySearch};
use rusqlite::{params, Connection, OptionalExtension};

use crate::rows;

/// Brings the user's sort key and search keys in line with their name (and the keys' active
/// flag with theirs), inside the directory write's transaction. The keys depend on the
/// folded name only, so they are rewritten only when the fold changed; otherwise at most the
/// flag of the user's few keys is updated (a busy user's refreshed `last_seen_at` writes
/// nothing here).
pub(crate) fn reindex(tx: &Connection, account: AccountId, user: UserId) -> rusqlite::Result<()> {
    let row: Option<(Option<String>, String, bool)> = tx
        .prepare_cached(
            "SELECT name, sort_key, active FROM internal_chat_directory WHERE account_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![account.0, user.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((name, stored, active)) = row else {
        return Ok(());
    };
    let key = sort_key(name.as_deref());
    if key == stored {
        tx.prepare_cached(
            "UPDATE internal_chat_directory_words SET active = ?3 \
             WHERE account_id = ?1 AND user_id = ?2 AND active != ?3",
        )?
        .execute(params![account.0, user.0, active])?;
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE internal_chat_directory SET sort_key = ?1 WHERE account_id = ?2 AND user_id = ?3",
    )?
    .execute(params![key, account.0, user.0])?;
    tx.prepare_cached(
        "DELETE FROM internal_chat_directory_words WHERE account_id = ?1 AND user_id = ?2",
    )?
    .execute(params![account.0, user.0])?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO internal_chat_directory_words (account_id, word, user_id, sort_key, active) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for word in search_keys(name.as_deref()) {
        insert.execute(params![account.0, word, user.0, key, active])?;
    }
    Ok(())
}

/// Migration 007's data step: indexes every existing entry.
pub(crate) fn backfill(tx: &Connection) -> rusqlite::Result<()> {
    let users: Vec<(i64, i64)> = tx
        .prepare("SELECT account_id, user_id FROM internal_chat_directory")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (account, user) in users {
        reindex(tx, AccountId(account), UserId(user))?;
    }
    Ok(())
}

/// The listing without a query: a walk of `idx_directory_sort` from the cursor on.
const LIST_SQL: &str = "SELECT d.account_id, d.user_id, d.name, d.role, d.active, d.last_seen_at \
     FROM internal_chat_directory d \
     WHERE d.account_id = ?1 AND (?2 OR d.active = 1) AND (d.sort_key, d.user_id) > (?3, ?4) \
     ORDER BY d.sort_key, d.user_id LIMIT ?5";

/// A search: the page is chosen from the search keys in the prefix range alone (a seek on the
/// words' primary key; each key row carries the entry's sort key and active flag), and only
/// the page's entries are then read, by the directory's primary key. `DISTINCT`: two words of
/// one name can both start with the query ("Ana Anabela"). `CROSS JOIN` keeps the page as the
/// outer loop: left to itself, the planner may prefer walking the whole directory in
/// `idx_directory_sort` order.
const SEARCH_SQL: &str =
    "SELECT d.account_id, d.user_id, d.name, d.role, d.active, d.last_seen_at \
     FROM ( \
         SELECT DISTINCT w.sort_key AS sort_key, w.user_id AS user_id \
         FROM internal_chat_directory_words w \
         WHERE w.account_id = ?1 AND w.word >= ?6 AND w.word < ?7 \
           AND (?2 OR w.active = 1) AND (w.sort_key, w.user_id) > (?3, ?4) \
         ORDER BY w.sort_key, w.user_id LIMIT ?5 \
     ) m CROSS JOIN internal_chat_directory d ON d.account_id = ?1 AND d.user_id = m.user_id \
     ORDER BY m.sort_key, m.user_id";

/// One page of the account's directory (see `ChatStore::list_directory`).
pub(crate) fn list(
    c: &Connection,
    account: AccountId,
    include_inactive: bool,
    search: Option<&DirectorySearch>,
    after: Option<&DirectoryPosition>,
    limit: u32,
) -> rusqlite::Result<Vec<DirectoryEntry>> {
    // Before every entry: the empty key with user id below any real one.
    let (key, user) = after.map_or((String::new(), i64::MIN), |p| {
        (p.sort_key.clone(), p.user.0)
    });
    match search {
        None => c
            .prepare_cached(LIST_SQL)?
            .query_map(
                params![account.0, include_inactive, key, user, limit],
                rows::directory,
            )?
            .collect(),
        Some(s) => {
            // A prefix of only U+10FFFF has no upper bound: nothing folds to that.
            let upper = prefix_upper_bound(&s.prefix).unwrap_or_else(|| s.prefix.clone());
            c.prepare_cached(SEARCH_SQL)?
                .query_map(
                    params![
                        account.0,
                        include_inactive,
                        key,
                        user,
                        limit,
                        s.prefix,
                        upper
                    ],
                    rows::directory,
                )?
                .collect()
        }
    }
}

/// The query plans of [`LIST_SQL`] and [`SEARCH_SQL`], for the tests that prove neither
/// reads the whole directory.
#[cfg(test)]
pub(crate) fn plans(c: &Connection) -> (Vec<String>, Vec<String>) {
    let plan = |sql: &str| -> Vec<String> {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let n = stmt.parameter_count();
        let args: Vec<rusqlite::types::Value> = (0..n)
            .map(|i| match i {
                1 => rusqlite::types::Value::Integer(0),
                2 | 5 | 6 => rusqlite::types::Value::Text("jo".into()),
                _ => rusqlite::types::Value::Integer(1),
            })
            .collect();
        stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    (plan(LIST_SQL), plan(SEARCH_SQL))
}
