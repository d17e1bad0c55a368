//! Store benchmarks, storage policies and the physical limit, in one run.
//!
//! `cargo bench -p chat-benches` generates (once, cached under `target/chat-bench-data/`) a
//! deterministic world of 1M messages over 1k rooms and 2 accounts plus a 100k-message twin,
//! copies it, and measures through the facade (`Chat` over `SqliteStore`) side by side with
//! raw `rusqlite` on the same file with the same pragmas. It prints markdown tables (also
//! written to `target/chat-bench-data/results.md`). `CHAT_BENCH_QUICK=1` runs everything on
//! tiny data in seconds (CI). No figure is asserted.
//!
//! `main` is the sequence of phases; each phase is a module. The phases share one working
//! copy and run in a fixed order (reads, then writes, then mark read, then ANALYZE), since
//! each one leaves the database as the next one finds it.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod bigroom;
mod harness;
mod hazard;
mod ladder;
mod load;
mod profile;
mod reads;
mod report;
mod summary;
mod writes;

use std::time::Instant;

use harness::{Budget, Run};

fn main() {
    let quick = std::env::var_os("CHAT_BENCH_QUICK").is_some();
    let (big, small, b) = Budget::select(quick);
    let started = Instant::now();
    let run = Run::prepare(quick, big, small, b);
    if let Some(senders) = profile::requested() {
        profile::run(&run, senders);
        return;
    }
    let load_before = report::loadavg();
    let mut report = report::header(&run);

    let reads = reads::measure(&run);
    let pool = reads::pool(&run, &reads.raw_newest);
    let writes = writes::measure(&run);
    let store_mark = writes::mark_read(&run);
    let analyzed = hazard::measure(&run);

    report.push_str(&summary::figures(&run, &reads, &writes, &store_mark, &analyzed).out);
    report.push_str(&summary::diagnosis(&writes).out);
    report.push_str(&writes.policies.out);
    report.push_str(&pool.out);
    report::footer(&mut report, started, &load_before);
    println!("{report}");
    let _ = std::fs::write(run.data.join("results.md"), &report);
}
