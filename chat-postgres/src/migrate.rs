//! Numbered migrations embedded at compile time, each applied once in its own transaction
//! (PostgreSQL's DDL is transactional: a failed migration leaves no trace), recorded in
//! `internal_chat_schema`. Nodes starting together serialize on an advisory lock, so one
//! migrates and the others find it done.

use tokio_postgres::Client;

use crate::error::{db, internal, Result};

/// The migrations, in order: (version, name, SQL).
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "init", include_str!("../migrations/001_init.sql")),
    (
        2,
        "event_log",
        include_str!("../migrations/002_event_log.sql"),
    ),
    (
        3,
        "row_level_security",
        include_str!("../migrations/003_row_level_security.sql"),
    ),
    (4, "stats", include_str!("../migrations/004_stats.sql")),
];

/// The schema version this build migrates to.
pub const SCHEMA_VERSION: i32 = 4;

/// Key of the advisory lock migrations hold (any constant; "chat" in ASCII).
const MIGRATION_LOCK: i64 = 0x6368_6174;

/// The store's tables: what the application role is granted.
pub(crate) const TABLES: &[&str] = &[
    "internal_chat_rooms",
    "internal_chat_members",
    "internal_chat_messages",
    "internal_chat_mentions",
    "internal_chat_audit",
    "internal_chat_directory",
    "internal_chat_directory_words",
    "internal_chat_entitlements",
    "internal_chat_notifications",
    "internal_chat_events",
    "internal_chat_event_counters",
];

/// Brings the database to [`SCHEMA_VERSION`]; refuses a database migrated by a newer build.
pub(crate) async fn migrate(c: &mut Client) -> Result<()> {
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS internal_chat_schema ( \
             version    integer PRIMARY KEY, \
             name       text    NOT NULL, \
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .map_err(db)?;
    for (version, name, sql) in MIGRATIONS {
        let tx = c.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(db)?;
        let done = tx
            .query_opt(
                "SELECT 1 FROM internal_chat_schema WHERE version = $1",
                &[version],
            )
            .await
            .map_err(db)?
            .is_some();
        if done {
            continue;
        }
        tx.batch_execute(sql).await.map_err(db)?;
        tx.execute(
            "INSERT INTO internal_chat_schema (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        tracing::info!(version, name, "chat-postgres: migrated");
    }
    let newest: Option<i32> = c
        .query_one("SELECT MAX(version) FROM internal_chat_schema", &[])
        .await
        .map_err(db)?
        .get(0);
    if newest.unwrap_or(0) > SCHEMA_VERSION {
        return Err(internal(format!(
            "database schema {newest:?} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    Ok(())
}

/// `"name"` quoted as an SQL identifier (a role name cannot be a bound parameter).
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Grants `role` what the store needs on its tables: rows only, no DDL, no ownership (an
/// owner could switch row-level security off).
pub(crate) async fn grant(c: &Client, role: &str) -> Result<()> {
    let role = quote_ident(role);
    // The schema version, so `PgStore::connect` can check it.
    let mut sql = format!(
        "GRANT USAGE ON SCHEMA public TO {role}; GRANT SELECT ON internal_chat_schema TO {role};"
    );
    for t in TABLES {
        sql.push_str(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {role};"
        ));
    }
    c.batch_execute(&sql).await.map_err(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_up_to_the_schema_version() {
        for (i, (v, _, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(*v).unwrap(), i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
    }

    #[test]
    fn every_table_has_row_level_security() {
        let rls = MIGRATIONS[2].2;
        for t in TABLES {
            assert!(
                rls.contains(&format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")),
                "{t}"
            );
            assert!(
                rls.contains(&format!("CREATE POLICY tenant ON {t}\n")),
                "{t}"
            );
        }
        let created = MIGRATIONS
            .iter()
            .flat_map(|m| m.2.matches("CREATE TABLE ").map(|_| ()))
            .count();
        assert_eq!(created, TABLES.len(), "every table is in TABLES");
    }

    #[test]
    fn role_names_are_quoted() {
        assert_eq!(quote_ident("chat_app"), "\"chat_app\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
