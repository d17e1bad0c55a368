-- 004: the statistics read an account's messages by time (`ChatStore::activity`,
-- `stats_totals`): one range of this index in time order, no scan, no sort.
CREATE INDEX idx_messages_account_created ON internal_chat_messages (account_id, created_at);
