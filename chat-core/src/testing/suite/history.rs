//! Reading a room around a message: newer pages (`prev_cursor`), pages centred on a message
//! or on the reader's first unread one, paging both ways from any anchor while messages
//! arrive.

use std::collections::HashSet;

use crate::chat::{Actor, Anchor, Chat};
use crate::ids::{MessageId, RoomId};
use crate::model::{Message, MessagePage};
use crate::testing::fixtures::{invalid, not_found, text, world};
use crate::testing::TestBackend;

async fn around(chat: &Chat, who: &Actor, room: RoomId, at: Anchor, limit: u32) -> MessagePage {
    chat.messages_around(who, room, at, Some(limit))
        .await
        .unwrap()
}

/// From `page`, every older page then every newer page, concatenated oldest first; checks
/// that each page is newest first and within the limit.
async fn walk_both_ways(
    chat: &Chat,
    who: &Actor,
    room: RoomId,
    page: MessagePage,
    limit: u32,
) -> Vec<Message> {
    let seqs_desc = |p: &MessagePage| p.items.windows(2).all(|w| w[0].seq > w[1].seq);
    assert!(seqs_desc(&page));
    let mut older = Vec::new();
    let mut cursor = page.next_cursor.clone();
    while let Some(c) = cursor {
        let p = chat
            .list_messages(who, room, Some(&c), Some(limit))
            .await
            .unwrap();
        assert!(seqs_desc(&p) && p.items.len() <= limit as usize);
        assert!(p.prev_cursor.is_some(), "an older page has newer ones");
        older.extend(p.items);
        cursor = p.next_cursor;
        tokio::task::yield_now().await;
    }
    let mut newer: Vec<Message> = Vec::new();
    let mut cursor = page.prev_cursor.clone();
    while let Some(c) = cursor {
        let p = chat
            .list_messages(who, room, Some(&c), Some(limit))
            .await
            .unwrap();
        assert!(seqs_desc(&p) && p.items.len() <= limit as usize);
        assert!(p.next_cursor.is_some(), "a newer page has older ones");
        newer.splice(0..0, p.items);
        cursor = p.prev_cursor;
        tokio::task::yield_now().await;
    }
    let mut all: Vec<Message> = newer;
    all.extend(page.items);
    all.extend(older);
    all.reverse();
    all
}

/// The newest page has no `prev_cursor`; an older page's `prev_cursor` gives back exactly
/// the page above it, and so on up to the newest.
pub async fn history_newer_pages_mirror_older_ones(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a0]).await;
    for i in 0..23 {
        w.send(sup, room.id, &format!("m{i}")).await;
    }
    let c = &w.chat;
    let newest = c.list_messages(a0, room.id, None, Some(5)).await.unwrap();
    assert!(
        newest.prev_cursor.is_none(),
        "the newest page has nothing newer"
    );
    assert_eq!(newest.anchor_id, None, "no anchor outside `around`");
    let mut pages = vec![newest.items.clone()];
    let mut cursor = newest.next_cursor;
    while let Some(cur) = cursor {
        let p = c
            .list_messages(a0, room.id, Some(&cur), Some(5))
            .await
            .unwrap();
        pages.push(p.items.clone());
        cursor = p.next_cursor;
    }
    assert_eq!(pages.len(), 5, "23 messages, 5 a page");
    assert_eq!(pages[4].len(), 3);
    // Back up from the oldest page: each prev_cursor is the page above, the same 5.
    let oldest = pages[4].last().unwrap().seq;
    assert_eq!(oldest, 1);
    let mut up = c.list_messages(a0, room.id, None, Some(5)).await.unwrap();
    // (walk down again to get the oldest page's own cursors)
    while let Some(cur) = up.next_cursor.clone() {
        up = c
            .list_messages(a0, room.id, Some(&cur), Some(5))
            .await
            .unwrap();
    }
    assert!(up.next_cursor.is_none(), "nothing older than seq 1");
    let mut climbed = vec![up.items.clone()];
    while let Some(cur) = up.prev_cursor.clone() {
        up = c
            .list_messages(a0, room.id, Some(&cur), Some(5))
            .await
            .unwrap();
        climbed.push(up.items.clone());
    }
    let flat = |v: &[Vec<Message>]| -> Vec<i64> {
        let mut s: Vec<i64> = v.iter().flatten().map(|m| m.seq).collect();
        s.sort_unstable();
        s
    };
    assert_eq!(flat(&climbed), (1..=23).collect::<Vec<_>>(), "each once");
    assert_eq!(climbed.len(), 5, "the same number of pages up as down");
    // A newer page from a cursor of another room or account is refused like any cursor.
    let other = w.room(sup, "other", &[a0]).await;
    let p = c.list_messages(a0, room.id, None, Some(5)).await.unwrap();
    let cur = p.next_cursor.unwrap();
    invalid(
        c.list_messages(a0, other.id, Some(&cur), Some(5)).await,
        "cursor",
    );
}

