//! Store benchmarks through the facade on SQLite (temporary file, default options:
//! WAL, synchronous=NORMAL, 4 readers).
//!
//! `cargo bench -p chat-benches` for the numbers; `CHAT_BENCH_QUICK=1` shrinks the data so
//! CI can run every benchmark once (`cargo bench -p chat-benches -- --test`).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chat_benches::{fixture, text};
use criterion::{criterion_group, criterion_main, Criterion};

fn sizes() -> (usize, usize) {
    if std::env::var_os("CHAT_BENCH_QUICK").is_some() {
        (5, 20)
    } else {
        (200, 250) // a user in 200 rooms, 50k messages unread in all
    }
}

fn store(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (rooms, per_room) = sizes();
    let f = rt.block_on(fixture(rooms, per_room)).unwrap();
    let room = f.rooms[0];

    c.bench_function(
        &format!("unread counts, {rooms} rooms, {} unread", rooms * per_room),
        |b| b.iter(|| rt.block_on(f.chat.unread(&f.reader)).unwrap()),
    );
    // The same call with the whole backlog read: the counters make both cost the same.
    for r in &f.rooms {
        rt.block_on(f.chat.mark_read(&f.reader, *r, None)).unwrap();
    }
    c.bench_function(&format!("unread counts, {rooms} rooms, 0 unread"), |b| {
        b.iter(|| rt.block_on(f.chat.unread(&f.reader)).unwrap())
    });
    c.bench_function("newest page of 50", |b| {
        b.iter(|| {
            rt.block_on(f.chat.list_messages(&f.reader, room, None, Some(50)))
                .unwrap()
        })
    });
    c.bench_function("list rooms, first page of 50", |b| {
        b.iter(|| {
            rt.block_on(f.chat.list_rooms(&f.reader, None, Some(50)))
                .unwrap()
        })
    });
    c.bench_function("send one message (one caller)", |b| {
        b.iter(|| {
            rt.block_on(f.chat.send_message(&f.sender, room, text("hello")))
                .unwrap()
        })
    });
    c.bench_function("mark room read to newest", |b| {
        b.iter(|| {
            rt.block_on(f.chat.mark_read(&f.reader, room, None))
                .unwrap()
        })
    });
}

criterion_group!(benches, store);
criterion_main!(benches);
