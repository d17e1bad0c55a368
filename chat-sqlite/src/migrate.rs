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
];

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
