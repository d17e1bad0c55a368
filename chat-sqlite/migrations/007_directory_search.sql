-- 007: searching the directory by the start of any word of a name, accent- and
-- case-insensitively, without reading the whole directory (GET /users?q=).
-- * `sort_key` is the folded name (chat_core::fold::sort_key: lowercased, diacritics removed),
--   the directory's order (then user_id); the index serves the listing without a query in
--   keyset pages.
-- * `internal_chat_directory_words` holds chat_core::fold::search_keys of each name: the
--   folded name from the start of each word ("maria joao silva", "joao silva", "silva"), so a
--   query is one prefix range on the primary key (account_id, word, …). Each row carries the
--   entry's sort key and active flag, so a search orders and filters its matches from that
--   range alone (a WITHOUT ROWID table: the columns are in the key's B-tree) and reads only
--   the page's entries from the directory — a broad prefix ("a") costs a range read, not one
--   directory lookup per match.
-- Both are written in the transaction of every directory write (SeenUser, ProvisionUser), and
-- backfilled for existing rows by migrate.rs right after this script, in its transaction (the
-- folding is Rust code, not SQL).
ALTER TABLE internal_chat_directory ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_directory_sort ON internal_chat_directory (account_id, sort_key, user_id);

CREATE TABLE internal_chat_directory_words (
    account_id INTEGER NOT NULL,
    word       TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    sort_key   TEXT    NOT NULL,
    active     INTEGER NOT NULL,
    PRIMARY KEY (account_id, word, user_id)
) WITHOUT ROWID;
-- a rename replaces the user's words; (de)activation updates their flag
CREATE INDEX idx_directory_words_user ON internal_chat_directory_words (account_id, user_id);
