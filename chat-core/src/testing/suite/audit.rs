//! The audit log: written in the same transaction as its action, exactly the expected
//! entries, filterable and pageable.

use std::collections::HashSet;

use crate::ids::NotificationId;
use crate::ids::{AuditId, UserId};
use crate::model::{AuditAction, RoomRole};
use crate::store::{AuditFilter, UserScope};
use crate::testing::fixtures::{dm_with, invalid, team, world, World, ACC_A};
use crate::testing::TestBackend;

type Entry = (AuditAction, UserId, String);

/// The entries written since `seen` (ids of earlier entries), sorted.
async fn new_entries(w: &World, seen: &mut HashSet<AuditId>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for e in w.audit(ACC_A).await {
        if seen.insert(e.id) {
            assert_eq!(e.account_id, ACC_A);
            assert!(e.metadata.is_object(), "metadata is an object");
            // The fixture's provisioning is the service's (no actor): not a user action.
            if let Some(actor) = e.actor_id {
                out.push((e.action, actor, e.target_id));
            }
        }
    }
    out.sort();
    out
}

/// What a write leaves besides the state [`World::snapshot`] sees: the account's event log
/// (ids of every event, and the newest id ever assigned) and every user's notifications.
async fn trail(w: &World) -> (Vec<Option<i64>>, i64, Vec<(UserId, Vec<NotificationId>)>) {
    let store = &w.backend.store;
    let log = store.events_after(ACC_A, 0, 100_000).await.unwrap();
    let mut notifications = Vec::new();
    for u in w.a.users() {
        let list = store
            .list_notifications(&UserScope::new(ACC_A, u), false, None, 1000)
            .await
            .unwrap();
        notifications.push((u, list.iter().map(|n| n.id).collect()));
    }
    (
        log.events.iter().map(|e| e.id).collect(),
        log.last_id,
        notifications,
    )
}

fn entry(action: AuditAction, actor: UserId, target: impl ToString) -> Entry {
    (action, actor, target.to_string())
}

