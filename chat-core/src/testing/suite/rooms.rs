//! Rooms and DMs: the DM race, archiving, ordering by activity, managers' view, rename,
//! removal and leaving.

use std::collections::HashSet;

use futures::future::join_all;

use crate::chat::{Actor, NewRoom};
use crate::ids::{RoomId, UserId};
use crate::model::{AuditAction, Room, RoomRole, RoomType};
use crate::store::AuditFilter;
use crate::testing::fixtures::{dm_with, invalid, next_ms, not_found, text, world, World, ACC_A};
use crate::testing::TestBackend;

async fn order(w: &World, actor: &Actor) -> Vec<RoomId> {
    let page = w.chat.list_rooms(actor, None, Some(100)).await.unwrap();
    assert!(page.next_cursor.is_none());
    page.items.iter().map(|r| r.room.id).collect()
}

/// Many concurrent DM creations for one pair, in both directions: one room, one `created`,
/// one `room.created` entry.
pub async fn rooms_dm_race_creates_one_room(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let tasks = (0..12).map(|i| {
        let (me, other) = if i % 2 == 0 { (a0, a1) } else { (a1, a0) };
        let (chat, me, other) = (w.chat.clone(), me.clone(), other.user());
        tokio::spawn(async move { chat.create_room(&me, dm_with(other)).await.unwrap() })
    });
    let results: Vec<(Room, bool)> = join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let id = results[0].0.id;
    assert!(
        results.iter().all(|(r, _)| r.id == id),
        "one room for the pair"
    );
    assert_eq!(results.iter().filter(|(_, c)| *c).count(), 1);
    let filter = AuditFilter {
        action: Some(AuditAction::RoomCreated),
        ..Default::default()
    };
    let created = w
        .chat
        .list_audit(&w.a.admin, &filter, None, None)
        .await
        .unwrap();
    assert_eq!(created.items.len(), 1);
    assert_eq!(created.items[0].target_id, id.to_string());
    assert_eq!(order(&w, a0).await, vec![id]);
    assert_eq!(order(&w, a1).await, vec![id]);
    let detail = w.chat.get_room(a0, id).await.unwrap();
    assert_eq!(
        (detail.room.kind, detail.room.name.as_deref()),
        (RoomType::Dm, None)
    );
    let mut members: Vec<(UserId, RoomRole)> =
        detail.members.iter().map(|m| (m.user_id, m.role)).collect();
    members.sort();
    assert_eq!(
        members,
        vec![(a0.user(), RoomRole::Member), (a1.user(), RoomRole::Member)]
    );

    let before = w.snapshot(ACC_A, &w.a.users()).await;
    let c = &w.chat;
    invalid(
        c.create_room(a0, dm_with(a0.user())).await,
        "DM with oneself",
    );
    let two = NewRoom {
        member_ids: vec![a1.user(), w.a.agents[2].user()],
        ..dm_with(a1.user())
    };
    invalid(c.create_room(a0, two).await, "DM with two others");
    let named = NewRoom {
        name: Some("dm".into()),
        ..dm_with(a1.user())
    };
    invalid(c.create_room(a0, named).await, "named DM");
    assert_eq!(before, w.snapshot(ACC_A, &w.a.users()).await);
}

/// Archiving a DM hides it and frees the pair: the next DM is a new, empty room.
pub async fn rooms_archived_dm_frees_the_pair(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let old = w.dm(a0, a1).await;
    let m = w.send(a0, old.id, "before").await;
    w.chat.archive_room(&w.a.admin, old.id).await.unwrap();
    not_found(w.chat.get_room(a0, old.id).await, "archived DM");
    not_found(
        w.chat.send_message(a1, old.id, text("x")).await,
        "send to archived",
    );
    not_found(w.chat.edit_message(a0, m.id, "x").await, "edit in archived");
    assert!(order(&w, a0).await.is_empty());
    let (new, created) = w.chat.create_room(a1, dm_with(a0.user())).await.unwrap();
    assert!(created);
    assert_ne!(new.id, old.id);
    assert_eq!(new.last_seq, 0);
    let page = w.chat.list_messages(a0, new.id, None, None).await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(order(&w, a0).await, vec![new.id]);
    let (again, created) = w.chat.create_room(a0, dm_with(a1.user())).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, new.id);
}

