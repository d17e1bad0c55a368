//! Unread and mention counters, read pointers, and their agreement across reads.

use crate::chat::Actor;
use crate::ids::RoomId;
use crate::model::{MessageType, RoomUnread};
use crate::testing::fixtures::{invalid, mention, next_ms, world, World, ACC_A};
use crate::testing::TestBackend;

/// `(unread, mentions)` of one room for `actor`, checked to agree between `unread()` and
/// `list_rooms`; `None` when the room is in neither.
async fn counts(w: &World, actor: &Actor, room: RoomId) -> Option<(i64, i64)> {
    let unread = w.chat.unread(actor).await.unwrap();
    assert_eq!(
        unread.total,
        unread.rooms.iter().map(|r| r.unread_count).sum::<i64>(),
        "total is the sum"
    );
    let listed = w
        .chat
        .list_rooms(actor, None, Some(100))
        .await
        .unwrap()
        .items;
    let from_unread = unread.rooms.iter().find(|r| r.room_id == room);
    let from_list = listed.iter().find(|r| r.room.id == room);
    match (from_unread, from_list) {
        (None, None) => None,
        (Some(u), Some(l)) => {
            assert_eq!(
                (u.unread_count, u.mention_count),
                (l.unread_count, l.mention_count),
                "unread() and list_rooms agree"
            );
            assert!(u.unread_count >= u.mention_count && u.mention_count >= 0);
            Some((u.unread_count, u.mention_count))
        }
        (u, l) => panic!("unread() has {u:?}, list_rooms has {l:?}"),
    }
}

/// One's own messages are never unread, and sending marks the room read for the sender.
pub async fn unread_own_messages_never_count(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "own", &[a0, a1]).await;
    for i in 0..3 {
        w.send(a0, room.id, &format!("{i}")).await;
    }
    assert_eq!(counts(&w, a0, room.id).await, Some((0, 0)));
    assert_eq!(counts(&w, a1, room.id).await, Some((3, 0)));
    let mine = w.send(a1, room.id, "reply").await;
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((0, 0)),
        "sending reads up to it"
    );
    assert_eq!(counts(&w, a0, room.id).await, Some((1, 0)));
    assert_eq!(counts(&w, sup, room.id).await, Some((4, 0)));
    let detail = w.chat.get_room(sup, room.id).await.unwrap();
    let me = detail
        .members
        .iter()
        .find(|m| m.user_id == a1.user())
        .unwrap();
    assert_eq!(me.last_read_seq, mine.seq);
    assert_eq!(me.last_read_at, Some(mine.created_at));
    let state = w.chat.mark_read(a1, room.id, None).await.unwrap();
    assert_eq!((state.last_read_seq, state.unread_count), (4, 0));
}

/// Deleting an unread message stops it counting (and its mention); deleting a read one
/// changes nothing; edits never change counts.
pub async fn unread_deleted_and_edited_messages(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "deletes", &[a0, a1]).await;
    let c = &w.chat;
    let m1 = w.send(a0, room.id, "one").await;
    let (m2, _) = c
        .send_message(a0, room.id, mention("two", &[a1.user()]))
        .await
        .unwrap();
    assert_eq!(m2.message_type, MessageType::Mention);
    assert_eq!(m2.mentions, vec![a1.user()]);
    let (m3, _) = c
        .send_message(a0, room.id, mention("three", &[a1.user()]))
        .await
        .unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((3, 2)));
    assert_eq!(counts(&w, sup, room.id).await, Some((3, 0)));

    c.edit_message(a0, m2.id, "two, edited").await.unwrap();
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((3, 2)),
        "edit keeps counts"
    );
    c.delete_message(a0, m2.id).await.unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((2, 1)));
    assert_eq!(counts(&w, sup, room.id).await, Some((2, 0)));
    c.delete_message(sup, m2.id).await.unwrap();
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((2, 1)),
        "second delete is a no-op"
    );

    let state = c.mark_read(a1, room.id, Some(m1.id)).await.unwrap();
    assert_eq!((state.unread_count, state.mention_count), (1, 1));
    c.delete_message(a0, m1.id).await.unwrap();
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((1, 1)),
        "m1 was read already"
    );
    assert_eq!(counts(&w, sup, room.id).await, Some((1, 0)));
    c.delete_message(sup, m3.id).await.unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((0, 0)));
    assert_eq!(counts(&w, sup, room.id).await, Some((0, 0)));
    assert_eq!(
        counts(&w, a0, room.id).await,
        Some((0, 0)),
        "own deletes never go below 0"
    );
    let state = c.mark_read(a1, room.id, None).await.unwrap();
    assert_eq!((state.last_read_seq, state.unread_count), (3, 0));

    // A deleted message inside the range a pointer moves over is not subtracted twice.
    w.send(a0, room.id, "n1").await;
    let (n2, _) = c
        .send_message(a0, room.id, mention("n2", &[a1.user()]))
        .await
        .unwrap();
    let n3 = w.send(a0, room.id, "n3").await;
    w.send(a0, room.id, "n4").await;
    c.delete_message(a0, n2.id).await.unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((3, 0)));
    let state = c.mark_read(a1, room.id, Some(n3.id)).await.unwrap();
    assert_eq!(
        (state.unread_count, state.mention_count),
        (1, 0),
        "only n4 left"
    );
    assert_eq!(counts(&w, a1, room.id).await, Some((1, 0)));
    // Same when the pointer moves because the reader sends.
    w.send(a0, room.id, "n5").await;
    let n6 = w.send(a0, room.id, "n6").await;
    c.delete_message(sup, n6.id).await.unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((2, 0)));
    w.send(a1, room.id, "caught up").await;
    assert_eq!(counts(&w, a1, room.id).await, Some((0, 0)));
    assert_eq!(
        counts(&w, sup, room.id).await,
        Some((5, 0)),
        "n1, n3, n4, n5, caught up"
    );
}

