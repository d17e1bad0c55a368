//! The two load drivers: closed-loop senders and readers running concurrently for a fixed
//! time, one latency sample per call, wall time kept for the throughput.

use std::time::{Duration, Instant};

use chat_benches::stats::Samples;
use chat_core::{Actor, Chat, RoomId};
use tokio::runtime::Runtime;

use crate::harness::text;

/// `senders` send concurrently (closed loop) for `budget`; one sample per send.
pub fn send_load(
    rt: &Runtime,
    chat: &Chat,
    senders: &[(Actor, RoomId)],
    budget: Duration,
) -> Samples {
    rt.block_on(async {
        let run = |budget: Duration| {
            let deadline = Instant::now() + budget;
            let tasks: Vec<_> = senders
                .iter()
                .cloned()
                .map(|(actor, room)| {
                    let chat = chat.clone();
                    tokio::spawn(async move {
                        let mut s = Samples::new();
                        let mut i = 0;
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            chat.send_message(&actor, room, text(i)).await.unwrap();
                            s.push(t.elapsed());
                            i += 1;
                        }
                        s
                    })
                })
                .collect();
            async move {
                let start = Instant::now();
                let mut all = Samples::new();
                for t in tasks {
                    all.merge(t.await.unwrap());
                }
                all.wall = start.elapsed();
                all
            }
        };
        run(budget / 10).await; // warm-up
        run(budget).await
    })
}

/// `readers` tasks list newest pages of random rooms for `budget`.
pub fn read_load(
    rt: &Runtime,
    chat: &Chat,
    actor: &Actor,
    rooms: &[RoomId],
    readers: usize,
    budget: Duration,
) -> Samples {
    rt.block_on(async {
        let deadline = Instant::now() + budget;
        let start = Instant::now();
        let tasks: Vec<_> = (0..readers)
            .map(|k| {
                let (chat, actor, rooms) = (chat.clone(), actor.clone(), rooms.to_vec());
                tokio::spawn(async move {
                    let mut s = Samples::new();
                    let mut i = k * 7;
                    while Instant::now() < deadline {
                        let room = rooms[i % rooms.len()];
                        let t = Instant::now();
                        chat.list_messages(&actor, room, None, Some(50))
                            .await
                            .unwrap();
                        s.push(t.elapsed());
                        i += 1;
                    }
                    s
                })
            })
            .collect();
        let mut all = Samples::new();
        for t in tasks {
            all.merge(t.await.unwrap());
        }
        all.wall = start.elapsed();
        all
    })
}
