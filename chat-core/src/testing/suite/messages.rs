//! Messages: seq, keyset pagination, cursors, idempotent sends, edits, soft deletes.

use std::collections::HashSet;

use futures::future::join_all;

use crate::chat::{Actor, Chat, NewMessage};
use crate::cursor;
use crate::error::ChatError;
use crate::ids::{MessageId, RoomId};
use crate::model::Message;
use crate::testing::fixtures::{invalid, mention, not_found, text, world, World, ACC_A};
use crate::testing::TestBackend;

/// Walks every page of a room's messages as `reader`, `limit` at a time.
async fn all_pages(chat: &Chat, reader: &Actor, room: RoomId, limit: u32) -> Vec<Message> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = chat
            .list_messages(reader, room, cursor.as_deref(), Some(limit))
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
        tokio::task::yield_now().await;
    }
}

fn keyed(content: &str, key: &str) -> NewMessage {
    NewMessage {
        client_id: Some(key.to_owned()),
        ..text(content)
    }
}

/// Paging 10 at a time while another task keeps sending: no duplicates, strictly
/// decreasing seq, and every message that existed at the first page is seen.
pub async fn messages_pagination_under_concurrent_inserts(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "busy", &[a0, a1]).await;
    for i in 0..45 {
        w.send(a0, room.id, &format!("before {i}")).await;
    }
    let (chat, sender) = (w.chat.clone(), a1.clone());
    let writer = tokio::spawn(async move {
        for i in 0..40 {
            chat.send_message(&sender, room.id, text(&format!("during {i}")))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    });
    let seen = all_pages(&w.chat, a0, room.id, 10).await;
    writer.await.unwrap();
    let top = seen.first().unwrap().seq;
    assert!(top >= 45);
    assert!(
        seen.windows(2).all(|p| p[0].seq > p[1].seq),
        "strictly decreasing seq, no duplicates"
    );
    let seqs: Vec<i64> = seen.iter().map(|m| m.seq).collect();
    let expected: Vec<i64> = (1..=top).rev().collect();
    assert_eq!(
        seqs, expected,
        "every message up to the first page's newest"
    );
    let ids: HashSet<MessageId> = seen.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), seen.len());

    let everything = all_pages(&w.chat, a0, room.id, 100).await;
    assert_eq!(everything.len(), 85);
    assert_eq!(everything.first().unwrap().seq, 85);
    // Pages are consistent with the final state for the part they covered.
    let tail: Vec<&Message> = everything.iter().filter(|m| m.seq <= top).collect();
    assert_eq!(tail.len(), seen.len());
    for (a, b) in tail.iter().zip(&seen) {
        assert_eq!(*a, b);
    }
}

/// Cursors are bound to one list, one room and one account, and tamper-evident.
pub async fn messages_foreign_or_tampered_cursors_are_invalid(b: TestBackend) {
    let w = world(b).await;
    let (a0, b0) = (&w.a.agents[0], &w.b.agents[0]);
    let r1 = w.room(&w.a.supervisor, "one", &[a0]).await;
    let r2 = w.room(&w.a.supervisor, "two", &[a0]).await;
    let rb = w.room(&w.b.supervisor, "b", &[b0]).await;
    for i in 0..12 {
        w.send(a0, r1.id, &format!("{i}")).await;
        w.send(a0, r2.id, &format!("{i}")).await;
        w.send(b0, rb.id, &format!("{i}")).await;
    }
    let c = &w.chat;
    let p1 = c.list_messages(a0, r1.id, None, Some(5)).await.unwrap();
    let cur = p1.next_cursor.unwrap();
    let p2 = c
        .list_messages(a0, r1.id, Some(&cur), Some(5))
        .await
        .unwrap();
    assert_eq!(
        p2.items.first().unwrap().seq,
        p1.items.last().unwrap().seq - 1
    );

    invalid(
        c.list_messages(a0, r2.id, Some(&cur), None).await,
        "other room",
    );
    invalid(
        c.list_messages(b0, rb.id, Some(&cur), None).await,
        "other account",
    );
    let r = c.list_messages(b0, r1.id, Some(&cur), None).await;
    assert!(
        matches!(r, Err(ChatError::Validation(_) | ChatError::NotFound)),
        "foreign account on the cursor's room: {r:?}"
    );
    let rooms = c.list_rooms(a0, None, Some(1)).await.unwrap();
    let rooms_cursor = rooms.next_cursor.unwrap();
    let r = c.list_messages(a0, r1.id, Some(&rooms_cursor), None).await;
    invalid(r, "a room-list cursor");
    invalid(
        c.list_rooms(a0, Some(&cur), None).await,
        "a message cursor for rooms",
    );
    for bad in ["", "x", "!!!!", "bm9wZQ", &cur[..cur.len() - 3]] {
        let r = c.list_messages(a0, r1.id, Some(bad), None).await;
        invalid(r, &format!("malformed cursor {bad:?}"));
    }
    let mut tampered = cur.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    invalid(
        c.list_messages(a0, r1.id, Some(&tampered), None).await,
        "tampered",
    );
    let scope = format!("{}:{}", ACC_A, r1.id);
    let forged = cursor::encode("messages", &scope, "seven");
    invalid(
        c.list_messages(a0, r1.id, Some(&forged), None).await,
        "non-numeric",
    );
    let exact = c.list_messages(a0, r1.id, None, Some(12)).await.unwrap();
    assert_eq!(exact.items.len(), 12);
    assert_eq!(
        exact.next_cursor, None,
        "no cursor when the page reaches the end"
    );
    let last = c
        .list_messages(a0, r1.id, Some(&cur), Some(7))
        .await
        .unwrap();
    assert_eq!((last.items.len(), last.next_cursor), (7, None));
    for limit in [0, 101] {
        invalid(c.list_messages(a0, r1.id, None, Some(limit)).await, "limit");
    }
}

