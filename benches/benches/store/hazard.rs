//! A hazard, measured: the same database after ANALYZE (what `PRAGMA optimize` or an operator
//! may do). With the bundled SQLite's STAT4, statements whose plan depends on a bound range
//! value are re-prepared on every execution.

use chat_benches::gen::Layout;
use chat_benches::raw;
use chat_benches::stats::{sample, Samples};

use crate::harness::{enter, open, options, Run};
use crate::load::send_load;

/// Store figures on the ANALYZEd database.
pub struct Analyzed {
    /// One caller sending.
    pub send: Samples,
    /// Newest page of 50 in the hot room.
    pub page: Samples,
}

/// Runs ANALYZE on the working copy, then measures a send and a page read.
pub fn measure(run: &Run) -> Analyzed {
    let Run {
        big,
        b,
        work,
        layout,
        rt,
        ..
    } = run;
    let hot = layout.hot_room();
    eprintln!("ANALYZE…");
    raw::open(work, false)
        .unwrap()
        .execute_batch("ANALYZE")
        .unwrap();
    let chat = open(work, &options(false, true, 4));
    let spec = &layout.rooms[big.reader_rooms.min(big.rooms_per_account - 1)];
    let actor = rt.block_on(enter(&chat, 1, spec.senders[0]));
    let reader = rt.block_on(enter(&chat, 1, Layout::caught_up_reader().0));
    let send = send_load(rt, &chat, &[(actor, spec.id)], b.tput);
    let page = sample(b.samples, b.time, || {
        rt.block_on(chat.list_messages(&reader, hot.id, None, Some(50)))
            .unwrap();
    });
    Analyzed { send, page }
}
