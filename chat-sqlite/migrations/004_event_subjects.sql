-- 004: record how far retention has pruned (resuming before that point needs a resync;
-- rows removed for other reasons do not count), and find a message's or a room's logged events, so that editing or deleting a message
-- rewrites its content in the log and archiving a room drops its history from the log
-- (the log must never replay what the API no longer shows).

ALTER TABLE internal_chat_events ADD COLUMN message_id BLOB;
CREATE INDEX idx_events_message ON internal_chat_events (account_id, message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX idx_events_room ON internal_chat_events (account_id, room_id)
    WHERE room_id IS NOT NULL;

ALTER TABLE internal_chat_event_counters ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
