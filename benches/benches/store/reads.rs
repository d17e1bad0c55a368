//! Reads with the default options: pages (newest and 100 pages deep), unread counts (with
//! and without a backlog, big and small history), the audit listing, each beside raw SQLite
//! on the same file; then reads under concurrency by reader pool size.

use chat_benches::gen::Layout;
use chat_benches::raw;
use chat_benches::stats::{interleaved, Samples};
use chat_core::store::AuditFilter;
use chat_core::store::ChatStore;
use chat_core::{AccountId, RoomId};
use chat_sqlite::Options;
use rusqlite::Connection;

use crate::harness::{enter, open, open_store, options, Run};
use crate::load::read_load;
use crate::report::{lat, rate, ratio, Table};

/// The read figures, store and raw.
pub struct Reads {
    /// Newest page of 50 in the hot room.
    pub store_newest: Samples,
    /// The same page, raw.
    pub raw_newest: Samples,
    /// A page 100 pages deep, by cursor.
    pub store_deep: Samples,
    /// The same page, raw.
    pub raw_deep: Samples,
    /// The smallest store read (entitlements by key): the floor of every store read, nearly
    /// all of it the hand-off to a reader thread and back.
    pub hop: Samples,
    /// The backlog reader's unread total.
    pub backlog_total: i64,
    /// Unread counts of the backlog reader.
    pub store_unread_backlog: Samples,
    /// Unread counts of the reader who has read everything.
    pub store_unread_none: Samples,
    /// The same, on the twin with less history.
    pub store_unread_small: Samples,
    /// Raw [`Self::store_unread_backlog`].
    pub raw_unread_backlog: Samples,
    /// Raw [`Self::store_unread_none`].
    pub raw_unread_none: Samples,
    /// Raw [`Self::store_unread_small`].
    pub raw_unread_small: Samples,
    /// The audit listing, newest 50.
    pub store_audit: Samples,
    /// The same, raw.
    pub raw_audit: Samples,
    /// The raw connection of these figures, open until the whole run ends (as it always
    /// has been): the writes that follow are measured with it open, so this keeps them
    /// comparable with earlier runs.
    pub _raw: Connection,
}

