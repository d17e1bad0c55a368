//! Numbered migrations, embedded at compile time and tracked in `PRAGMA user_version`.
//!
//! Each migration runs in its own transaction together with the version bump, so a crash
//! leaves the database at the previous version, never in between. A database written by a
//! newer version of this crate is refused rather than misread.

use rusqlite::Connection;

/// `(version, sql)`, in order. Append only: never edit a released migration.
pub(crate) const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../migrations/001_init.sql")),
    (2, include_str!("../migrations/002_events.sql")),
    (3, include_str!("../migrations/003_notifications.sql")),
    (4, include_str!("../migrations/004_event_subjects.sql")),
    (5, include_str!("../migrations/005_lean_event_log.sql")),
    (
        6,
        include_str!("../migrations/006_unread_from_pointers.sql"),
    ),
    (7, include_str!("../migrations/007_directory_search.sql")),
    (8, include_str!("../migrations/008_audit_time_range.sql")),
    (9, include_str!("../migrations/009_service_audit.sql")),
];

/// The data step of a migration that SQL alone cannot do, run after its script in the same
/// transaction.
fn data_step(version: u32, tx: &Connection) -> rusqlite::Result<()> {
    match version {
        // The folded names and search keys are Rust (chat_core::fold).
        7 => crate::directory::backfill(tx),
        _ => Ok(()),
    }
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Brings the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, String> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the database up to `target` (tests use it to build every earlier version).
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, String> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if current > SCHEMA_VERSION {
        return Err(format!(
            "database schema version {current} is newer than this build ({SCHEMA_VERSION})"
        ));
    }
    for (version, sql) in MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > current && *v <= target)
    {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        tx.execute_batch(sql)
            .and_then(|()| data_step(*version, &tx))
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .and_then(|()| tx.commit())
            .map_err(|e| format!("migration {version} failed: {e}"))?;
    }
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn migrates_empty_and_every_earlier_version_to_the_same_schema() {
        let mut fresh = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut fresh).unwrap(), SCHEMA_VERSION);
        let expected = tables(&fresh);
        for start in 0..SCHEMA_VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, start).unwrap();
            assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION, "from {start}");
            assert_eq!(tables(&conn), expected, "from {start}");
        }
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(migrate(&mut conn).is_err());
    }

    #[test]
    fn has_the_seed_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let names = tables(&conn);
        for idx in [
            "idx_rooms_account_type",
            "idx_rooms_created_by",
            "idx_members_room_user",
            "idx_members_user_read",
            "idx_messages_room_created",
            "idx_messages_account_created",
            "idx_audit_account_created",
            "idx_audit_actor",
        ] {
            assert!(names.iter().any(|n| n == idx), "missing {idx}");
        }
    }
}

#[cfg(test)]
mod data_tests {
    use super::*;

    /// 006 turns each member's stored unread count into the skipped count that gives the
    /// same unread count from the room's `last_seq`.
    #[test]
    fn migration_6_keeps_every_unread_count() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 5).unwrap();
        conn.execute_batch(
            "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, last_seq) \
               VALUES (x'01', 1, 'room', 'r', 1, 0, 0, 10); \
             INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_seq, unread_count, mention_count, joined_at) \
               VALUES (x'01', 1, 1, 'owner', 10, 0, 0, 0), (x'01', 2, 1, 'member', 4, 3, 1, 0), \
                      (x'01', 3, 1, 'member', 0, 10, 0, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let unread: Vec<(i64, i64)> = conn
            .prepare(
                "SELECT mb.user_id, r.last_seq - mb.last_read_seq - mb.skipped_count \
                 FROM internal_chat_members mb JOIN internal_chat_rooms r ON r.id = mb.room_id ORDER BY mb.user_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(unread, vec![(1, 0), (2, 3), (3, 10)]);
    }
}