/// Four members sending 25 messages each at once: seqs are exactly 1..=100.
pub async fn messages_seq_is_gapless_under_concurrent_senders(b: TestBackend) {
    let w = world(b).await;
    let (sup, ags) = (&w.a.supervisor, &w.a.agents);
    let room = w.room(sup, "race", &[&ags[0], &ags[1], &ags[2]]).await;
    let senders = [sup, &ags[0], &ags[1], &ags[2]];
    let tasks = senders.iter().map(|s| {
        let (chat, s) = (w.chat.clone(), (*s).clone());
        tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..25 {
                let body = format!("{} #{i}", s.user());
                let (m, _) = chat.send_message(&s, room.id, text(&body)).await.unwrap();
                seqs.push(m.seq);
                tokio::task::yield_now().await;
            }
            seqs
        })
    });
    let mut all = Vec::new();
    for seqs in join_all(tasks).await {
        let seqs = seqs.unwrap();
        assert!(seqs.windows(2).all(|p| p[0] < p[1]), "one sender's order");
        all.extend(seqs);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=100).collect::<Vec<i64>>());
    let stored = all_pages(&w.chat, sup, room.id, 100).await;
    let seqs: Vec<i64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=100).rev().collect::<Vec<i64>>());
    let detail = w.chat.get_room(sup, room.id).await.unwrap();
    assert_eq!(detail.room.last_seq, 100);
    assert!(detail.room.last_message_at.is_some());
}

async fn count(w: &World, reader: &Actor, room: RoomId) -> usize {
    all_pages(&w.chat, reader, room, 100).await.len()
}

/// The same `client_id` from the same sender in the same room returns the original and
/// stores nothing; from another sender or in another room it is a new message.
pub async fn messages_idempotent_send(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "keys", &[a0, a1]).await;
    let other = w.room(&w.a.supervisor, "other", &[a0]).await;
    let c = &w.chat;
    let (first, created) = c
        .send_message(a0, room.id, keyed("first", "k1"))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(first.client_id.as_deref(), Some("k1"));
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    let (again, created) = c
        .send_message(a0, room.id, keyed("second", "k1"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again, first, "the original comes back, content and all");
    assert_eq!(
        before,
        w.snapshot(ACC_A, &w.a.users()).await,
        "nothing stored"
    );
    assert_eq!(c.unread(a1).await.unwrap().total, 1);

    let (by_other, created) = c
        .send_message(a1, room.id, keyed("a1", "k1"))
        .await
        .unwrap();
    assert!(created);
    assert_ne!(by_other.id, first.id);
    let (elsewhere, created) = c
        .send_message(a0, other.id, keyed("x", "k1"))
        .await
        .unwrap();
    assert!(created);
    assert_ne!(elsewhere.id, first.id);
    let (fresh, created) = c
        .send_message(a0, room.id, keyed("k2", "k2"))
        .await
        .unwrap();
    assert!(created);
    assert_eq!(fresh.seq, 3);
    assert_eq!(count(&w, a0, room.id).await, 3);
    assert_eq!(count(&w, a0, other.id).await, 1);
    let r = c.send_message(a0, room.id, keyed("bad", "has space")).await;
    invalid(r, "client_id with a space");
}

