//! Model-based property test of the `Chat` facade over any store: every backend runs it
//! with [`chat_store_model!`](crate::chat_store_model).
//!
//! Random sequences of operations by random actors of two accounts run against a fresh
//! store (from the backend's factory) and, side by side, against a small in-memory model (`state.rs`, with the
//! per-operation rules in `rules.rs`) that computes every expected outcome on its own:
//! permissions from `crate::policy::decide` (the policy table is the spec) applied to
//! facts the model keeps, data effects (seq numbering, unread and mention counters, read
//! pointers, DM uniqueness, idempotent `client_id`, archiving, entitlements, deactivation,
//! audit entries) from the contract. After every step the store must agree with the model
//! for every actor, and no actor may ever have seen an id of the other account.
//!
//! Rooms and messages are referred to by index into the list of every id ever created in
//! either account, so actors often aim at the other tenant's ids (`ops.rs` says how
//! indices resolve).
//!
//! Layout: `ops.rs` generates sequences, `harness.rs` runs each step against the
//! facade and the model, `check.rs` compares the whole visible state after each step
//! and records the ids each user saw.
//!
//! `PROPTEST_CASES` overrides the number of cases (default 64; with `CI` set, fewer fails
//! the test instead of silencing it). At least 40% of the facade calls of a run must succeed,
//! so a generator drifting into mostly refusals fails. `MODEL_STATS=1` prints the
//! outcome class of every facade call to stderr (run with `--nocapture`), to check that the
//! generator keeps producing successful operations and not only refusals.

mod check;
mod harness;
mod ops;
mod state;

use proptest::test_runner::{Config, TestRunner};

use super::TestBackend;

/// Most operations in one generated sequence.
const MAX_STEPS: usize = 40;

/// Expands to the property test of the facade over a backend: `model_random_sequences` and
/// `model_fixed_sequences`, each on fresh stores from `$factory` (a path to a
/// `fn() -> TestBackend`). Call it once per backend configuration, in a module of its own.
#[macro_export]
macro_rules! chat_store_model {
    ($factory:path) => {
        #[test]
        fn model_random_sequences() {
            $crate::testing::model::random_sequences($factory);
        }

        #[test]
        fn model_concurrent_sends() {
            $crate::testing::model::concurrent_sequences($factory);
        }

        #[test]
        fn model_fixed_sequences() {
            $crate::testing::model::fixed_sequences($factory);
        }
    };
}

/// Cases per run unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 64;

fn config() -> Config {
    let cases = cases(
        std::env::var("PROPTEST_CASES").ok(),
        std::env::var_os("CI").is_some(),
    );
    Config {
        cases,
        // Every shrink step replays a whole sequence against a new store.
        max_shrink_iters: 2_000,
        // Minimal failing sequences are printed; keep the source tree clean.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The number of cases: `PROPTEST_CASES` when it is a number, else [`DEFAULT_CASES`]. Under CI
/// (`CI` set) fewer than the default — `PROPTEST_CASES=0` included, or a value that is not a
/// number — fails instead of quietly running (next to) nothing.
fn cases(env: Option<String>, ci: bool) -> u32 {
    let parsed = env.as_deref().map(|v| v.trim().parse::<u32>());
    let cases = match parsed {
        None => DEFAULT_CASES,
        Some(Ok(n)) => n,
        Some(Err(_)) if !ci => DEFAULT_CASES,
        Some(Err(_)) => panic!("PROPTEST_CASES={env:?} is not a number (CI is set)"),
    };
    assert!(
        !ci || cases >= DEFAULT_CASES,
        "PROPTEST_CASES={cases} under CI: at least {DEFAULT_CASES} cases must run (unset CI to run fewer locally)"
    );
    cases
}

/// One runtime for every case of a test; each case blocks on it.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Random sequences against fresh stores from `factory` and the model; panics with the
/// minimal failing sequence.
pub fn random_sequences(factory: fn() -> TestBackend) {
    run_all(factory, ops::sequence(MAX_STEPS));
}

/// The same with bursts of concurrent sends among the steps: a backend that batches writes
/// (SQLite's group commit) really forms batches of different rooms and senders, and the
/// model checks every message, counter and event as the store ordered them.
pub fn concurrent_sequences(factory: fn() -> TestBackend) {
    run_all(factory, ops::concurrent_sequence(MAX_STEPS));
}

fn run_all(
    factory: fn() -> TestBackend,
    sequences: impl proptest::strategy::Strategy<Value = Vec<ops::Op>>,
) {
    let rt = runtime();
    let mut runner = TestRunner::new(config());
    let _ = harness::take_outcomes();
    let result = runner.run(&sequences, |steps| {
        rt.block_on(harness::run(factory, &steps))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (ok, all) = harness::take_outcomes();
    eprintln!("model: {ok} of {all} facade calls succeeded");
    // A generator that drifts into producing mostly refusals (unknown ids, forbidden roles)
    // would still pass every check while testing little: a minimum share must succeed.
    if all > 0 {
        let share = ok as f64 / all as f64;
        assert!(
            share >= MIN_SUCCESS_SHARE,
            "only {ok} of {all} facade calls succeeded ({:.0}%, minimum {:.0}%): the generator \
             mostly produces refusals",
            share * 100.0,
            MIN_SUCCESS_SHARE * 100.0
        );
    }
}

/// The least share of facade calls of a property run that must succeed (about 70% do with
/// the current generator, on every backend).
const MIN_SUCCESS_SHARE: f64 = 0.4;

/// A few fixed sequences that once failed or that pin down corner cases, replayed every run.
pub fn fixed_sequences(factory: fn() -> TestBackend) {
    let rt = runtime();
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
        if let Err(e) = rt.block_on(harness::run(factory, &steps)) {
            panic!("{e}\nsequence: {steps:#?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_cannot_lower_the_case_count() {
        assert_eq!(cases(None, true), DEFAULT_CASES);
        assert_eq!(cases(Some("500".into()), true), 500);
        assert_eq!(cases(Some("0".into()), false), 0);
        assert_eq!(cases(Some("x".into()), false), DEFAULT_CASES);
        for low in ["0", "1", "63", "x", ""] {
            let run = std::panic::catch_unwind(|| cases(Some(low.into()), true));
            assert!(run.is_err(), "PROPTEST_CASES={low} accepted under CI");
        }
    }
}
