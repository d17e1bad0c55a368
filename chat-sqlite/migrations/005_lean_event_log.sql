-- 005: appending an event costs one B-tree insert (it cost four plus the counter row, about a
-- quarter of every send's pages in the WAL).
-- * Events about a message are rendered from the message row when read, so an edit or a
--   delete rewrites nothing and needs no index by message (their stored data is empty).
-- * Events of an archived room (but its `room.deleted`) are deleted by the archiving write,
--   by a scan of the account's log (bounded by retention; archiving is rare), and filtered out
--   when read too, so they need no index by room.
-- * Retention by age walks the log from its oldest end (times follow ids but for clock
--   steps; see events::prune), so it needs no index by time.
-- * The counter row is written when the log is pruned, not per event: the last id handed out
--   is the larger of it and the newest id in the log, so ids are still never reused.
DROP INDEX idx_events_account_ts;
DROP INDEX idx_events_message;
DROP INDEX idx_events_room;
