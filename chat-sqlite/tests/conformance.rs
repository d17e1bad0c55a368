//! The shared backend conformance suite and the facade's property test, run against SQLite
//! in its three configurations.

use std::sync::Arc;

use chat_core::testing::TestBackend;
use chat_sqlite::{Options, SqliteStore};

/// A fresh temporary database. Audit failures are injected with a trigger created through a
/// second connection, so the store itself has no test-only code path.
fn backend() -> TestBackend {
    backend_with(&Options::default())
}

/// The same with one transaction per write (group commit off).
fn backend_one_tx_per_write() -> TestBackend {
    backend_with(&Options {
        group_commit: false,
        ..Options::default()
    })
}

/// The same with reads on the calling task (`Options::inline_reads`).
fn backend_inline_reads() -> TestBackend {
    backend_with(&Options {
        inline_reads: true,
        ..Options::default()
    })
}

fn backend_with(options: &Options) -> TestBackend {
    let store = SqliteStore::open_temporary_with(options).unwrap_or_else(|e| panic!("open: {e}"));
    let path = store.path().to_path_buf();
    let fail_audit = move |on: bool| {
        let conn = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("busy: {e}"));
        let sql = if on {
            "CREATE TRIGGER IF NOT EXISTS test_fail_audit BEFORE INSERT ON internal_chat_audit \
             BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;"
        } else {
            "DROP TRIGGER IF EXISTS test_fail_audit;"
        };
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("trigger: {e}"));
    };
    TestBackend {
        store: Arc::new(store),
        fail_audit: Box::new(fail_audit),
    }
}

chat_core::chat_store_conformance!(backend);

mod one_tx_per_write {
    chat_core::chat_store_conformance!(super::backend_one_tx_per_write);
}

mod inline_reads {
    chat_core::chat_store_conformance!(super::backend_inline_reads);
}

mod model {
    chat_core::chat_store_model!(super::backend);
}

mod model_one_tx_per_write {
    chat_core::chat_store_model!(super::backend_one_tx_per_write);
}

mod model_inline_reads {
    chat_core::chat_store_model!(super::backend_inline_reads);
}
