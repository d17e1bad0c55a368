-- 002: the per-account event log (outbox) written in the same transaction as each change.

CREATE TABLE internal_chat_events (
    account_id INTEGER NOT NULL,
    -- per-account, strictly increasing in commit order (the writer assigns it in its
    -- transaction from internal_chat_event_counters)
    id         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    room_id    BLOB,
    ts         INTEGER NOT NULL,
    data       TEXT    NOT NULL,
    -- JSON array of the user ids allowed to see it, resolved at commit (room members then)
    audience   TEXT    NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
-- retention by age
CREATE INDEX idx_events_account_ts ON internal_chat_events (account_id, ts);

-- The last id handed out per account: survives pruning, so ids are never reused.
CREATE TABLE internal_chat_event_counters (
    account_id INTEGER NOT NULL PRIMARY KEY,
    last_id    INTEGER NOT NULL
);
