//! The recount: every value the store maintains incrementally, recomputed from the rows with
//! plain SQL, so that generated data which breaks an invariant is refused rather than
//! measured.

use rusqlite::Connection;

/// Recounts every maintained value from the rows; returns the violations found.
pub fn verify(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let checks = [
        (
            "rooms.last_seq / last_message_at = newest message, seqs 1..n with no gap",
            "SELECT COUNT(*) FROM internal_chat_rooms r WHERE r.last_seq != \
               (SELECT COUNT(*) FROM internal_chat_messages m WHERE m.room_id = r.id) \
             OR r.last_seq != COALESCE((SELECT MAX(seq) FROM internal_chat_messages m WHERE m.room_id = r.id), 0) \
             OR r.last_message_at IS NOT (SELECT created_at FROM internal_chat_messages m WHERE m.room_id = r.id AND m.seq = r.last_seq)",
        ),
        (
            "unread (last_seq - pointer - skipped_count) = live messages of others after the pointer",
            "SELECT COUNT(*) FROM internal_chat_members mb JOIN internal_chat_rooms r ON r.id = mb.room_id \
             WHERE r.last_seq - mb.last_read_seq - mb.skipped_count != \
               (SELECT COUNT(*) FROM internal_chat_messages m WHERE m.room_id = mb.room_id \
                  AND m.seq > mb.last_read_seq AND m.sender_id != mb.user_id AND m.deleted_at IS NULL)",
        ),
        (
            "members.mention_count = live mentions after the pointer",
            "SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.mention_count != \
               (SELECT COUNT(*) FROM internal_chat_mentions mn JOIN internal_chat_messages m \
                  ON m.room_id = mn.room_id AND m.seq = mn.seq \
                WHERE mn.room_id = mb.room_id AND mn.user_id = mb.user_id \
                  AND mn.seq > mb.last_read_seq AND m.deleted_at IS NULL)",
        ),
        (
            "a sender's pointer is at or past their newest message",
            "SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.last_read_seq < \
               COALESCE((SELECT MAX(seq) FROM internal_chat_messages m WHERE m.room_id = mb.room_id AND m.sender_id = mb.user_id), 0)",
        ),
        (
            "event counters = newest event id",
            "SELECT COUNT(*) FROM internal_chat_event_counters c WHERE c.last_id != \
               (SELECT MAX(id) FROM internal_chat_events e WHERE e.account_id = c.account_id)",
        ),
        (
            "event counters: pruned_through = the id just below the oldest kept event",
            "SELECT COUNT(*) FROM internal_chat_event_counters c WHERE c.pruned_through != \
               (SELECT MIN(id) - 1 FROM internal_chat_events e WHERE e.account_id = c.account_id)",
        ),
        (
            "message events name their message and store no data (rendered when read)",
            "SELECT COUNT(*) FROM internal_chat_events e WHERE \
               (e.type IN ('message.created', 'message.deleted') AND e.message_id IS NULL) \
               OR (e.message_id IS NOT NULL AND e.data != '')",
        ),
        (
            "one notification per mention",
            "SELECT ABS((SELECT COUNT(*) FROM internal_chat_mentions) - (SELECT COUNT(*) FROM internal_chat_notifications))",
        ),
    ];
    let mut problems = Vec::new();
    for (what, sql) in checks {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        if n != 0 {
            problems.push(format!("{what}: {n} violations"));
        }
    }
    Ok(problems)
}
