//! Writes, per storage policy: for `synchronous` NORMAL and FULL, raw single-row and batched
//! inserts, the send's SQL replayed raw (the [`ladder`](crate::ladder)), then the store's sends
//! with and without group commit at 1, 8 and 32 concurrent senders (and, under NORMAL, in
//! one [big room](crate::bigroom)), then raw again; and the cost of marking a room read.

use std::time::Instant;

use chat_benches::gen::Layout;
use chat_benches::raw;
use chat_benches::stats::Samples;
use chat_core::{Actor, Chat, RoomId};

use crate::harness::{enter, open, options, text, Run};
use crate::ladder::{self, Ladder};
use crate::load::send_load;
use crate::report::{lat, rate, ratio, Table};

/// One store send figure: `synchronous = FULL`?, group commit?, concurrent senders, samples.
pub type SendResult = (bool, bool, usize, Samples);

/// Senders and rooms of the locality figure: 32 senders sharing 4 rooms (8 to a room), with
/// group commit, against the same 32 each in their own room.
pub const SHARED: (usize, usize) = (32, 4);

/// The write figures, per synchronous setting (NORMAL first, then FULL).
pub struct Writes {
    /// Raw single-row transactions, the runs before and after the store's merged.
    pub raw_single: Vec<Samples>,
    /// Raw inserts, 1000 rows per transaction (rows per second).
    pub raw_batched: Vec<Samples>,
    /// The send's SQL replayed raw: alone, and the whole ladder.
    pub raw_send_like: Vec<(Samples, Ladder)>,
    /// Every store send figure.
    pub send_results: Vec<SendResult>,
    /// [`SHARED`] senders in few rooms, group commit, per synchronous setting (NORMAL, FULL).
    pub shared_rooms: Vec<Samples>,
    /// The storage policies table, filled as the figures come.
    pub policies: Table,
}

impl Writes {
    /// The store's send figure for a policy and a number of senders.
    pub fn send(&self, full: bool, gc: bool, c: usize) -> &Samples {
        &self
            .send_results
            .iter()
            .find(|(f, g, n, _)| *f == full && *g == gc && *n == c)
            .unwrap()
            .3
    }
}

/// Measures the writes under NORMAL, then FULL. Each policy's raw single-row figure is taken
/// before and after the store's runs and merged: fsync cost drifts on a shared VM.
pub fn measure(run: &Run) -> Writes {
    let Run { b, work, .. } = run;
    let mut raw_single = Vec::new();
    let mut raw_batched = Vec::new();
    let mut raw_send_like = Vec::new();
    let mut policies = Table::new(
        "Storage policies: send throughput (closed-loop senders, each in its own room unless said)",
        &[
            "synchronous",
            "write path",
            "senders",
            "store sends/s",
            "store latency",
            "raw single-row tx/s",
            "ratio",
        ],
    );
    let mut send_results = Vec::new();
    let mut shared_rooms = Vec::new();
    let mut raw_room = None;
    for full in [false, true] {
        let sync = if full { "FULL" } else { "NORMAL" };
        eprintln!("writes, synchronous={sync}…");
        raw::settle(work).unwrap();
        let mut conn = raw::open(work, full).unwrap();
        let (room, mut seq) = *raw_room.get_or_insert_with(|| raw::raw_room(&conn).unwrap());
        seq = seq.max(raw::raw_room(&conn).unwrap().1);
        let single = raw::insert(&mut conn, room, &mut seq, 1, b.time, b.samples * 3).unwrap();
        let batched = raw::insert(&mut conn, room, &mut seq, 1000, b.time, 1_000).unwrap();
        // The send's own SQL replayed raw, alone and batched.
        let ladder = ladder::measure(run, full);
        let like = ladder[0].1.clone();
        drop(conn);
        store_sends(run, full, &mut send_results);
        let shared = shared_sends(run, full);
        let big = (!full).then(|| {
            eprintln!("writes, one big room…");
            crate::bigroom::sends(run)
        });
        // Raw again after the store runs: fsync cost drifts on a shared VM, so the baseline
        // is the rate over both measurements around the store's.
        raw::settle(work).unwrap();
        let mut conn = raw::open(work, full).unwrap();
        let after = raw::insert(&mut conn, room, &mut seq, 1, b.time, b.samples * 3).unwrap();
        drop(conn);
        eprintln!(
            "raw single-row tx, {sync}: before {} / after {}",
            rate(&single),
            rate(&after)
        );
        let wall = single.wall + after.wall;
        let mut single = single;
        single.merge(after);
        single.wall = wall;
        for (_, gc, c, s) in send_results.iter().filter(|r| r.0 == full) {
            policies.row(&[
                sync.into(),
                if *gc { "group commit" } else { "tx per write" }.into(),
                c.to_string(),
                rate(s),
                lat(s),
                rate(&single),
                ratio(s.rate() / single.rate()),
            ]);
        }
        policies.row(&[
            sync.into(),
            format!("group commit, {} rooms", SHARED.1),
            SHARED.0.to_string(),
            rate(&shared),
            lat(&shared),
            rate(&single),
            ratio(shared.rate() / single.rate()),
        ]);
        shared_rooms.push(shared);
        if let Some((members, one, many)) = &big {
            for (n, s) in [(1, one), (32, many)] {
                policies.row(&[
                    sync.into(),
                    format!("group commit, one room of {members} members"),
                    n.to_string(),
                    rate(s),
                    lat(s),
                    rate(&single),
                    ratio(s.rate() / single.rate()),
                ]);
            }
        }
        raw_single.push(single);
        raw_batched.push(batched);
        raw_send_like.push((like, ladder));
    }
    Writes {
        raw_single,
        raw_batched,
        raw_send_like,
        send_results,
        shared_rooms,
        policies,
    }
}

