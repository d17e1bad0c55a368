//! The second tenant fence: row-level security on every table, keyed by the transaction's
//! `app.account_id`. Statements here deliberately forget the account filter — as a bug in
//! the store would — and must still see, change and insert rows of one account only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chat_core::testing::fixtures::{mention, team, text, world, ACC_A, ACC_B};
use chat_core::testing::TestBackend;
use chat_postgres::{Options, PgStore};
use common::{client, TestDb, APP_ROLE};

const TABLES: &[&str] = &[
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

/// Rows of `table` by account, as seen by `c` in a transaction of `account` (`None`: no
/// account set), with no account filter in the statement.
async fn seen(c: &tokio_postgres::Client, account: Option<i64>, table: &str) -> Vec<(i64, i64)> {
    c.batch_execute("BEGIN").await.unwrap();
    if let Some(a) = account {
        c.execute(
            "SELECT set_config('app.account_id', $1, true)",
            &[&a.to_string()],
        )
        .await
        .unwrap();
    }
    let rows = c
        .query(
            &format!("SELECT account_id, COUNT(*) FROM {table} GROUP BY account_id ORDER BY 1"),
            &[],
        )
        .await
        .unwrap();
    c.batch_execute("COMMIT").await.unwrap();
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_without_the_account_filter_sees_only_its_account() {
    let db = Arc::new(TestDb::create());
    let store = db.store(&Options::default());
    assert!(
        store.rls_enforced().await.unwrap(),
        "the store's role is bound by RLS"
    );
    let w = world(TestBackend {
        store: Arc::new(store),
        fail_audit: Box::new(|_| {}),
    })
    .await;
    // Rows of every table in both accounts.
    for (people, account) in [(&w.a, ACC_A), (&w.b, ACC_B)] {
        let (room, _) = w
            .chat
            .create_room(&people.admin, team("r", &[&people.agents[0]]))
            .await
            .unwrap();
        w.chat
            .send_message(&people.admin, room.id, text("hello"))
            .await
            .unwrap();
        let agent = people.agents[0].user();
        w.chat
            .send_message(&people.admin, room.id, mention("hi @a", &[agent]))
            .await
            .unwrap();
        let e = chat_core::model::Entitlements {
            max_rooms: Some(50),
            ..chat_core::model::Entitlements::default()
        };
        w.chat.set_entitlements(account, e).await.unwrap();
    }
    let admin = client(&db.url(None)).await;
    let app = client(&db.url(Some(APP_ROLE))).await;
    for table in TABLES {
        // The superuser bypasses RLS: both accounts' rows exist, so the checks below can fail.
        let all = seen(&admin, None, table).await;
        assert_eq!(
            all.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
            [ACC_A.0, ACC_B.0],
            "{table} has rows of both accounts"
        );
        for account in [ACC_A.0, ACC_B.0] {
            let own: Vec<_> = all.iter().filter(|(a, _)| *a == account).copied().collect();
            assert_eq!(
                seen(&app, Some(account), table).await,
                own,
                "{table} as {account}"
            );
        }
        assert_eq!(
            seen(&app, None, table).await,
            [],
            "{table} with no account set"
        );
    }

    // Changes without the filter reach only the transaction's account.
    app.batch_execute("BEGIN").await.unwrap();
    app.execute("SELECT set_config('app.account_id', '1', true)", &[])
        .await
        .unwrap();
    let renamed = app
        .execute("UPDATE internal_chat_rooms SET name = 'pwned'", &[])
        .await
        .unwrap();
    let deleted = app
        .execute("DELETE FROM internal_chat_notifications", &[])
        .await
        .unwrap();
    app.batch_execute("COMMIT").await.unwrap();
    assert_eq!((renamed, deleted), (1, 1), "account 1's rows only");
    let b_names = admin
        .query(
            "SELECT name FROM internal_chat_rooms WHERE account_id = $1",
            &[&ACC_B.0],
        )
        .await
        .unwrap();
    assert_eq!(b_names[0].get::<_, Option<String>>(0).as_deref(), Some("r"));

    // A row of another account cannot be written at all.
    app.batch_execute("BEGIN").await.unwrap();
    app.execute("SELECT set_config('app.account_id', '1', true)", &[])
        .await
        .unwrap();
    let foreign = app
        .execute(
            "INSERT INTO internal_chat_entitlements (account_id, chat_enabled) VALUES (2, false)",
            &[],
        )
        .await;
    app.batch_execute("ROLLBACK").await.unwrap();
    let e = foreign.expect_err("inserting another account's row is refused");
    let message = e.as_db_error().map(|d| d.message().to_owned());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("row-level security")),
        "{e:?}"
    );
    drop(db);
}

#[tokio::test]
async fn a_superuser_store_is_reported_as_bypassing_rls() {
    let db = TestDb::create();
    let store = PgStore::new(&db.url(None), &Options::default()).unwrap();
    assert!(!store.rls_enforced().await.unwrap());
    let app = db.store(&Options::default());
    assert!(app.rls_enforced().await.unwrap());
    assert_eq!(
        app.schema_version().await.unwrap(),
        chat_postgres::SCHEMA_VERSION
    );
}