/// `around` a message: it is in the middle (fewer newer ones near the newest end), its id is
/// `anchor_id`, and from there paging older and newer covers the room exactly once. A message
/// of another room or account, or a room the reader is not in, is `NotFound`.
pub async fn history_around_a_message(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a0]).await;
    let mut sent = Vec::new();
    for i in 0..40 {
        sent.push(w.send(sup, room.id, &format!("m{i}")).await);
    }
    let c = &w.chat;
    let mid = &sent[19]; // seq 20
    let p = around(c, a0, room.id, Anchor::Message(mid.id), 9).await;
    assert_eq!(p.anchor_id, Some(Some(mid.id)));
    let seqs: Vec<i64> = p.items.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (16..=24).rev().collect::<Vec<_>>(),
        "centred, newest first"
    );
    let all = walk_both_ways(c, a0, room.id, p, 9).await;
    let all: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(
        all,
        (1..=40).collect::<Vec<_>>(),
        "every message once, in order"
    );

    // Near the newest end the page still holds `limit` messages, the anchor off-centre.
    let p = around(c, a0, room.id, Anchor::Message(sent[38].id), 9).await;
    assert_eq!(p.items.len(), 9);
    assert_eq!(p.items[0].seq, 40);
    assert!(p.prev_cursor.is_none(), "it holds the newest message");
    let p = around(c, a0, room.id, Anchor::Message(sent[0].id), 9).await;
    assert_eq!(p.items.last().map(|m| m.seq), Some(1));
    assert!(p.next_cursor.is_none(), "it holds the oldest message");

    // Another room's message, another account's, a non-member: not found.
    let other = w.room(sup, "other", &[a0]).await;
    let elsewhere = w.send(sup, other.id, "elsewhere").await;
    not_found(
        c.messages_around(a0, room.id, Anchor::Message(elsewhere.id), None)
            .await,
        "a message of another room",
    );
    let b_room = w.room(&w.b.supervisor, "b", &[&w.b.agents[0]]).await;
    let foreign = w.send(&w.b.supervisor, b_room.id, "foreign").await;
    not_found(
        c.messages_around(a0, room.id, Anchor::Message(foreign.id), None)
            .await,
        "a message of another account",
    );
    not_found(
        c.messages_around(a1, room.id, Anchor::Message(mid.id), None)
            .await,
        "a non-member",
    );
    not_found(
        c.messages_around(a0, room.id, Anchor::Message(MessageId::new()), None)
            .await,
        "an unknown id",
    );
}

/// `around=first_unread` centres on the first message after the reader's pointer (moved by
/// another device too); with nothing unread it is the newest page with `anchor_id: None`.
pub async fn history_around_first_unread(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a0]).await;
    let mut sent = Vec::new();
    for i in 0..30 {
        sent.push(w.send(sup, room.id, &format!("m{i}")).await);
    }
    let c = &w.chat;
    // Nothing read yet: the first message.
    let p = around(c, a0, room.id, Anchor::FirstUnread, 10).await;
    assert_eq!(p.anchor_id, Some(Some(sent[0].id)));
    // Another device reads up to seq 12: the first unread is 13.
    c.mark_read(a0, room.id, Some(sent[11].id)).await.unwrap();
    let p = around(c, a0, room.id, Anchor::FirstUnread, 10).await;
    assert_eq!(p.anchor_id, Some(Some(sent[12].id)));
    assert!(p.items.iter().any(|m| m.id == sent[12].id));
    let all = walk_both_ways(c, a0, room.id, p, 10).await;
    assert_eq!(all.len(), 30);
    // Everything read: the newest page, no anchor.
    c.mark_read(a0, room.id, None).await.unwrap();
    let p = around(c, a0, room.id, Anchor::FirstUnread, 10).await;
    assert_eq!(p.anchor_id, Some(None));
    assert_eq!(p.items[0].seq, 30);
    assert!(p.prev_cursor.is_none());
    // A non-member has no pointer: not found, as the room.
    not_found(
        c.messages_around(&w.a.agents[1], room.id, Anchor::FirstUnread, None)
            .await,
        "a non-member",
    );
}

/// From a page around a message, paging older and newer while another member keeps sending
/// covers every message up to the newest seen exactly once, in order: nothing skipped or
/// repeated in either direction.
pub async fn history_both_ways_under_concurrent_inserts(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "busy", &[a0, a1]).await;
    let mut sent = Vec::new();
    for i in 0..60 {
        sent.push(w.send(a0, room.id, &format!("before {i}")).await);
    }
    let (chat, sender) = (w.chat.clone(), a1.clone());
    let writer = tokio::spawn(async move {
        for i in 0..60 {
            chat.send_message(&sender, room.id, text(&format!("during {i}")))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    });
    let start = around(&w.chat, a0, room.id, Anchor::Message(sent[29].id), 7).await;
    let seen = walk_both_ways(&w.chat, a0, room.id, start, 7).await;
    writer.await.unwrap();
    let seqs: Vec<i64> = seen.iter().map(|m| m.seq).collect();
    let top = *seqs.last().unwrap();
    assert!(top >= 60);
    assert_eq!(
        seqs,
        (1..=top).collect::<Vec<_>>(),
        "every message once, in order"
    );
    let ids: HashSet<MessageId> = seen.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), seen.len());
}
