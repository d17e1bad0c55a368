-- 001: the schema of chat-sqlite after its migration 009, in PostgreSQL's types, with every
-- primary key and index led by account_id: each tenant's rows are one range of every index
-- (the shard key, should the tables ever be distributed: docs/postgres.md), and the same-account
-- rule is enforced by composite foreign keys, not only by the queries.
-- Ids are UUIDs (v7), users and accounts bigint, times Unix milliseconds (bigint) so they sort
-- and compare exactly as in SQLite. Text that is ordered or range-searched is COLLATE "C":
-- byte order, the order chat_core::fold's keys are built for (a linguistic collation would
-- break the prefix ranges of the directory search).

CREATE TABLE internal_chat_rooms (
    account_id      bigint NOT NULL,
    id              uuid   NOT NULL,
    type            text   NOT NULL CHECK (type IN ('dm', 'room')),
    name            text,
    created_by      bigint NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    archived_at     bigint,
    -- 'low:high' user ids of a DM; NULL for team rooms.
    dm_key          text COLLATE "C",
    -- seq of the newest message: the per-room counter, bumped by each send.
    last_seq        bigint NOT NULL DEFAULT 0,
    last_message_at bigint,
    PRIMARY KEY (account_id, id)
);
-- the account's team rooms (limits, the managers' listing)
CREATE INDEX idx_rooms_account_type ON internal_chat_rooms (account_id, type);
-- one live DM per pair per account, enforced by the database even under races
CREATE UNIQUE INDEX idx_rooms_live_dm ON internal_chat_rooms (account_id, dm_key)
    WHERE dm_key IS NOT NULL AND archived_at IS NULL;

CREATE TABLE internal_chat_members (
    account_id    bigint NOT NULL,
    room_id       uuid   NOT NULL,
    user_id       bigint NOT NULL,
    role          text   NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
    last_read_at  bigint,
    last_read_seq bigint NOT NULL DEFAULT 0,
    -- unread = room.last_seq - last_read_seq - skipped_count (chat-sqlite's migration 006):
    -- a send writes no other member's row.
    skipped_count bigint NOT NULL DEFAULT 0,
    mention_count bigint NOT NULL DEFAULT 0,
    joined_at     bigint NOT NULL,
    PRIMARY KEY (account_id, room_id, user_id),
    FOREIGN KEY (account_id, room_id) REFERENCES internal_chat_rooms (account_id, id)
);
-- every room of a user
CREATE INDEX idx_members_user ON internal_chat_members (account_id, user_id);

CREATE TABLE internal_chat_messages (
    account_id   bigint   NOT NULL,
    id           uuid     NOT NULL,
    room_id      uuid     NOT NULL,
    sender_id    bigint   NOT NULL,
    content      text,
    message_type text     NOT NULL CHECK (message_type IN ('text', 'system', 'mention')),
    mentions     bigint[] NOT NULL DEFAULT '{}',
    client_id    text,
    seq          bigint   NOT NULL,
    created_at   bigint   NOT NULL,
    edited_at    bigint,
    deleted_at   bigint,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, room_id) REFERENCES internal_chat_rooms (account_id, id)
);
-- keyset pagination by seq, and no two messages with one seq in a room
CREATE UNIQUE INDEX idx_messages_room_seq ON internal_chat_messages (account_id, room_id, seq);
-- idempotent send, enforced by the database rather than a cache
CREATE UNIQUE INDEX idx_messages_client_id ON internal_chat_messages (account_id, room_id, sender_id, client_id)
    WHERE client_id IS NOT NULL;

-- Who is mentioned where, to recount mention badges when a read pointer moves.
CREATE TABLE internal_chat_mentions (
    account_id bigint NOT NULL,
    room_id    uuid   NOT NULL,
    user_id    bigint NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (account_id, room_id, user_id, seq)
);

CREATE TABLE internal_chat_audit (
    account_id bigint NOT NULL,
    id         uuid   NOT NULL,
    -- NULL: a change through the service API
    actor_id   bigint,
    action     text   NOT NULL,
    target_id  text   NOT NULL,
    metadata   text   NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (account_id, id)
);
-- the listing and its time range, keyset by (created_at, id)
CREATE INDEX idx_audit_account_created_id ON internal_chat_audit (account_id, created_at, id);
-- the audit UI's "history of this room/message/user" filter
CREATE INDEX idx_audit_account_target ON internal_chat_audit (account_id, target_id);
CREATE INDEX idx_audit_account_actor ON internal_chat_audit (account_id, actor_id);

CREATE TABLE internal_chat_directory (
    account_id   bigint  NOT NULL,
    user_id      bigint  NOT NULL,
    name         text,
    role         text    NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    active       boolean NOT NULL,
    last_seen_at bigint  NOT NULL,
    -- chat_core::fold::sort_key of the name: the directory's order (then user_id)
    sort_key     text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX idx_directory_sort ON internal_chat_directory (account_id, sort_key, user_id);

-- chat_core::fold::search_keys of each name: a search is one prefix range of the key.
CREATE TABLE internal_chat_directory_words (
    account_id bigint  NOT NULL,
    word       text COLLATE "C" NOT NULL,
    user_id    bigint  NOT NULL,
    sort_key   text COLLATE "C" NOT NULL,
    active     boolean NOT NULL,
    PRIMARY KEY (account_id, word, user_id)
);
CREATE INDEX idx_directory_words_user ON internal_chat_directory_words (account_id, user_id);

CREATE TABLE internal_chat_entitlements (
    account_id           bigint  NOT NULL PRIMARY KEY,
    chat_enabled         boolean NOT NULL,
    max_rooms            bigint,
    max_members_per_room bigint
);

CREATE TABLE internal_chat_notifications (
    account_id bigint NOT NULL,
    id         uuid   NOT NULL,
    user_id    bigint NOT NULL,
    kind       text   NOT NULL CHECK (kind IN ('mention', 'dm')),
    room_id    uuid   NOT NULL,
    message_id uuid   NOT NULL,
    created_at bigint NOT NULL,
    read_at    bigint,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX idx_notifications_user ON internal_chat_notifications (account_id, user_id, created_at DESC, id DESC);
CREATE INDEX idx_notifications_unread ON internal_chat_notifications (account_id, user_id)
    WHERE read_at IS NULL;