/// Measures the single-caller read figures.
pub fn measure(run: &Run) -> Reads {
    let Run {
        b,
        work,
        work_small,
        layout,
        rt,
        ..
    } = run;
    eprintln!("reads…");
    let hot = layout.hot_room();
    let (chat, store) = open_store(work, &options(false, true, 4));
    let rawc = raw::open(work, false).unwrap();
    let (backlog, caught_up, admin) = rt.block_on(async {
        (
            enter(&chat, 1, Layout::backlog_reader().0).await,
            enter(&chat, 1, Layout::caught_up_reader().0).await,
            enter(&chat, 1, Layout::admin(1).0).await,
        )
    });
    // 100 pages deep by cursor.
    let (cursor, deep_seq) = rt.block_on(async {
        let mut cursor = None;
        let mut seq = i64::MAX;
        for _ in 0..100 {
            let page = chat
                .list_messages(&caught_up, hot.id, cursor.as_deref(), Some(50))
                .await
                .unwrap();
            if page.next_cursor.is_none() {
                break; // quick data: fewer than 100 pages
            }
            seq = page.items.last().map_or(seq, |m| m.seq);
            cursor = page.next_cursor;
        }
        (cursor, seq)
    });
    // Store and raw figures that are compared as ratios are sampled in turn (a, b, a, b…).
    let [store_newest, raw_newest, store_deep, raw_deep, hop]: [Samples; 5] = interleaved(
        b.samples,
        b.time * 2,
        &mut [
            &mut || {
                rt.block_on(chat.list_messages(&caught_up, hot.id, None, Some(50)))
                    .unwrap();
            },
            &mut || {
                raw::page(&rawc, hot.id.0, 1, i64::MAX, 51).unwrap();
            },
            &mut || {
                let page = rt
                    .block_on(chat.list_messages(&caught_up, hot.id, cursor.as_deref(), Some(50)))
                    .unwrap();
                assert!(!page.items.is_empty());
            },
            &mut || {
                raw::page(&rawc, hot.id.0, 1, deep_seq, 51).unwrap();
            },
            // The floor of every store read: the smallest one.
            &mut || {
                rt.block_on(store.entitlements(AccountId(1))).unwrap();
            },
        ],
    )
    .try_into()
    .unwrap();
    let backlog_total = rt.block_on(chat.unread(&backlog)).unwrap().total;
    let chat_small = open(work_small, &options(false, true, 4));
    let raw_small = raw::open(work_small, false).unwrap();
    let small_user = rt.block_on(enter(&chat_small, 1, Layout::caught_up_reader().0));
    let [store_unread_backlog, store_unread_none, store_unread_small, raw_unread_backlog, raw_unread_none, raw_unread_small]: [Samples; 6] =
        interleaved(
            b.samples,
            b.time * 2,
            &mut [
                &mut || {
                    rt.block_on(chat.unread(&backlog)).unwrap();
                },
                &mut || {
                    rt.block_on(chat.unread(&caught_up)).unwrap();
                },
                &mut || {
                    rt.block_on(chat_small.unread(&small_user)).unwrap();
                },
                &mut || {
                    raw::unread(&rawc, 1, backlog.user().0).unwrap();
                },
                &mut || {
                    raw::unread(&rawc, 1, caught_up.user().0).unwrap();
                },
                &mut || {
                    raw::unread(&raw_small, 1, small_user.user().0).unwrap();
                },
            ],
        )
        .try_into()
        .unwrap();
    drop((chat_small, raw_small));
    let [store_audit, raw_audit]: [Samples; 2] = interleaved(
        b.samples,
        b.time,
        &mut [
            &mut || {
                rt.block_on(chat.list_audit(&admin, &AuditFilter::default(), None, Some(50)))
                    .unwrap();
            },
            &mut || {
                raw::audit(&rawc, 1, 51).unwrap();
            },
        ],
    )
    .try_into()
    .unwrap();
    // The pool figures below open their own stores.
    drop(chat);
    Reads {
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
        _raw: rawc,
    }
}

/// Reads under concurrency, by reader pool size, against raw sequential pages.
pub fn pool(run: &Run, raw_newest: &Samples) -> Table {
    let Run {
        big,
        b,
        work,
        layout,
        rt,
        ..
    } = run;
    let reader_rooms: Vec<RoomId> = layout.rooms[..big.reader_rooms]
        .iter()
        .map(|r| r.id)
        .collect();
    let mut pool = Table::new(
        "Reader pool size (8 concurrent readers, newest page of 50 in the user's rooms)",
        &[
            "readers",
            "store pages/s",
            "store latency",
            "raw pages/s (1 connection, sequential)",
            "ratio",
        ],
    );
    let raw_seq_page_rate = 1e3 / raw_newest.p50();
    // The pool sizes, then the default size with reads run on the calling task when a
    // connection is free (`Options::inline_reads`).
    for (readers, inline) in [(1u32, false), (4, false), (8, false), (4, true)] {
        let opts = Options {
            inline_reads: inline,
            ..options(false, true, readers)
        };
        let chat = open(work, &opts);
        let actor = rt.block_on(enter(&chat, 1, Layout::caught_up_reader().0));
        let s = read_load(rt, &chat, &actor, &reader_rooms, 8, b.tput);
        pool.row(&[
            if inline {
                format!("{readers}, inline reads")
            } else {
                readers.to_string()
            },
            rate(&s),
            lat(&s),
            format!("{raw_seq_page_rate:.0}/s"),
            ratio(s.rate() / raw_seq_page_rate),
        ]);
    }
    pool
}
