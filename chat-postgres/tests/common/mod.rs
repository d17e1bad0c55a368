//! Test databases: each test gets a fresh database `chat_test_<random>` on the server of
//! `CHAT_TEST_PG` (key=value form; default `host=127.0.0.1 port=5432 user=postgres
//! dbname=test`, a superuser), migrated by that superuser and used by the store as the
//! ordinary role `chat_app` — row-level security binds it, as it must in production (a
//! superuser would bypass every policy). The database is dropped when the test ends, so
//! tests run in parallel without seeing each other.
//!
//! The conformance macros call their factory synchronously from inside a Tokio runtime, so
//! the setup runs on a thread of its own with its own small runtime.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;

use chat_postgres::{Options, PgStore};

/// The role the store connects as in tests: LOGIN, not superuser, not BYPASSRLS.
pub const APP_ROLE: &str = "chat_app";

/// The administrative connection string.
pub fn admin_url() -> String {
    std::env::var("CHAT_TEST_PG")
        .unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test".to_owned())
}

/// Runs `f` to completion on a thread of its own (callable from inside a runtime).
pub fn block_on_thread<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .unwrap()
}

/// A plain connection (outside the store) as `url`.
pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    tokio::spawn(conn);
    client
}

/// A fresh, migrated database; dropped with this value.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// Creates it as a copy of the migrated template (see [`template`]).
    pub fn create() -> Self {
        let template = template();
        let name = format!("chat_test_{}", uuid::Uuid::now_v7().simple());
        let db = name.clone();
        block_on_thread(async move {
            client(&admin_url())
                .await
                .batch_execute(&format!("CREATE DATABASE {db} TEMPLATE {template}"))
                .await
                .unwrap_or_else(|e| panic!("create database: {e}"));
        });
        Self { name }
    }

    /// The connection string of this database as the superuser (`None`) or `user`.
    pub fn url(&self, user: Option<&str>) -> String {
        url_as(&self.name, user)
    }

    /// The store on this database, as the application role.
    pub fn store(&self, options: &Options) -> PgStore {
        PgStore::new(&self.url(Some(APP_ROLE)), options).unwrap_or_else(|e| panic!("store: {e}"))
    }

    /// Runs SQL on this database as the superuser (from anywhere: blocks on its own thread).
    pub fn exec_as_admin(&self, sql: &str) {
        let (url, sql) = (self.url(None), sql.to_owned());
        block_on_thread(async move {
            client(&url)
                .await
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        });
    }
}

/// The migrated database every test database is copied from (copying is cheaper than
/// migrating each), named after a hash of the migrations so an edited migration gets a new
/// one (and the older ones dropped). Built under a temporary name and renamed when complete,
/// so a concurrent test process never copies a half-migrated template. Also creates the application role.
pub fn template() -> &'static str {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for sql in MIGRATIONS {
            sql.hash(&mut h);
        }
        let name = format!("chat_tmpl_{:016x}", h.finish());
        let final_name = name.clone();
        block_on_thread(async move {
            let admin = client(&admin_url()).await;
            // Several test processes may race to create the role: whoever loses finds it.
            let create_role = admin
                .batch_execute(&format!(
                    "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"
                ))
                .await;
            if let Err(e) = create_role {
                let exists = admin
                    .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&APP_ROLE])
                    .await
                    .unwrap()
                    .is_some();
                assert!(exists, "create role: {e}");
            }
            let ready = admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .unwrap()
                .is_some();
            if ready {
                return;
            }
            let building = format!("chat_build_{}", uuid::Uuid::now_v7().simple());
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await
                .unwrap_or_else(|e| panic!("create database: {e}"));
            PgStore::migrate(
                &url_as(&building, None),
                &Options::default(),
                Some(APP_ROLE),
            )
            .await
            .unwrap_or_else(|e| panic!("migrate: {e}"));
            // The migration's connection may take a moment to be gone.
            for _ in 0..50 {
                match admin
                    .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                {
                    Ok(()) => {
                        // Templates of older migrations are of no more use (one being copied
                        // right now refuses to go: it is left for a later run).
                        let stale = admin
                            .query(
                                "SELECT datname FROM pg_database \
                                 WHERE datname LIKE 'chat\\_tmpl\\_%' AND datname <> $1",
                                &[&name],
                            )
                            .await
                            .unwrap();
                        for row in stale {
                            let old: String = row.get(0);
                            let _ = admin.batch_execute(&format!("DROP DATABASE {old}")).await;
                        }
                        return;
                    }
                    Err(e)
                        if e.code()
                            == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) =>
                    {
                        let _ = admin
                            .batch_execute(&format!("DROP DATABASE {building} WITH (FORCE)"))
                            .await;
                        return;
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                }
            }
            panic!("could not rename {building} to {name}");
        });
        final_name
    })
}

/// The migrations' SQL and the code that applies them and grants, for the template's name.
const MIGRATIONS: &[&str] = &[
    include_str!("../../src/migrate.rs"),
    include_str!("../../migrations/001_init.sql"),
    include_str!("../../migrations/002_event_log.sql"),
    include_str!("../../migrations/003_row_level_security.sql"),
    include_str!("../../migrations/004_stats.sql"),
];

fn url_as(db: &str, user: Option<&str>) -> String {
    let mut url = format!("{} dbname={db}", admin_url());
    if let Some(user) = user {
        url.push_str(&format!(" user={user}"));
    }
    url
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let db = self.name.clone();
        // FORCE ends the store's connections still open.
        block_on_thread(async move {
            let admin = client(&admin_url()).await;
            if let Err(e) = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .await
            {
                eprintln!("drop database {db}: {e}");
            }
        });
    }
}