#[cfg(test)]
mod v11_tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str, args: &[rusqlite::types::Value]) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join(" | ")
    }

    /// Migration 007 indexes the names already in the directory, folded.
    #[test]
    fn migration_7_backfills_the_search_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) VALUES \
               (1, 1, 'Maria João Silva', 'agent', 1, 0), (1, 2, NULL, 'agent', 1, 0), \
               (2, 1, 'Conceição', 'admin', 0, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let words: Vec<(i64, String, i64)> = conn
            .prepare("SELECT account_id, word, user_id FROM internal_chat_directory_words ORDER BY 1, 2, 3")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            words,
            vec![
                (1, "joao silva".into(), 1),
                (1, "maria joao silva".into(), 1),
                (1, "silva".into(), 1),
                (2, "conceicao".into(), 1),
            ]
        );
        let keys: Vec<String> = conn
            .prepare("SELECT sort_key FROM internal_chat_directory ORDER BY account_id, user_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(keys, vec!["maria joao silva", "", "conceicao"]);
    }

    /// Neither the directory listing nor a search reads the whole directory: the listing walks
    /// `idx_directory_sort` from the cursor, a search seeks the words' primary key for the
    /// prefix range, picks the page there and reads only its entries by the directory's
    /// primary key.
    #[test]
    fn directory_reads_are_served_by_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let (list, search) = crate::directory::plans(&conn);
        let (list, search) = (list.join(" | "), search.join(" | "));
        println!("list: {list}\nsearch: {search}");
        assert!(list.contains("idx_directory_sort"), "{list}");
        assert!(
            !list.contains("SCAN d ") && !list.ends_with("SCAN d"),
            "{list}"
        );
        // The page is picked from the key range (a co-routine of at most `limit` rows), then
        // only its entries are read from the directory.
        assert!(
            search.starts_with(
                "CO-ROUTINE m | SEARCH w USING PRIMARY KEY (account_id=? AND word>? AND word<?)"
            ),
            "{search}"
        );
        assert!(
            search.contains("SEARCH d USING PRIMARY KEY (account_id=? AND user_id=?)"),
            "{search}"
        );
        assert!(
            !search.contains("SCAN d") && !search.contains("SCAN w"),
            "{search}"
        );
    }

    /// The audit listing with a time range seeks `idx_audit_account_created_id`; the
    /// account-wide room list finds the account's team rooms by `idx_rooms_account_type`.
    #[test]
    fn audit_range_and_account_rooms_are_served_by_indexes() {
        use rusqlite::types::Value::{Integer, Null};
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let audit = plan(
            &conn,
            crate::reads::AUDIT_SQL,
            &[
                Integer(1),
                Null,
                Null,
                Null,
                Null,
                Null,
                Integer(50),
                Integer(0),
                Integer(10),
            ],
        );
        println!("audit: {audit}");
        assert!(
            audit.contains(
                "idx_audit_account_created_id (account_id=? AND created_at>? AND created_at<?)"
            ),
            "{audit}"
        );
        assert!(!audit.contains("TEMP B-TREE"), "{audit}");
        let rooms = plan(
            &conn,
            crate::reads::ACCOUNT_ROOMS_SQL,
            &[Integer(1), Null, Null, Integer(50)],
        );
        println!("rooms: {rooms}");
        assert!(
            rooms.contains("SEARCH r USING INDEX idx_rooms_account_type (account_id=? AND type=?)"),
            "{rooms}"
        );
        assert!(!rooms.contains("SCAN"), "{rooms}");
    }
    /// The statistics read the seed's `(account_id, created_at)` index of messages in its
    /// order (no sort, no scan) and the account's team rooms by `idx_rooms_account_type`; the
    /// export reads the audit range of `idx_audit_account_created_id` forwards, unsorted.
    #[test]
    fn stats_and_export_are_served_by_indexes() {
        use rusqlite::types::Value::{Integer, Null};
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let range = [Integer(1), Integer(0), Integer(10)];
        let messages = plan(&conn, crate::stats::ACTIVITY_MESSAGES_SQL, &range);
        assert!(
            messages.contains(
                "idx_messages_account_created (account_id=? AND created_at>? AND created_at<?)"
            ),
            "{messages}"
        );
        assert!(!messages.contains("TEMP B-TREE"), "{messages}");
        let rooms = plan(&conn, crate::stats::ACTIVITY_ROOMS_SQL, &range);
        assert!(
            rooms.contains("idx_rooms_account_type (account_id=? AND type=?)"),
            "{rooms}"
        );
        let export = plan(
            &conn,
            crate::reads::AUDIT_ASC_SQL,
            &[
                Integer(1),
                Null,
                Null,
                Null,
                Null,
                Null,
                Integer(50),
                Integer(0),
                Integer(10),
            ],
        );
        assert!(
            export.contains(
                "idx_audit_account_created_id (account_id=? AND created_at>? AND created_at<?)"
            ),
            "{export}"
        );
        assert!(!export.contains("TEMP B-TREE"), "{export}");
    }
}

#[cfg(test)]
mod v11_audit_tests {
    use super::*;

    /// 009 keeps every audit row and index, and lets `actor_id` be NULL (the service API's).
    #[test]
    fn migration_9_keeps_the_audit_and_allows_no_actor() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
               VALUES (x'01', 1, 7, 'room.created', 'r', '{}', 5), (x'02', 2, 8, 'room.updated', 's', '{\"a\":1}', 6);",
        )
        .unwrap();
        assert!(conn
            .execute_batch(
                "INSERT INTO internal_chat_audit VALUES (x'03', 1, NULL, 'user.updated', '9', '{}', 7)"
            )
            .is_err());
        migrate(&mut conn).unwrap();
        let rows: Vec<(i64, Option<i64>, String, String, i64)> = conn
            .prepare("SELECT account_id, actor_id, action, metadata, created_at FROM internal_chat_audit ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            vec![
                (1, Some(7), "room.created".into(), "{}".into(), 5),
                (2, Some(8), "room.updated".into(), "{\"a\":1}".into(), 6),
            ]
        );
        conn.execute_batch(
            "INSERT INTO internal_chat_audit VALUES (x'03', 1, NULL, 'user.updated', '9', '{}', 7)",
        )
        .unwrap();
    }
}
