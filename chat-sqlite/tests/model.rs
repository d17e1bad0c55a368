//! Model-based property test of the `Chat` facade over the SQLite store.
//!
//! Random sequences of operations by random actors of two accounts run against a fresh
//! store and, side by side, against a small in-memory model (`model/state.rs`, with the
//! per-operation rules in `model/rules.rs`) that computes every expected outcome on its own:
//! permissions from `chat_core::policy::decide` (the policy table is the spec) applied to
//! facts the model keeps, data effects (seq numbering, unread and mention counters, read
//! pointers, DM uniqueness, idempotent `client_id`, archiving, entitlements, deactivation,
//! audit entries) from the contract. After every step the store must agree with the model
//! for every actor, and no actor may ever have seen an id of the other account.
//!
//! Rooms and messages are referred to by index into the list of every id ever created in
//! either account, so actors often aim at the other tenant's ids (`model/ops.rs` says how
//! indices resolve).
//!
//! Layout: `model/ops.rs` generates sequences, `model/harness.rs` runs each step against the
//! facade and the model, `model/check.rs` compares the whole visible state after each step
//! and records the ids each user saw.
//!
//! `PROPTEST_CASES` overrides the number of cases (default 64). `MODEL_STATS=1` prints the
//! outcome class of every facade call to stderr (run with `--nocapture`), to check that the
//! generator keeps producing successful operations and not only refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "model/check.rs"]
mod check;
#[path = "model/harness.rs"]
mod harness;
#[path = "model/ops.rs"]
mod ops;
#[path = "model/state.rs"]
mod state;

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// One runtime for every case; each case blocks on it.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
});

/// Most operations in one generated sequence.
const MAX_STEPS: usize = 40;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        // Every shrink step replays a whole sequence against a new database.
        max_shrink_iters: 2_000,
        // Minimal failing sequences are printed; keep the source tree clean.
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn store_and_facade_agree_with_the_model(
        steps in ops::sequence(MAX_STEPS)
    ) {
        RUNTIME.block_on(harness::run(&steps))?;
    }
}

/// A few fixed sequences that once failed or that pin down corner cases, replayed every run.
#[test]
fn fixed_sequences() {
    use ops::{Op, UserRef};
    let own = |idx| UserRef {
        foreign: false,
        idx,
    };
    let sequences: Vec<Vec<Op>> = vec![
        // A supervisor's room with two agents: send, mention, read, delete, re-add.
        vec![
            Op::CreateRoom {
                actor: 1,
                name: 0,
                members: vec![own(2), own(3)],
            },
            Op::Send {
                actor: 2,
                room: 0,
                content: 0,
                mentions: vec![own(3)],
                client_id: Some(0),
            },
            Op::Send {
                actor: 2,
                room: 0,
                content: 1,
                mentions: vec![],
                client_id: Some(0),
            },
            Op::Send {
                actor: 3,
                room: 0,
                content: 2,
                mentions: vec![],
                client_id: None,
            },
            Op::MarkRead {
                actor: 1,
                room: 0,
                to: Some(0),
            },
            Op::Delete { actor: 1, msg: 1 },
            Op::Remove {
                actor: 1,
                room: 0,
                user: Some(own(3)),
            },
            Op::AddMembers {
                actor: 1,
                room: 0,
                users: vec![own(3)],
                role: None,
            },
            Op::ListAudit {
                actor: 0,
                filter: None,
            },
        ],
        // A DM found again, archived, and started anew; the other account probes it.
        vec![
            Op::CreateDm {
                actor: 2,
                with: vec![own(3)],
            },
            Op::CreateDm {
                actor: 3,
                with: vec![own(2)],
            },
            Op::GetRoom { actor: 5, room: 0 },
            Op::Archive { actor: 0, room: 0 },
            Op::CreateDm {
                actor: 3,
                with: vec![own(2)],
            },
            Op::ListRooms { actor: 2, limit: 1 },
        ],
    ];
    for steps in sequences {
        if let Err(e) = RUNTIME.block_on(harness::run(&steps)) {
            panic!("{e}\nsequence: {steps:#?}");
        }
    }
}
