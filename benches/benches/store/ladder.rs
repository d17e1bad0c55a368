//! Diagnosis of the send: the store's own send SQL replayed on a raw connection, alone and in
//! group-commit batches, so that the gap between the store and raw single-row transactions
//! can be attributed: to the SQL itself, or to the facade and the writer thread around it.

use std::sync::Arc;
use std::time::Duration;

use chat_benches::raw;
use chat_benches::stats::{sample, Samples};

use crate::harness::Run;

/// The steps of the ladder, each with its figure; the first step is the store's SQL as is.
pub type Ladder = Vec<(&'static str, Samples)>;

/// The `(room, sender)` pairs a replayed batch takes its sends from, in turn.
type Senders = [(uuid::Uuid, i64)];

/// Replays the send's SQL under `synchronous = FULL` (or NORMAL), step by step.
pub fn measure(run: &Run, full: bool) -> Ladder {
    let Run {
        big,
        b,
        work,
        layout,
        ..
    } = run;
    // One room (the last, which no store figure writes), or as many rooms as the store's
    // 32 own-room senders use, each with its first sender.
    let one = &layout.rooms[big.rooms_per_account - 1];
    let one = vec![(one.id.0, one.senders[0])];
    let first = big.reader_rooms.min(big.rooms_per_account - 1);
    let spread: Vec<_> = layout.rooms[first..big.rooms_per_account]
        .iter()
        .take(32)
        .map(|r| (r.id.0, r.senders[0]))
        .collect();
    let mut ladder = Vec::new();
    // (what, writer page cache in KiB if set, sends per transaction, their rooms).
    let steps: [(&str, Option<i64>, usize, &Senders); 4] = [
        (
            "the store's send SQL, one send per transaction",
            None,
            1,
            &one,
        ),
        (
            "+ 64 MiB page cache on the writer (not in the store)",
            Some(-65_536),
            1,
            &one,
        ),
        ("32 sends per transaction in one room", None, 32, &one),
        (
            "32 sends per transaction in 32 rooms, as the store's 32 own-room senders",
            None,
            32,
            &spread,
        ),
    ];
    for (what, cache, per_tx, senders) in steps {
        raw::settle(work).unwrap();
        let mut c = raw::open(work, full).unwrap();
        if let Some(kib) = cache {
            c.pragma_update(None, "cache_size", kib).unwrap();
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Checkpoints on a background connection, as the store runs them.
        c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        let checkpointer = {
            let (stop, path) = (stop.clone(), work.clone());
            std::thread::spawn(move || {
                let ck = raw::open(&path, full).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    let _ = ck.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
        };
        let mut s = sample(b.samples * 3, b.time, || {
            raw::send_like(&mut c, 1, senders, big.keep_events, per_tx).unwrap();
        });
        s.ops *= per_tx as u64;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        checkpointer.join().unwrap();
        ladder.push((what, s));
    }
    ladder
}