/// `n` senders of account 1, each in its own room while rooms last (rooms the readers are
/// not in), then a second sender per room.
pub fn senders(run: &Run, chat: &Chat, n: usize) -> Vec<(Actor, RoomId)> {
    senders_in(run, chat, n, usize::MAX)
}

/// `n` senders of account 1 spread over at most `rooms` rooms (rooms the readers are not
/// in), one sender per room first.
fn senders_in(run: &Run, chat: &Chat, n: usize, rooms: usize) -> Vec<(Actor, RoomId)> {
    let Run {
        big, layout, rt, ..
    } = run;
    rt.block_on(async {
        let mut v = Vec::new();
        let first = big.reader_rooms.min(big.rooms_per_account - 1);
        let span = (big.rooms_per_account - first).min(rooms.max(1));
        for k in 0..n {
            let spec = &layout.rooms[first + k % span];
            let user = spec.senders[(k / span) % spec.senders.len()];
            v.push((enter(chat, 1, user).await, spec.id));
        }
        v
    })
}

/// The store's sends under one synchronous setting: with and without group commit, by
/// number of concurrent senders, each in its own room while rooms last.
fn store_sends(run: &Run, full: bool, send_results: &mut Vec<SendResult>) {
    let Run { b, work, rt, .. } = run;
    for gc in [true, false] {
        raw::settle(work).unwrap();
        let chat = open(work, &options(full, gc, 4));
        for c in [1usize, 8, 32] {
            let senders = senders(run, &chat, c);
            let s = send_load(rt, &chat, &senders, b.tput);
            send_results.push((full, gc, c, s));
        }
    }
}

/// [`SHARED`]: the same number of senders as the largest run, in a few rooms, so that a
/// group-commit batch writes the same room, member and index pages several times: how much
/// of a send's cost is the pages it alone touches.
fn shared_sends(run: &Run, full: bool) -> Samples {
    raw::settle(&run.work).unwrap();
    let chat = open(&run.work, &options(full, true, 4));
    let senders = senders_in(run, &chat, SHARED.0, SHARED.1);
    send_load(&run.rt, &chat, &senders, run.b.tput)
}

/// Mark read: another member sends one message (untimed), the reader marks the room read.
pub fn mark_read(run: &Run) -> Samples {
    let Run {
        big,
        b,
        work,
        layout,
        rt,
        ..
    } = run;
    let chat = open(work, &options(false, true, 4));
    let spec = &layout.rooms[big.reader_rooms.min(big.rooms_per_account - 1)];
    let (sender, owner) = rt.block_on(async {
        (
            enter(&chat, 1, spec.senders[0]).await,
            enter(&chat, 1, Layout::admin(1).0).await,
        )
    });
    let mut only = Samples::new();
    let start = Instant::now();
    for k in 0..(b.samples / 3).max(5) {
        if k > 0 && start.elapsed() > b.time {
            break;
        }
        rt.block_on(chat.send_message(&sender, spec.id, text(k)))
            .unwrap();
        let t = Instant::now();
        rt.block_on(chat.mark_read(&owner, spec.id, None)).unwrap();
        only.push(t.elapsed());
    }
    only.wall = start.elapsed();
    only
}
