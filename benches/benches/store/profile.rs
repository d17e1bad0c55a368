//! Profile mode, for `perf record`: `CHAT_BENCH_PROFILE=<senders>` runs that many closed-loop
//! senders for 20 s on the big working copy, prints one line and nothing else.

use std::time::Duration;

use crate::harness::{open, options, Run};
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
    let chat = open(&run.work, &options(false, true, 4));
    let senders = crate::writes::senders(run, &chat, n);
    let s = send_load(&run.rt, &chat, &senders, Duration::from_secs(20));
    println!("profile: {} {}", rate(&s), lat(&s));
}