/// Marking read up to a middle message leaves exactly the later ones; the pointer never
/// moves backwards; a message of another room is a validation error.
pub async fn unread_mark_read_middle_and_never_backwards(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "pointer", &[a0, a1]).await;
    let other = w.room(sup, "other", &[a0, a1]).await;
    let foreign = w.room(&w.b.supervisor, "b", &[&w.b.agents[0]]).await;
    let foreign_msg = w.send(&w.b.agents[0], foreign.id, "b").await;
    let elsewhere = w.send(a0, other.id, "elsewhere").await;
    let mut ms = Vec::new();
    for i in 0..10 {
        let mentions = if i % 3 == 0 { vec![a1.user()] } else { vec![] };
        ms.push(
            w.chat
                .send_message(a0, room.id, mention(&format!("{i}"), &mentions))
                .await
                .unwrap()
                .0,
        );
    }
    // Mentions at seq 1, 4, 7, 10.
    assert_eq!(counts(&w, a1, room.id).await, Some((10, 4)));
    let c = &w.chat;
    let s = c.mark_read(a1, room.id, Some(ms[3].id)).await.unwrap();
    assert_eq!(s.room_id, room.id);
    assert_eq!(
        (s.last_read_seq, s.unread_count, s.mention_count),
        (4, 6, 2)
    );
    assert!(s.last_read_at.is_some());
    assert_eq!(counts(&w, a1, room.id).await, Some((6, 2)));

    let back = c.mark_read(a1, room.id, Some(ms[1].id)).await.unwrap();
    assert_eq!(
        (back.last_read_seq, back.unread_count, back.mention_count),
        (4, 6, 2)
    );
    assert_eq!(
        back.last_read_at, s.last_read_at,
        "a refused move keeps last_read_at"
    );
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((6, 2)),
        "never backwards"
    );

    let before = w.snapshot(ACC_A, &w.a.users()).await;
    invalid(
        c.mark_read(a1, room.id, Some(elsewhere.id)).await,
        "message of another room",
    );
    let r = c.mark_read(a1, room.id, Some(foreign_msg.id)).await;
    invalid(r, "message of another account");
    assert_eq!(before, w.snapshot(ACC_A, &w.a.users()).await);

    let all = c.mark_read(a1, room.id, None).await.unwrap();
    assert_eq!(
        (all.last_read_seq, all.unread_count, all.mention_count),
        (10, 0, 0)
    );
    assert_eq!(counts(&w, a1, room.id).await, Some((0, 0)));
    assert_eq!(
        counts(&w, a1, other.id).await,
        Some((1, 0)),
        "other rooms untouched"
    );
    let again = c.mark_read(a1, room.id, Some(ms[9].id)).await.unwrap();
    assert_eq!((again.last_read_seq, again.unread_count), (10, 0));
    next_ms();
    let same = c.mark_read(a1, room.id, None).await.unwrap();
    assert_eq!(
        same.last_read_at, all.last_read_at,
        "nothing new: the pointer did not move"
    );
    assert_eq!(again.last_read_at, all.last_read_at);
    let detail = c.get_room(a1, room.id).await.unwrap();
    let me = detail
        .members
        .iter()
        .find(|m| m.user_id == a1.user())
        .unwrap();
    assert_eq!((me.last_read_seq, me.last_read_at), (10, all.last_read_at));
}

