-- 002: the per-account event log (the realtime outbox), written in each change's transaction.
--
-- Ids come from the account's counter row, which every write with events updates as its LAST
-- statement (the same statement inserts the events), under READ COMMITTED: the row lock is
-- held from that update to the commit, so the writer that takes id n+1 waits until the one
-- holding n has committed (and is visible) or rolled back (then n is handed out again). Ids
-- are therefore dense and committed in order: a reader that sees n+1 sees n. A sequence would
-- not do: sequence values are taken at insert time and committed in any order, so a tailer
-- reading "after 10" can see 12 before 11 commits and skip 11 for good (tests/event_log.rs
-- shows both).
CREATE TABLE internal_chat_events (
    account_id bigint   NOT NULL,
    id         bigint   NOT NULL,
    type       text     NOT NULL,
    room_id    uuid,
    ts         bigint   NOT NULL,
    -- JSON; empty for events about a message, rendered from the message row when read
    data       text     NOT NULL,
    -- the user ids allowed to see it, resolved at commit (the room's members then)
    audience   bigint[] NOT NULL,
    message_id uuid,
    PRIMARY KEY (account_id, id)
);

-- The last id handed out per account (never reused, even after pruning) and how far
-- retention has pruned (a resume from before it must resync).
CREATE TABLE internal_chat_event_counters (
    account_id     bigint NOT NULL PRIMARY KEY,
    last_id        bigint NOT NULL,
    pruned_through bigint NOT NULL DEFAULT 0
);
