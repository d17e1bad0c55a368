//! Diagnosis of the send: the store's own send SQL replayed on a raw connection, today's and
//! with each proposed library change added in turn, so that the gap between the store and raw
//! single-row transactions can be attributed step by step.

use std::sync::Arc;
use std::time::Duration;

use chat_benches::raw;
use chat_benches::stats::{sample, Samples};

use crate::harness::Run;

/// The steps of the ladder, each with its figure; the first step is today's SQL.
pub type Ladder = Vec<(&'static str, Samples)>;

/// Replays the send's SQL under `synchronous = FULL` (or NORMAL), step by step.
pub fn measure(run: &Run, full: bool) -> Ladder {
    let Run {
        big,
        b,
        work,
        layout,
        ..
    } = run;
    let spec = &layout.rooms[big.rooms_per_account - 1];
    let mut ladder = Vec::new();
    let steps: [(&str, raw::SendVariant, Option<i64>, bool, usize); 6] = [
        ("today's SQL", raw::SendVariant::default(), None, false, 1),
        (
            "+ event prune bound by two range lookups, not one OR",
            raw::SendVariant {
                split_prune: true,
                ..Default::default()
            },
            None,
            false,
            1,
        ),
        (
            "+ no read-pointer recount when only the own message is new",
            raw::SendVariant {
                split_prune: true,
                skip_idle_advance: true,
            },
            None,
            false,
            1,
        ),
        (
            "+ 64 MiB page cache on the writer",
            raw::SendVariant {
                split_prune: true,
                skip_idle_advance: true,
            },
            Some(-65_536),
            false,
            1,
        ),
        (
            "+ checkpoints on a background connection",
            raw::SendVariant {
                split_prune: true,
                skip_idle_advance: true,
            },
            Some(-65_536),
            true,
            1,
        ),
        (
            "all of the above, 32 sends per transaction (group commit's SQL ceiling)",
            raw::SendVariant {
                split_prune: true,
                skip_idle_advance: true,
            },
            Some(-65_536),
            true,
            32,
        ),
    ];
    for (what, v, cache, bg_checkpoint, per_tx) in steps {
        let mut c = raw::open(work, full).unwrap();
        if let Some(kib) = cache {
            c.pragma_update(None, "cache_size", kib).unwrap();
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let checkpointer = bg_checkpoint.then(|| {
            c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
            let (stop, path) = (stop.clone(), work.clone());
            std::thread::spawn(move || {
                let ck = raw::open(&path, full).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    let _ = ck.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
        });
        let mut s = sample(b.samples * 3, b.time, || {
            raw::send_like(
                &mut c,
                1,
                spec.id.0,
                spec.senders[0],
                big.keep_events,
                per_tx,
                v,
            )
            .unwrap();
        });
        s.ops *= per_tx as u64;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = checkpointer {
            t.join().unwrap();
        }
        ladder.push((what, s));
    }
    ladder
}
