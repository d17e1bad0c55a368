-- 009: the service API's changes are audited with no actor (actor_id NULL, metadata.actor
-- "service"). SQLite cannot drop a NOT NULL constraint in place, so the table is rebuilt
-- with the same rows and indexes.
CREATE TABLE internal_chat_audit_new (
    id         BLOB    NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL,
    actor_id   INTEGER,
    action     TEXT    NOT NULL,
    target_id  TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO internal_chat_audit_new (id, account_id, actor_id, action, target_id, metadata, created_at)
    SELECT id, account_id, actor_id, action, target_id, metadata, created_at FROM internal_chat_audit;
DROP TABLE internal_chat_audit;
ALTER TABLE internal_chat_audit_new RENAME TO internal_chat_audit;
-- seed
CREATE INDEX idx_audit_account_created ON internal_chat_audit (account_id, created_at DESC);
-- seed
CREATE INDEX idx_audit_actor ON internal_chat_audit (actor_id);
-- 001: the audit UI's "history of this room/message/user" filter.
CREATE INDEX idx_audit_account_target ON internal_chat_audit (account_id, target_id);
-- 008: time ranges and the (created_at, id) keyset.
CREATE INDEX idx_audit_account_created_id ON internal_chat_audit (account_id, created_at, id);
