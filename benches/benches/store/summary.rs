//! The summary tables: every figure against the physical limit (raw SQLite, same run, same
//! file, same pragmas) with its target, and the diagnosis of the send step by step.

use chat_benches::stats::Samples;

use crate::harness::Run;
use crate::hazard::Analyzed;
use crate::reads::Reads;
use crate::report::{lat, rate, ratio, Table};
use crate::writes::Writes;

/// Figures against the physical limit.
pub fn figures(
    run: &Run,
    reads: &Reads,
    writes: &Writes,
    store_mark: &Samples,
    analyzed: &Analyzed,
) -> Table {
    let Run { big, small, .. } = run;
    let Reads {
        store_newest,
        raw_newest,
        store_deep,
        raw_deep,
        hop,
        backlog_total,
        store_unread_backlog,
        store_unread_none,
        store_unread_small,
        raw_unread_backlog,
        raw_unread_none,
        raw_unread_small,
        store_audit,
        raw_audit,
        ..
    } = reads;
    let Writes {
        raw_single,
        raw_batched,
        raw_send_like,
        ..
    } = writes;
    let Analyzed {
        send: analyzed_send,
        page: analyzed_page,
    } = analyzed;
    let find = |full: bool, gc: bool, c: usize| writes.send(full, gc, c);
    let mut t = Table::new(
        "Figures against the physical limit (same run, same file, same pragmas)",
        &["figure", "store", "raw SQLite", "ratio", "target"],
    );
    for (k, full) in [false, true].into_iter().enumerate() {
        let sync = if full { "FULL" } else { "NORMAL" };
        let one = find(full, true, 1);
        t.row(&[
            format!("send one message, 1 caller, {sync}"),
            format!("{} ({})", rate(one), lat(one)),
            format!("{} ({})", rate(&raw_single[k]), lat(&raw_single[k])),
            ratio(one.rate() / raw_single[k].rate()),
            "≥ 0.6×".into(),
        ]);
        let (like, _) = &raw_send_like[k];
        t.row(&[
            format!("send one message, 1 caller, {sync}, vs the send's own SQL replayed raw"),
            rate(one),
            format!("{} ({})", rate(like), lat(like)),
            ratio(one.rate() / like.rate()),
            "—".into(),
        ]);
        for c in [8, 32] {
            let s = find(full, true, c);
            t.row(&[
                format!("send, {c} concurrent senders, group commit, {sync}"),
                format!("{} ({})", rate(s), lat(s)),
                format!("{} single-row tx", rate(&raw_single[k])),
                ratio(s.rate() / raw_single[k].rate()),
                if c == 32 { "≥ 2.5×" } else { "—" }.into(),
            ]);
        }
        let shared = &writes.shared_rooms[k];
        let (senders, rooms) = crate::writes::SHARED;
        t.row(&[
            format!("send, {senders} senders sharing {rooms} rooms, group commit, {sync}"),
            format!("{} ({})", rate(shared), lat(shared)),
            format!("{} single-row tx", rate(&raw_single[k])),
            ratio(shared.rate() / raw_single[k].rate()),
            "—".into(),
        ]);
        let s = find(full, true, 32);
        t.row(&[
            format!("send, 32 concurrent, group commit, {sync}, vs batched inserts"),
            rate(s),
            format!("{} rows (1000-row tx)", rate(&raw_batched[k])),
            ratio(s.rate() / raw_batched[k].rate()),
            "—".into(),
        ]);
    }
    t.row(&[
        "newest page of 50".into(),
        lat(store_newest),
        lat(raw_newest),
        format!("p99 {}", ratio(store_newest.p99() / raw_newest.p99())),
        "p99 ≤ 2×".into(),
    ]);
    t.row(&[
        "page 100 pages deep, by cursor".into(),
        lat(store_deep),
        lat(raw_deep),
        format!("p99 {}", ratio(store_deep.p99() / raw_deep.p99())),
        "p99 ≤ 2×".into(),
    ]);
    t.row(&[
        "(floor) the smallest store read, by key: the hand-off to a reader thread and back (a page read makes one)".into(),
        lat(hop),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    t.row(&[
        format!(
            "unread + mentions, {} rooms, {backlog_total} unread",
            big.reader_rooms
        ),
        lat(store_unread_backlog),
        lat(raw_unread_backlog),
        format!(
            "p99 {}",
            ratio(store_unread_backlog.p99() / raw_unread_backlog.p99())
        ),
        "p99 ≤ 1 ms".into(),
    ]);
    t.row(&[
        format!("unread + mentions, {} rooms, 0 unread", big.reader_rooms),
        lat(store_unread_none),
        lat(raw_unread_none),
        format!(
            "p99 {}",
            ratio(store_unread_none.p99() / raw_unread_none.p99())
        ),
        "p99 ≤ 1 ms".into(),
    ]);
    t.row(&[
        format!("unread p50: {backlog_total} backlog ÷ none"),
        ratio(store_unread_backlog.p50() / store_unread_none.p50()),
        ratio(raw_unread_backlog.p50() / raw_unread_none.p50()),
        "—".into(),
        "≤ 1.5×".into(),
    ]);
    t.row(&[
        format!(
            "unread p50: {} ÷ {} messages of history",
            big.messages, small.messages
        ),
        ratio(store_unread_none.p50() / store_unread_small.p50()),
        ratio(raw_unread_none.p50() / raw_unread_small.p50()),
        "—".into(),
        "≤ 1.5×".into(),
    ]);
    t.row(&[
        "mark read (1 new message), NORMAL".into(),
        lat(store_mark),
        format!("{} single-row tx", lat(&raw_single[0])),
        format!("p50 {}", ratio(store_mark.p50() / raw_single[0].p50())),
        "—".into(),
    ]);
    let one = find(false, true, 1);
    t.row(&[
        "(hazard) send, 1 caller, NORMAL, after ANALYZE (STAT4)".into(),
        format!("{} ({})", rate(analyzed_send), lat(analyzed_send)),
        format!("{} ({}) without statistics", rate(one), lat(one)),
        ratio(analyzed_send.rate() / one.rate()),
        "—".into(),
    ]);
    t.row(&[
        "(hazard) newest page of 50 after ANALYZE (STAT4)".into(),
        lat(analyzed_page),
        format!("{} without statistics", lat(store_newest)),
        format!("p50 {}", ratio(analyzed_page.p50() / store_newest.p50())),
        "—".into(),
    ]);
    t.row(&[
        "audit listing, newest 50".into(),
        lat(store_audit),
        lat(raw_audit),
        format!("p99 {}", ratio(store_audit.p99() / raw_audit.p99())),
        "—".into(),
    ]);
    t
}

/// The send's SQL replayed raw, alone and batched.
pub fn diagnosis(writes: &Writes) -> Table {
    let Writes {
        raw_single,
        raw_send_like,
        ..
    } = writes;
    let mut d = Table::new(
        "Diagnosis: the store's send SQL replayed raw (no facade, no writer thread)",
        &[
            "synchronous",
            "send SQL",
            "sends/s",
            "latency",
            "vs the first row",
            "vs raw single-row tx",
        ],
    );
    for (k, full) in [false, true].into_iter().enumerate() {
        let sync = if full { "FULL" } else { "NORMAL" };
        let (like, ladder) = &raw_send_like[k];
        for (what, s) in ladder {
            d.row(&[
                sync.into(),
                (*what).into(),
                rate(s),
                lat(s),
                ratio(s.rate() / like.rate()),
                ratio(s.rate() / raw_single[k].rate()),
            ]);
        }
    }
    d
}
