//! Profile mode, for `perf record`: `CHAT_BENCH_PROFILE=<senders>` runs that many closed-loop
//! senders for 20 s on the big working copy, prints one line and nothing else.

use std::time::Duration;

use chat_core::{Actor, RoomId};

use crate::harness::{enter, open, options, Run};
use crate::load::send_load;
use crate::report::{lat, rate};

/// The number of senders asked for, if profile mode is on.
pub fn requested() -> Option<usize> {
    std::env::var("CHAT_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
}

/// Runs `n` senders, each in its own room while rooms last (rooms the readers are not in).
pub fn run(run: &Run, n: usize) {
    let Run {
        big,
        work,
        layout,
        rt,
        ..
    } = run;
    let chat = open(work, &options(false, true, 4));
    let senders: Vec<(Actor, RoomId)> = rt.block_on(async {
        let mut v = Vec::new();
        for k in 0..n {
            let spec =
                &layout.rooms[big.reader_rooms + k % (big.rooms_per_account - big.reader_rooms)];
            v.push((enter(&chat, 1, spec.senders[0]).await, spec.id));
        }
        v
    });
    let s = send_load(rt, &chat, &senders, Duration::from_secs(20));
    println!("profile: {} {}", rate(&s), lat(&s));
}