/// A member added to a room with history starts with nothing unread, also after leaving and
/// coming back.
pub async fn unread_new_member_starts_at_zero(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "history", &[a0]).await;
    for i in 0..5 {
        w.send(a0, room.id, &format!("{i}")).await;
    }
    w.chat
        .add_members(sup, room.id, &[a1.user()], None)
        .await
        .unwrap();
    assert_eq!(counts(&w, a1, room.id).await, Some((0, 0)));
    let detail = w.chat.get_room(a1, room.id).await.unwrap();
    let me = detail
        .members
        .iter()
        .find(|m| m.user_id == a1.user())
        .unwrap();
    assert_eq!(me.last_read_seq, 5);
    assert_eq!(
        w.chat
            .list_messages(a1, room.id, None, None)
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    w.send(a0, room.id, "after joining").await;
    assert_eq!(counts(&w, a1, room.id).await, Some((1, 0)));

    w.chat.remove_member(a1, room.id, a1.user()).await.unwrap();
    assert_eq!(counts(&w, a1, room.id).await, None);
    w.send(a0, room.id, "while away").await;
    w.send(a0, room.id, "while away").await;
    w.chat
        .add_members(sup, room.id, &[a1.user()], None)
        .await
        .unwrap();
    assert_eq!(
        counts(&w, a1, room.id).await,
        Some((0, 0)),
        "rejoining starts at 0"
    );
    let dm = w.dm(a1, &w.a.agents[2]).await;
    assert_eq!(counts(&w, a1, dm.id).await, Some((0, 0)));
    assert_eq!(w.chat.unread(a1).await.unwrap().total, 0);
}

/// Across several rooms and DMs, `unread()` lists every room of the caller (zeros too),
/// `total` is the sum, and `list_rooms` carries the same counts.
pub async fn unread_totals_agree_with_room_list(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1, a2) = (
        &w.a.supervisor,
        &w.a.agents[0],
        &w.a.agents[1],
        &w.a.agents[2],
    );
    let c = &w.chat;
    let r1 = w.room(sup, "r1", &[a0, a1]).await;
    let r2 = w.room(sup, "r2", &[a1, a2]).await;
    let quiet = w.room(sup, "quiet", &[a1]).await;
    let dm = w.dm(a2, a1).await;
    let not_mine = w.room(sup, "not mine", &[a0]).await;
    for _ in 0..3 {
        w.send(a0, r1.id, "r1").await;
    }
    c.send_message(sup, r1.id, mention("@a1", &[a1.user(), a0.user()]))
        .await
        .unwrap();
    c.send_message(a2, r2.id, mention("@a1", &[a1.user()]))
        .await
        .unwrap();
    w.send(a1, r2.id, "mine").await;
    w.send(a2, r2.id, "after mine").await;
    w.send(a2, dm.id, "dm 1").await;
    w.send(a2, dm.id, "dm 2").await;
    w.send(a0, not_mine.id, "nope").await;

    let mut expected = vec![
        RoomUnread {
            room_id: r1.id,
            unread_count: 4,
            mention_count: 1,
        },
        RoomUnread {
            room_id: r2.id,
            unread_count: 1,
            mention_count: 0,
        },
        RoomUnread {
            room_id: quiet.id,
            unread_count: 0,
            mention_count: 0,
        },
        RoomUnread {
            room_id: dm.id,
            unread_count: 2,
            mention_count: 0,
        },
    ];
    expected.sort_by_key(|r| r.room_id);
    let unread = c.unread(a1).await.unwrap();
    let mut rooms = unread.rooms.clone();
    rooms.sort_by_key(|r| r.room_id);
    assert_eq!(rooms, expected);
    assert_eq!(unread.total, 7);
    for r in &expected {
        let got = counts(&w, a1, r.room_id).await;
        assert_eq!(got, Some((r.unread_count, r.mention_count)));
    }
    assert_eq!(counts(&w, a0, r1.id).await, Some((1, 1)));
    assert_eq!(counts(&w, a1, not_mine.id).await, None);
}