/// Rooms are listed by activity (newest message, else creation), newest first, and pages
/// walk that order without duplicates.
pub async fn rooms_list_ordering_and_pagination(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0) = (&w.a.supervisor, &w.a.agents[0]);
    let mut r = Vec::new();
    for i in 0..5 {
        next_ms();
        r.push(w.room(sup, &format!("r{i}"), &[a0]).await.id);
    }
    assert_eq!(order(&w, a0).await, vec![r[4], r[3], r[2], r[1], r[0]]);
    next_ms();
    let m1 = w.send(sup, r[1], "bump").await;
    assert_eq!(order(&w, a0).await, vec![r[1], r[4], r[3], r[2], r[0]]);
    next_ms();
    w.send(a0, r[3], "bump").await;
    next_ms();
    let dm = w.dm(a0, &w.a.agents[1]).await.id;
    let expected = vec![dm, r[3], r[1], r[4], r[2], r[0]];
    assert_eq!(order(&w, a0).await, expected);
    assert_eq!(order(&w, sup).await, expected[1..].to_vec());
    let rooms = w.chat.list_rooms(a0, None, None).await.unwrap().items;
    assert_eq!(rooms[2].room.last_message_at, Some(m1.created_at));
    assert_eq!(rooms[2].room.last_seq, 1);
    assert_eq!(rooms[5].room.last_message_at, None);

    for limit in 1..=6 {
        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = w
                .chat
                .list_rooms(a0, cursor.as_deref(), Some(limit))
                .await
                .unwrap();
            assert!(page.items.len() <= limit as usize);
            assert!(
                !page.items.is_empty(),
                "a cursor never leads to an empty page"
            );
            walked.extend(page.items.iter().map(|s| s.room.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(walked, expected, "pages of {limit}");
    }

    // A room that becomes active mid-walk moves to the front; the walk never repeats one.
    let first = w.chat.list_rooms(a0, None, Some(2)).await.unwrap();
    next_ms();
    w.send(sup, r[0], "late").await;
    let mut walked: Vec<RoomId> = first.items.iter().map(|s| s.room.id).collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        let page = w.chat.list_rooms(a0, Some(&c), Some(2)).await.unwrap();
        walked.extend(page.items.iter().map(|s| s.room.id));
        cursor = page.next_cursor;
    }
    let unique: HashSet<&RoomId> = walked.iter().collect();
    assert_eq!(unique.len(), walked.len(), "no room twice in one walk");
    assert_eq!(order(&w, a0).await[0], r[0]);
}