/// With audit inserts failing, every audited action fails and leaves no trace (no state, no
/// event in the log, no notification); once they work again the same actions succeed, each
/// with exactly its entries.
pub async fn audit_failure_rolls_back_every_action(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1, a2) = (
        &w.a.supervisor,
        &w.a.agents[0],
        &w.a.agents[1],
        &w.a.agents[2],
    );
    let room = w.room(sup, "audited", &[a0]).await;
    let c = &w.chat;
    // A mention, so a notification exists and the comparison below is not of empty lists.
    let mention = crate::NewMessage {
        content: "hi".into(),
        mentions: vec![sup.user()],
        ..crate::NewMessage::default()
    };
    c.send_message(a0, room.id, mention).await.unwrap();
    let m = w.send(a0, room.id, "original").await;
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    let trail_before = trail(&w).await;

    (w.backend.fail_audit)(true);
    assert!(c.create_room(sup, team("ghost", &[a1])).await.is_err());
    assert!(c.create_room(a0, dm_with(a1.user())).await.is_err());
    assert!(c.rename_room(sup, room.id, "renamed").await.is_err());
    assert!(c.archive_room(sup, room.id).await.is_err());
    assert!(c
        .add_members(sup, room.id, &[a1.user()], None)
        .await
        .is_err());
    assert!(c.remove_member(sup, room.id, a0.user()).await.is_err());
    assert!(c.remove_member(a0, room.id, a0.user()).await.is_err());
    assert!(c.edit_message(a0, m.id, "changed").await.is_err());
    assert!(c.delete_message(sup, m.id).await.is_err());
    let after = w.snapshot(ACC_A, &w.a.users()).await;
    let trail_after = trail(&w).await;
    (w.backend.fail_audit)(false);
    assert_eq!(before, after, "an action whose audit failed left a trace");
    assert_eq!(
        trail_before, trail_after,
        "an action whose audit failed wrote an event or a notification"
    );
    assert!(trail_before.1 > 0, "the log has the fixture's events");
    assert!(
        trail_before.2.iter().any(|(_, n)| !n.is_empty()),
        "the mention's notification is there"
    );
    let rooms = c.list_rooms(sup, None, None).await.unwrap().items;
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].room.name.as_deref(), Some("audited"));
    let detail = c.get_room(sup, room.id).await.unwrap();
    assert_eq!(detail.members.len(), 2);
    let listed = c
        .list_messages(a0, room.id, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(listed[0].content.as_deref(), Some("original"));
    assert!(c.list_rooms(a1, None, None).await.unwrap().items.is_empty());

    let mut seen: HashSet<AuditId> = w.audit(ACC_A).await.iter().map(|e| e.id).collect();
    let (other, _) = c.create_room(sup, team("real", &[a1])).await.unwrap();
    assert_eq!(
        new_entries(&w, &mut seen).await,
        vec![
            entry(AuditAction::RoomCreated, sup.user(), other.id),
            entry(AuditAction::MemberAdded, sup.user(), a1.user()),
        ]
    );
    let (dm, _) = c.create_room(a0, dm_with(a1.user())).await.unwrap();
    let expected = vec![entry(AuditAction::RoomCreated, a0.user(), dm.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.rename_room(sup, room.id, "renamed").await.unwrap();
    let expected = vec![entry(AuditAction::RoomUpdated, sup.user(), room.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    let ids = [a1.user(), a2.user()];
    c.add_members(sup, room.id, &ids, None).await.unwrap();
    let mut expected = vec![
        entry(AuditAction::MemberAdded, sup.user(), a1.user()),
        entry(AuditAction::MemberAdded, sup.user(), a2.user()),
    ];
    expected.sort();
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.add_members(sup, room.id, &ids, Some(RoomRole::Moderator))
        .await
        .unwrap();
    assert_eq!(
        new_entries(&w, &mut seen).await,
        vec![],
        "re-adding is a no-op"
    );
    c.remove_member(sup, room.id, a2.user()).await.unwrap();
    let expected = vec![entry(AuditAction::MemberRemoved, sup.user(), a2.user())];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.remove_member(a1, room.id, a1.user()).await.unwrap();
    let expected = vec![entry(AuditAction::MemberRemoved, a1.user(), a1.user())];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.edit_message(a0, m.id, "changed").await.unwrap();
    let expected = vec![entry(AuditAction::MessageEdited, a0.user(), m.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.delete_message(sup, m.id).await.unwrap();
    let expected = vec![entry(AuditAction::MessageDeleted, sup.user(), m.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
    c.delete_message(sup, m.id).await.unwrap();
    assert_eq!(new_entries(&w, &mut seen).await, vec![], "deleting twice");
    c.archive_room(sup, room.id).await.unwrap();
    let expected = vec![entry(AuditAction::RoomDeleted, sup.user(), room.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);
}

/// Members' reads, sends, read pointers, admission and provisioning write no audit entries; the
/// facade's entries carry the account, the room and the acting role.
pub async fn audit_entries_match_actions(b: TestBackend) {
    let w = world(b).await;
    let (adm, a0, a1) = (&w.a.admin, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(&w.a.supervisor, "quiet", &[a0, a1]).await;
    let mut seen: HashSet<AuditId> = w.audit(ACC_A).await.iter().map(|e| e.id).collect();
    let c = &w.chat;
    let m = w.send(a0, room.id, "hello").await;
    c.list_messages(a1, room.id, None, None).await.unwrap();
    c.mark_read(a1, room.id, Some(m.id)).await.unwrap();
    c.get_room(a0, room.id).await.unwrap();
    c.list_rooms(a0, None, None).await.unwrap();
    c.unread(a0).await.unwrap();
    c.provision_user(
        ACC_A,
        UserId(99),
        None,
        crate::model::AccountRole::Agent,
        true,
    )
    .await
    .unwrap();
    assert_eq!(new_entries(&w, &mut seen).await, vec![]);

    // A manager reading a room they are not a member of is audited (the contract's manager
    // exception covers reads too).
    c.get_room(adm, room.id).await.unwrap();
    let expected = vec![entry(AuditAction::RoomViewed, adm.user(), room.id)];
    assert_eq!(new_entries(&w, &mut seen).await, expected);

    // A manager acting on a room they are not a member of is audited as such.
    c.rename_room(adm, room.id, "loud").await.unwrap();
    let e = &w.audit(ACC_A).await[0];
    assert_eq!(
        (e.action, e.actor_id),
        (AuditAction::RoomUpdated, Some(adm.user()))
    );
    assert_eq!(e.target_id, room.id.to_string());
    assert_eq!(e.metadata["account_role"], "admin");
    assert_eq!(e.metadata["room_id"], room.id.to_string());
    assert!(e.metadata["room_role"].is_null(), "{}", e.metadata);
    assert!(e.created_at >= m.created_at);
}

/// The admin's audit listing: newest first by (`created_at`, id), filters by action, actor
/// and target, pages without duplicates or gaps, refuses foreign cursors.
pub async fn audit_listing_filters_and_pages(b: TestBackend) {
    let w = world(b).await;
    let (sup, adm, a0) = (&w.a.supervisor, &w.a.admin, &w.a.agents[0]);
    let mut rooms = Vec::new();
    for i in 0..4 {
        rooms.push(w.room(sup, &format!("r{i}"), &[a0]).await);
    }
    w.chat
        .rename_room(adm, rooms[1].id, "renamed")
        .await
        .unwrap();
    let c = &w.chat;
    let all = w.audit(ACC_A).await;
    assert_eq!(
        all.len(),
        5 + 9,
        "the fixture's 5 user.provisioned + 4 x (room.created + member.added) + room.updated"
    );
    let key = |e: &crate::model::AuditEntry| (e.created_at, e.id);
    assert!(
        all.windows(2).all(|p| key(&p[0]) > key(&p[1])),
        "newest first"
    );

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = c
            .list_audit(adm, &AuditFilter::default(), cursor.as_deref(), Some(2))
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        paged.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, all, "pages walk the whole log once");

    let by =
        |f: AuditFilter| async move { c.list_audit(adm, &f, None, Some(100)).await.unwrap().items };
    let created = by(AuditFilter {
        action: Some(AuditAction::RoomCreated),
        ..Default::default()
    })
    .await;
    assert_eq!(created.len(), 4);
    assert!(created.iter().all(|e| e.action == AuditAction::RoomCreated));
    let mine = by(AuditFilter {
        actor_id: Some(adm.user()),
        ..Default::default()
    })
    .await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].action, AuditAction::RoomUpdated);
    let about = by(AuditFilter {
        target_id: Some(a0.user().to_string()),
        ..Default::default()
    })
    .await;
    assert_eq!(about.len(), 5);
    assert_eq!(
        about
            .iter()
            .filter(|e| e.action == AuditAction::MemberAdded)
            .count(),
        4
    );
    assert_eq!(about[4].action, AuditAction::UserProvisioned, "oldest last");

    // A cursor of account A's log is refused for account B's admin, and vice versa kinds.
    let page = c
        .list_audit(adm, &AuditFilter::default(), None, Some(1))
        .await
        .unwrap();
    let foreign = page.next_cursor.unwrap();
    let r = c
        .list_audit(&w.b.admin, &AuditFilter::default(), Some(&foreign), None)
        .await;
    invalid(r, "audit cursor of another account");
    let r = c.list_rooms(adm, Some(&foreign), None).await;
    invalid(r, "audit cursor used for rooms");
    let r = c
        .list_audit(adm, &AuditFilter::default(), Some("bm90LWEtY3Vyc29y"), None)
        .await;
    invalid(r, "garbage cursor");
}
