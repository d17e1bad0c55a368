-- 003: in-app notifications (one per mention and per DM message, per recipient).

CREATE TABLE internal_chat_notifications (
    id         BLOB    NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('mention', 'dm')),
    room_id    BLOB    NOT NULL,
    message_id BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
-- a recipient's list, newest first, keyset by (created_at, id)
CREATE INDEX idx_notifications_user ON internal_chat_notifications (account_id, user_id, created_at DESC, id DESC);
-- "mark all read" and the unread-only list touch only unread rows
CREATE INDEX idx_notifications_unread ON internal_chat_notifications (account_id, user_id)
    WHERE read_at IS NULL;
