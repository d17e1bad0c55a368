-- 001: the four tables of the seed, with exactly the seed's indexes, plus the directory and
-- entitlements tables and the few indexes the store's queries need (each justified below).
-- Ids of rooms, messages and audit entries are UUID v7 as 16-byte BLOBs; times are Unix
-- milliseconds (INTEGER) so they sort and compare exactly.

CREATE TABLE internal_chat_rooms (
    id              BLOB    NOT NULL PRIMARY KEY,
    account_id      INTEGER NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('dm', 'room')),
    name            TEXT,
    created_by      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    archived_at     INTEGER,
    -- 'low:high' user ids of a DM; NULL for team rooms.
    dm_key          TEXT,
    -- seq of the newest message: the per-room counter, bumped in the writer transaction.
    last_seq        INTEGER NOT NULL DEFAULT 0,
    last_message_at INTEGER
);
-- seed
CREATE INDEX idx_rooms_account_type ON internal_chat_rooms (account_id, type);
-- seed
CREATE INDEX idx_rooms_created_by ON internal_chat_rooms (created_by);
-- extra: one live DM per pair per account, enforced by the database even under races.
CREATE UNIQUE INDEX idx_rooms_live_dm ON internal_chat_rooms (account_id, dm_key)
    WHERE dm_key IS NOT NULL AND archived_at IS NULL;

CREATE TABLE internal_chat_members (
    room_id       BLOB    NOT NULL REFERENCES internal_chat_rooms (id),
    user_id       INTEGER NOT NULL,
    account_id    INTEGER NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
    last_read_at  INTEGER,
    -- read pointer as a seq: exact, unlike a timestamp when two messages share a millisecond.
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    -- maintained counters (see chat_core::store::Op): O(1) unread per room.
    unread_count  INTEGER NOT NULL DEFAULT 0,
    mention_count INTEGER NOT NULL DEFAULT 0,
    joined_at     INTEGER NOT NULL
);
-- seed (also the membership lookup of every room-scoped query)
CREATE UNIQUE INDEX idx_members_room_user ON internal_chat_members (room_id, user_id);
-- seed (also serves "all rooms of a user": user_id is its prefix; account_id is filtered)
CREATE INDEX idx_members_user_read ON internal_chat_members (user_id, last_read_at);

CREATE TABLE internal_chat_messages (
    id           BLOB    NOT NULL PRIMARY KEY,
    room_id      BLOB    NOT NULL REFERENCES internal_chat_rooms (id),
    account_id   INTEGER NOT NULL,
    sender_id    INTEGER NOT NULL,
    content      TEXT,
    message_type TEXT    NOT NULL CHECK (message_type IN ('text', 'system', 'mention')),
    -- JSON array of user ids, rendered as is; the mentions table is the queryable copy.
    mentions     TEXT    NOT NULL DEFAULT '[]',
    client_id    TEXT,
    seq          INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    edited_at    INTEGER,
    deleted_at   INTEGER
);
-- seed
CREATE INDEX idx_messages_room_created ON internal_chat_messages (room_id, created_at DESC);
-- seed
CREATE INDEX idx_messages_account_created ON internal_chat_messages (account_id, created_at DESC);
-- extra: keyset pagination by seq, and no two messages with one seq in a room.
CREATE UNIQUE INDEX idx_messages_room_seq ON internal_chat_messages (room_id, seq);
-- extra: idempotent send, enforced by the database rather than a cache.
CREATE UNIQUE INDEX idx_messages_client_id ON internal_chat_messages (room_id, sender_id, client_id)
    WHERE client_id IS NOT NULL;

-- Who is mentioned where, to recount mention badges when a read pointer moves.
CREATE TABLE internal_chat_mentions (
    room_id    BLOB    NOT NULL,
    user_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id, seq)
) WITHOUT ROWID;

CREATE TABLE internal_chat_audit (
    id         BLOB    NOT NULL PRIMARY KEY,
    account_id INTEGER NOT NULL,
    actor_id   INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    target_id  TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
-- seed
CREATE INDEX idx_audit_account_created ON internal_chat_audit (account_id, created_at DESC);
-- seed
CREATE INDEX idx_audit_actor ON internal_chat_audit (actor_id);
-- extra: the audit UI's "history of this room/message/user" filter.
CREATE INDEX idx_audit_account_target ON internal_chat_audit (account_id, target_id);

CREATE TABLE internal_chat_directory (
    account_id   INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    name         TEXT,
    role         TEXT    NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    active       INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
) WITHOUT ROWID;

CREATE TABLE internal_chat_entitlements (
    account_id           INTEGER NOT NULL PRIMARY KEY,
    chat_enabled         INTEGER NOT NULL,
    max_rooms            INTEGER,
    max_members_per_room INTEGER
);
