//! The conformance suite every [`ChatStore`] backend runs (feature `testing`).
//!
//! A backend crate calls [`chat_store_conformance!`](crate::chat_store_conformance) in its
//! tests with a factory returning a fresh [`TestBackend`]; the macro expands to one
//! `#[tokio::test]` per check, so failures name the rule that broke. Everything goes through
//! the [`Chat`] facade, as an embedder would, plus the raw store where a test must prove that
//! nothing was written.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod fixtures;
pub mod suite;

use std::sync::Arc;

use crate::store::ChatStore;

/// A fresh, empty store plus the fault injection the suite needs.
pub struct TestBackend {
    /// The store under test.
    pub store: Arc<dyn ChatStore>,
    /// Makes every later audit insert fail (`true`) or work again (`false`), so the suite can
    /// prove that an action whose audit entry cannot be written does not happen.
    pub fail_audit: Box<dyn Fn(bool) + Send + Sync>,
}

/// Expands to one `#[tokio::test]` per conformance check, each on a fresh backend from
/// `$factory` (a path to a `fn() -> TestBackend`). The calling crate needs `tokio` with the
/// `macros` and `rt-multi-thread` features as a dev-dependency.
#[macro_export]
macro_rules! chat_store_conformance {
    ($factory:path) => {
        $crate::__conformance_tests!($factory;
            // Add new checks here and as `pub async fn name(b: TestBackend)` in `suite`.
            smoke_create_room_send_and_read,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($factory:path; $($name:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::testing::suite::$name($factory()).await;
            }
        )*
    };
}