/// Admins and supervisors see any room of their account with its members, without being
/// members; the room's fields are as created.
pub async fn rooms_managers_view_without_membership(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "  Suporte  ", &[a0, a1, sup]).await;
    assert_eq!(room.name.as_deref(), Some("Suporte"));
    assert_eq!(
        (room.kind, room.account_id, room.created_by),
        (RoomType::Room, ACC_A, sup.user())
    );
    assert_eq!((room.last_seq, room.last_message_at), (0, None));
    assert_eq!(room.created_at, room.updated_at);
    let dm = w.dm(a0, a1).await;
    for manager in [&w.a.admin, sup] {
        let detail = w.chat.get_room(manager, room.id).await.unwrap();
        assert_eq!(detail.room, room);
        let mut members: Vec<(UserId, RoomRole)> =
            detail.members.iter().map(|m| (m.user_id, m.role)).collect();
        members.sort();
        let mut expected = vec![
            (sup.user(), RoomRole::Owner),
            (a0.user(), RoomRole::Member),
            (a1.user(), RoomRole::Member),
        ];
        expected.sort();
        assert_eq!(
            members, expected,
            "creator owns, listed ids join once as members"
        );
        assert!(detail.members.iter().all(|m| m.last_read_seq == 0));
        let detail = w.chat.get_room(manager, dm.id).await.unwrap();
        assert_eq!(detail.members.len(), 2);
    }
    // Managers' view does not put the room in their list.
    assert!(order(&w, &w.a.admin).await.is_empty());

    // The manager exception is audited, reads included: one `room.viewed` per read by a
    // manager who is not a member (the admin: two rooms; the supervisor: the DM only — they
    // are a member of the team room), none for a member's read.
    let viewed = |entries: Vec<crate::model::AuditEntry>| -> Vec<(UserId, String)> {
        entries
            .into_iter()
            .filter(|e| e.action == AuditAction::RoomViewed)
            .filter_map(|e| Some((e.actor_id?, e.target_id)))
            .collect()
    };
    let mut got = viewed(w.audit(ACC_A).await);
    got.sort();
    let mut want = vec![
        (w.a.admin.user(), room.id.to_string()),
        (w.a.admin.user(), dm.id.to_string()),
        (sup.user(), dm.id.to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
    w.chat.get_room(a0, room.id).await.unwrap();
    assert_eq!(viewed(w.audit(ACC_A).await).len(), 3, "a member's read");
    // No audit entry, no data.
    (w.backend.fail_audit)(true);
    assert!(w.chat.get_room(&w.a.admin, room.id).await.is_err());
    assert!(
        w.chat.get_room(a0, room.id).await.is_ok(),
        "members are not audited"
    );
    (w.backend.fail_audit)(false);
    assert_eq!(viewed(w.audit(ACC_A).await).len(), 3);
}

/// Rename changes the name and `updated_at` but not the activity order; archive removes the
/// room from every read and write.
pub async fn rooms_rename_and_archive_effects(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let old = w.room(sup, "old", &[a0]).await;
    next_ms();
    let newer = w.room(sup, "newer", &[a0]).await;
    next_ms();
    let renamed = w
        .chat
        .rename_room(sup, old.id, " Brand new ")
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Brand new"));
    assert!(renamed.updated_at > old.updated_at);
    assert_eq!(renamed.created_at, old.created_at);
    let detail = w.chat.get_room(a0, old.id).await.unwrap();
    assert_eq!(detail.room, renamed);
    assert_eq!(
        order(&w, a0).await,
        vec![newer.id, old.id],
        "rename is not activity"
    );
    let listed = w.chat.list_rooms(a0, None, None).await.unwrap().items;
    assert_eq!(listed[1].room.name.as_deref(), Some("Brand new"));

    let m = w.send(a0, old.id, "soon gone").await;
    w.chat.archive_room(&w.a.admin, old.id).await.unwrap();
    let c = &w.chat;
    for actor in [sup, a0, &w.a.admin] {
        not_found(c.get_room(actor, old.id).await, "archived room");
        not_found(c.archive_room(actor, old.id).await, "archive twice");
    }
    not_found(c.send_message(a0, old.id, text("x")).await, "send");
    not_found(c.list_messages(a0, old.id, None, None).await, "list");
    not_found(c.rename_room(sup, old.id, "back").await, "rename");
    let r = c.add_members(sup, old.id, &[a1.user()], None).await;
    not_found(r, "add member");
    not_found(c.remove_member(a0, old.id, a0.user()).await, "leave");
    not_found(c.mark_read(a0, old.id, None).await, "mark read");
    not_found(c.edit_message(a0, m.id, "x").await, "edit");
    not_found(c.delete_message(sup, m.id).await, "delete");
    assert_eq!(order(&w, a0).await, vec![newer.id]);
    assert_eq!(order(&w, sup).await, vec![newer.id]);
}

/// Owners, moderators and managers remove members; anyone leaves; removed members lose
/// access but their messages stay; re-adding restores access; add is a no-op for members.
pub async fn rooms_remove_and_leave(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1, a2) = (
        &w.a.supervisor,
        &w.a.agents[0],
        &w.a.agents[1],
        &w.a.agents[2],
    );
    let c = &w.chat;
    let room = w.room(sup, "team", &[a1, a2]).await;
    let added = c
        .add_members(sup, room.id, &[a0.user()], Some(RoomRole::Moderator))
        .await
        .unwrap();
    assert!(added.next_cursor.is_none());
    let detail = c.get_room(sup, room.id).await.unwrap();
    assert_eq!(
        added.items, detail.members,
        "add answers with the full member list"
    );
    let m = w.send(a1, room.id, "I was here").await;

    c.remove_member(a0, room.id, a1.user()).await.unwrap();
    not_found(c.get_room(a1, room.id).await, "removed member");
    assert!(order(&w, a1).await.is_empty());
    not_found(
        c.remove_member(sup, room.id, a1.user()).await,
        "remove a non-member",
    );
    let listed = c
        .list_messages(a0, room.id, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(
        listed,
        vec![m.clone()],
        "messages outlive their sender's membership"
    );

    c.remove_member(a2, room.id, a2.user()).await.unwrap();
    let ids: Vec<UserId> = c
        .get_room(sup, room.id)
        .await
        .unwrap()
        .members
        .iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&sup.user()) && ids.contains(&a0.user()));

    // Re-adding: access again, old role not resurrected, and adding again is a no-op.
    c.add_members(a0, room.id, &[a1.user()], None)
        .await
        .unwrap();
    let again = c
        .add_members(sup, room.id, &[a1.user()], Some(RoomRole::Owner))
        .await
        .unwrap();
    let a1_member = again.items.iter().find(|x| x.user_id == a1.user()).unwrap();
    assert_eq!(
        a1_member.role,
        RoomRole::Member,
        "existing members are left as they are"
    );
    assert_eq!(
        c.list_messages(a1, room.id, None, None)
            .await
            .unwrap()
            .items,
        vec![m]
    );
    invalid(
        c.add_members(sup, room.id, &[], None).await,
        "empty user_ids",
    );

    // The owner may leave too; a manager still sees the room.
    c.remove_member(sup, room.id, sup.user()).await.unwrap();
    let detail = c.get_room(sup, room.id).await.unwrap();
    assert!(detail.members.iter().all(|x| x.user_id != sup.user()));
    assert_eq!(order(&w, sup).await, Vec::<RoomId>::new());
}
