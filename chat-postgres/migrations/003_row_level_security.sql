-- 003: row-level security on every table, the second of the two tenant fences (the first is
-- the account in every WHERE clause of the store's statements). Each transaction of the store
-- sets its account with set_config('app.account_id', …, true) (SET LOCAL: it ends with the
-- transaction, so a pooled connection never carries one request's tenant into the next), and
-- a row is visible, updatable or insertable only when its account_id is that one. Without the
-- setting nothing is visible at all: a statement that forgot its filter, or ran outside the
-- store's transactions, fails closed.
--
-- FORCE applies the policies to the tables' owner too. Superusers and roles with BYPASSRLS
-- are never subject to them: the store must connect as an ordinary role (docs/postgres.md).

-- The account of the running transaction, NULL when unset ('' once set in the session and
-- reset by the end of a transaction). An inlined SQL function: a stable expression the planner
-- evaluates once per statement and can use as an index key.
CREATE FUNCTION internal_chat_account() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.account_id', true), '')::bigint $$;


ALTER TABLE internal_chat_rooms ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_rooms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_rooms
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_members
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_messages
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_mentions ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_mentions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_mentions
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_audit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_audit
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_directory ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_directory FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_directory
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_directory_words ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_directory_words FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_directory_words
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_entitlements ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_entitlements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_entitlements
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_notifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_notifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_notifications
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_events
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());

ALTER TABLE internal_chat_event_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE internal_chat_event_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON internal_chat_event_counters
    USING (account_id = internal_chat_account()) WITH CHECK (account_id = internal_chat_account());
