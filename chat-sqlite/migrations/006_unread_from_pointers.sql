-- 006: a message no longer writes a row per member of its room.
-- Until 005 each member kept `unread_count`, so every send updated every other member's row
-- (the largest part of a send in a room of ten, and O(members) in a big room). Now a member
-- keeps `skipped_count`: the messages after their read pointer that do not count as unread
-- (deleted ones, and their own), and
--     unread = room.last_seq - member.last_read_seq - member.skipped_count,
-- so a send writes the sender's row only (mentioned members' `mention_count` still grows:
-- those rows are few). Deletes and partial reads still adjust the count, as before.
ALTER TABLE internal_chat_members ADD COLUMN skipped_count INTEGER NOT NULL DEFAULT 0;
UPDATE internal_chat_members SET skipped_count =
    (SELECT r.last_seq FROM internal_chat_rooms r WHERE r.id = internal_chat_members.room_id)
    - last_read_seq - unread_count;
ALTER TABLE internal_chat_members DROP COLUMN unread_count;
