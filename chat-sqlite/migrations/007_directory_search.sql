-- 007: searching the directory by the start of any word of a name, accent- and
-- case-insensitively, without reading the whole directory (GET /users?q=).
-- * `sort_key` is the folded name (chat_core::fold::sort_key: lowercased, diacritics removed),
--   the directory's order (then user_id); the index serves the listing without a query in
--   keyset pages.
-- * `internal_chat_directory_words` holds chat_core::fold::search_keys of each name: the
--   folded name from the start of each word ("maria joao silva", "joao silva", "silva"), so a
--   query is one prefix range on the primary key (account_id, word, …).
-- Both are written in the transaction of every directory write (SeenUser, ProvisionUser), and
-- backfilled for existing rows by migrate.rs right after this script, in its transaction (the
-- folding is Rust code, not SQL).
ALTER TABLE internal_chat_directory ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_directory_sort ON internal_chat_directory (account_id, sort_key, user_id);

CREATE TABLE internal_chat_directory_words (
    account_id INTEGER NOT NULL,
    word       TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (account_id, word, user_id)
) WITHOUT ROWID;
-- a rename replaces the user's words
CREATE INDEX idx_directory_words_user ON internal_chat_directory_words (account_id, user_id);
