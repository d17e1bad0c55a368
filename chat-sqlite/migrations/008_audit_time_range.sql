-- 008: GET /audit?from&to pages the account's log by (created_at, id) inside a time range.
-- The seed's idx_audit_account_created orders by created_at only (ties by rowid, not id), so
-- the (created_at, id) keyset and the range need this one: a range seek, no sort.
CREATE INDEX idx_audit_account_created_id ON internal_chat_audit (account_id, created_at, id);
