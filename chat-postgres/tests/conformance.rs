//! The shared backend conformance suite and the facade's property test, run against
//! PostgreSQL: each test on a fresh database (`common::TestDb`), as the ordinary role that
//! row-level security binds.

mod common;

use std::sync::Arc;

use chat_core::testing::TestBackend;
use chat_postgres::Options;
use common::TestDb;

/// A fresh database and its store. Audit failures are injected with a trigger created by the
/// superuser, so the store itself has no test-only code path; the database is dropped when
/// the backend is (it lives in the injection closure).
fn backend() -> TestBackend {
    with_db(Arc::new(TestDb::create()))
}

fn with_db(db: Arc<TestDb>) -> TestBackend {
    let options = Options {
        pool_size: 8,
        ..Options::default()
    };
    let store = db.store(&options);
    let fail_audit = move |on: bool| {
        let sql = if on {
            "CREATE OR REPLACE FUNCTION test_fail_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$; \
             DROP TRIGGER IF EXISTS test_fail_audit ON internal_chat_audit; \
             CREATE TRIGGER test_fail_audit BEFORE INSERT ON internal_chat_audit \
             FOR EACH ROW EXECUTE FUNCTION test_fail_audit();"
        } else {
            "DROP TRIGGER IF EXISTS test_fail_audit ON internal_chat_audit; \
             DROP FUNCTION IF EXISTS test_fail_audit();"
        };
        db.exec_as_admin(sql);
    };
    TestBackend {
        store: Arc::new(store),
        fail_audit: Box::new(fail_audit),
    }
}

/// The same for the property test, whose harness keeps only the store: each new backend
/// (one per case; the cases of one test run one after the other on its thread) drops the
/// database of the previous case on that thread.
fn model_backend() -> TestBackend {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Arc<TestDb>>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| last.borrow_mut().take());
    let db = Arc::new(TestDb::create());
    let backend = with_db(Arc::clone(&db));
    LAST.with(|last| *last.borrow_mut() = Some(db));
    backend
}

chat_core::chat_store_conformance!(backend);

mod model {
    chat_core::chat_store_model!(super::model_backend);
}