/// Eight concurrent sends with one `client_id`: one message, one `created`.
pub async fn messages_idempotent_send_concurrent(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "retries", &[a0, a1]).await;
    let tasks = (0..8).map(|i| {
        let (chat, a0) = (w.chat.clone(), a0.clone());
        tokio::spawn(async move {
            chat.send_message(&a0, room.id, keyed(&format!("try {i}"), "once"))
                .await
                .unwrap()
        })
    });
    let results: Vec<(Message, bool)> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(results.iter().filter(|(_, c)| *c).count(), 1);
    assert!(results.iter().all(|(m, _)| *m == results[0].0));
    assert_eq!(results[0].0.seq, 1);
    assert_eq!(count(&w, a1, room.id).await, 1);
    assert_eq!(w.chat.unread(a1).await.unwrap().total, 1);
}

/// Edits set `edited_at` and keep the place; deletes keep the place with no content.
pub async fn messages_edit_and_soft_delete(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "edits", &[a0, a1]).await;
    let c = &w.chat;
    let m = w.send(a0, room.id, "  padded  ").await;
    assert_eq!(m.content.as_deref(), Some("padded"), "stored trimmed");
    assert_eq!((m.edited_at, m.deleted_at), (None, None));
    let next = w.send(a1, room.id, "next").await;

    let edited = c.edit_message(a0, m.id, " better ").await.unwrap();
    assert_eq!(edited.content.as_deref(), Some("better"));
    assert!(edited.edited_at.is_some());
    let listed = all_pages(c, a1, room.id, 10).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1], edited, "listed as returned");
    assert_eq!((listed[1].seq, listed[1].created_at), (m.seq, m.created_at));
    invalid(c.edit_message(a0, m.id, "  ").await, "blank edit");

    c.delete_message(a0, m.id).await.unwrap();
    let listed = all_pages(c, a1, room.id, 10).await;
    assert_eq!(listed.len(), 2, "a deleted message keeps its place");
    let gone = &listed[1];
    assert_eq!((gone.id, gone.seq), (m.id, m.seq));
    assert_eq!(gone.content, None);
    assert!(gone.deleted_at.is_some());
    assert_eq!(listed[0], next);
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    not_found(
        c.edit_message(a0, m.id, "revive").await,
        "edit a deleted message",
    );
    c.delete_message(a0, m.id).await.unwrap();
    assert_eq!(before, w.snapshot(ACC_A, &w.a.users()).await);
}

/// A sender's access may be remembered between sends, but never past a change: once removed
/// (through this `Chat` or another one on the same store, as another process would) or once
/// the room is archived, the next send is refused as for any non-member, and nothing is
/// written.
pub async fn messages_send_never_outlives_membership(b: TestBackend) {
    let w = world(b).await;
    let other = Chat::new(w.backend.store.clone());
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1, a2]).await;
    w.send(a1, room.id, "warm").await;
    w.send(a2, room.id, "warm").await;
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    other.remove_member(sup, room.id, a2.user()).await.unwrap();
    for (who, a) in [("removed here", a1), ("removed elsewhere", a2)] {
        let refused = w.chat.send_message(a, room.id, text("after")).await;
        assert!(
            matches!(
                refused,
                Err(ChatError::NotFound) | Err(ChatError::Forbidden(_))
            ),
            "{who}: {refused:?}"
        );
    }
    // Sends that read before writing (a key to look up, mentions to check) never decide
    // from what was remembered: a removed member learns neither whether a key was used nor
    // who is in the room.
    let (keyed_room, a3) = (w.room(sup, "keyed", &[a1]).await, &w.a.agents[2]);
    w.chat
        .send_message(a1, keyed_room.id, keyed("secret", "k1"))
        .await
        .unwrap();
    other
        .remove_member(sup, keyed_room.id, a1.user())
        .await
        .unwrap();
    for (what, input) in [
        ("a used key", keyed("again", "k1")),
        ("a mention of a non-member", mention("hi", &[a3.user()])),
    ] {
        let refused = w.chat.send_message(a1, keyed_room.id, input).await;
        assert!(
            matches!(
                refused,
                Err(ChatError::NotFound) | Err(ChatError::Forbidden(_))
            ),
            "removed member sending {what}: {refused:?}"
        );
    }
    let kept = w.room(sup, "kept", &[a1]).await;
    w.send(a1, kept.id, "warm").await;
    w.chat
        .send_message(a1, kept.id, keyed("secret", "k2"))
        .await
        .unwrap();
    other.archive_room(sup, kept.id).await.unwrap();
    not_found(
        w.chat.send_message(a1, kept.id, text("after")).await,
        "send to a room archived elsewhere",
    );
    not_found(
        w.chat.send_message(a1, kept.id, keyed("again", "k2")).await,
        "a used key in a room archived elsewhere",
    );
    let page = w
        .chat
        .list_messages(sup, room.id, None, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2, "only the two warm-up messages");
}
