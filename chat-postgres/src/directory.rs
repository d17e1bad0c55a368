//! The directory's search index (as chat-sqlite's migration 007): the folded sort key and the
//! search keys (`chat_core::fold`) of every entry, kept in step with its name in the
//! transaction of every directory write, and the listing and search that read them.

use chat_core::fold::{prefix_upper_bound, search_keys, sort_key};
use chat_core::ids::{AccountId, UserId};
use chat_core::model::DirectoryEntry;
use chat_core::store::{DirectoryPosition, DirectorySearch};

use crate::error::Result;
use crate::rows;
use crate::tx::{exec, get, opt, rows as query, Conn};

/// Brings the user's sort key and search keys in line with their name (and the keys' active
/// flag with theirs). The keys depend on the folded name only, so they are rewritten only
/// when the fold changed.
pub(crate) async fn reindex(c: &Conn, account: AccountId, user: UserId) -> Result<()> {
    let row = opt(
        c,
        "SELECT name, sort_key, active FROM internal_chat_directory WHERE account_id = $1 AND user_id = $2",
        &[&account.0, &user.0],
    )
    .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let (name, stored, active): (Option<String>, String, bool) =
        (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?);
    let key = sort_key(name.as_deref());
    if key == stored {
        exec(
            c,
            "UPDATE internal_chat_directory_words SET active = $3 \
             WHERE account_id = $1 AND user_id = $2 AND active <> $3",
            &[&account.0, &user.0, &active],
        )
        .await?;
        return Ok(());
    }
    exec(
        c,
        "UPDATE internal_chat_directory SET sort_key = $1 WHERE account_id = $2 AND user_id = $3",
        &[&key, &account.0, &user.0],
    )
    .await?;
    exec(
        c,
        "DELETE FROM internal_chat_directory_words WHERE account_id = $1 AND user_id = $2",
        &[&account.0, &user.0],
    )
    .await?;
    let words = search_keys(name.as_deref());
    exec(
        c,
        "INSERT INTO internal_chat_directory_words (account_id, word, user_id, sort_key, active) \
         SELECT $1, w, $2, $3, $4 FROM unnest($5::text[]) AS w ON CONFLICT DO NOTHING",
        &[&account.0, &user.0, &key, &active, &words],
    )
    .await?;
    Ok(())
}

/// The listing without a query: a walk of `idx_directory_sort` from the cursor on.
const LIST_SQL: &str = "SELECT d.account_id, d.user_id, d.name, d.role, d.active, d.last_seen_at \
     FROM internal_chat_directory d \
     WHERE d.account_id = $1 AND ($2 OR d.active) AND (d.sort_key, d.user_id) > ($3, $4) \
     ORDER BY d.sort_key, d.user_id LIMIT $5";

/// A search: the page is chosen from the search keys in the prefix range alone, then only
/// the page's entries are read. `DISTINCT`: two words of one name can both start with the
/// query ("Ana Anabela").
const SEARCH_SQL: &str =
    "SELECT d.account_id, d.user_id, d.name, d.role, d.active, d.last_seen_at \
     FROM ( \
         SELECT DISTINCT w.sort_key, w.user_id \
         FROM internal_chat_directory_words w \
         WHERE w.account_id = $1 AND w.word >= $6 AND w.word < $7 \
           AND ($2 OR w.active) AND (w.sort_key, w.user_id) > ($3, $4) \
         ORDER BY w.sort_key, w.user_id LIMIT $5 \
     ) m JOIN internal_chat_directory d ON d.account_id = $1 AND d.user_id = m.user_id \
     ORDER BY m.sort_key, m.user_id";

/// One page of the account's directory (see `ChatStore::list_directory`).
pub(crate) async fn list(
    c: &Conn,
    account: AccountId,
    include_inactive: bool,
    search: Option<&DirectorySearch>,
    after: Option<&DirectoryPosition>,
    limit: u32,
) -> Result<Vec<DirectoryEntry>> {
    // Before every entry: the empty key with user id below any real one.
    let (key, user) = after.map_or((String::new(), i64::MIN), |p| {
        (p.sort_key.clone(), p.user.0)
    });
    let limit = i64::from(limit);
    let found = match search {
        None => {
            query(
                c,
                LIST_SQL,
                &[&account.0, &include_inactive, &key, &user, &limit],
            )
            .await?
        }
        Some(s) => {
            // A prefix of only U+10FFFF has no upper bound: nothing folds to that.
            let upper = prefix_upper_bound(&s.prefix).unwrap_or_else(|| s.prefix.clone());
            query(
                c,
                SEARCH_SQL,
                &[
                    &account.0,
                    &include_inactive,
                    &key,
                    &user,
                    &limit,
                    &s.prefix,
                    &upper,
                ],
            )
            .await?
        }
    };
    rows::all(&found, rows::directory)
}