/// Archived rooms vanish from `unread()` and `list_rooms`, and from the total.
pub async fn unread_archived_rooms_vanish(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let x = w.room(sup, "x", &[a0, a1]).await;
    let y = w.room(sup, "y", &[a0, a1]).await;
    let dm = w.dm(a0, a1).await;
    w.send(a0, x.id, "1").await;
    w.send(a0, x.id, "2").await;
    w.send(a0, y.id, "3").await;
    w.send(a0, dm.id, "4").await;
    assert_eq!(w.chat.unread(a1).await.unwrap().total, 4);
    w.chat.archive_room(&w.a.admin, x.id).await.unwrap();
    w.chat.archive_room(&w.a.supervisor, dm.id).await.unwrap();
    let unread = w.chat.unread(a1).await.unwrap();
    assert_eq!(unread.total, 1);
    assert_eq!(unread.rooms.len(), 1);
    assert_eq!(unread.rooms[0].room_id, y.id);
    assert_eq!(counts(&w, a1, x.id).await, None);
    assert_eq!(counts(&w, a1, dm.id).await, None);
    assert_eq!(counts(&w, a1, y.id).await, Some((1, 0)));
}

/// Marking a room read to its newest message may decide from the remembered access, but never
/// past a change: once the member is removed (here or through another `Chat` on the same
/// store, as another process would) or the room is archived elsewhere, it is refused as for
/// any non-member and nothing is written; marking read up to a message always decides from a
/// fresh read.
pub async fn unread_mark_read_never_outlives_membership(b: TestBackend) {
    use crate::error::ChatError;
    use crate::testing::fixtures::not_found;
    use crate::Chat;

    let w = world(b).await;
    let other = Chat::new(w.backend.store.clone());
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1, a2]).await;
    let m = w.send(sup, room.id, "one").await;
    // Both remember their access: a send, then a read to the newest.
    for a in [a1, a2] {
        w.send(a, room.id, "warm").await;
        w.chat.mark_read(a, room.id, None).await.unwrap();
    }
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    other.remove_member(sup, room.id, a2.user()).await.unwrap();
    // A third agent was never a member: a removed member must get the very same answer.
    let stranger = &w.a.agents[2];
    let elsewhere = w.room(sup, "elsewhere", &[a1, a2]).await;
    let foreign = w.send(sup, elsewhere.id, "of another room").await;
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    let targets = [
        ("to the newest", None),
        ("up to a message", Some(m.id)),
        ("up to a message of another room", Some(foreign.id)),
    ];
    for (what, up_to) in targets {
        let never = w.chat.mark_read(stranger, room.id, up_to).await;
        assert!(
            matches!(
                never,
                Err(ChatError::NotFound) | Err(ChatError::Forbidden(_))
            ),
            "never a member, {what}: {never:?}"
        );
        for (who, a) in [("removed here", a1), ("removed elsewhere", a2)] {
            let refused = w.chat.mark_read(a, room.id, up_to).await;
            assert_eq!(
                format!("{refused:?}"),
                format!("{never:?}"),
                "{who}, {what}: refused as a never-member is"
            );
        }
    }
    assert_eq!(
        before,
        w.snapshot(ACC_A, &w.a.users()).await,
        "nothing written"
    );
    // A member naming a message of another room is refused too, and nothing moves.
    let member = w.room(sup, "member", &[a1]).await;
    w.send(sup, member.id, "unread").await;
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    let wrong = w.chat.mark_read(a1, member.id, Some(foreign.id)).await;
    assert!(
        matches!(wrong, Err(ChatError::Validation(_))),
        "a message of another room: {wrong:?}"
    );
    assert_eq!(
        before,
        w.snapshot(ACC_A, &w.a.users()).await,
        "nothing written"
    );

    let kept = w.room(sup, "kept", &[a1]).await;
    w.send(sup, kept.id, "one").await;
    w.chat.mark_read(a1, kept.id, None).await.unwrap();
    other.archive_room(sup, kept.id).await.unwrap();
    not_found(
        w.chat.mark_read(a1, kept.id, None).await,
        "read to the newest in a room archived elsewhere",
    );
}
