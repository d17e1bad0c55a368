//! Tenant isolation: ids of another account are "not found", user ids of another account are
//! invalid, and same-account non-members learn nothing about a room.

use crate::chat::{Actor, Identity, NewMessage};
use crate::ids::{MessageId, RoomId, UserId};
use crate::model::{AccountRole, RoomRole};
use crate::testing::fixtures::{
    dm_with, invalid, mention, not_found, team, text, world, World, ACC_A, ACC_B,
};
use crate::testing::TestBackend;

/// Every facade operation on `room` / `message` must answer `NotFound` for `actor`.
async fn everything_not_found(
    w: &World,
    actor: &Actor,
    room: RoomId,
    message: MessageId,
    member: UserId,
    who: &str,
) {
    let c = &w.chat;
    let me = actor.user();
    not_found(c.get_room(actor, room).await, &format!("{who} get_room"));
    let r = c.rename_room(actor, room, "taken over").await;
    not_found(r, &format!("{who} rename_room"));
    not_found(c.archive_room(actor, room).await, &format!("{who} archive"));
    let r = c.add_members(actor, room, &[me], None).await;
    not_found(r, &format!("{who} add self"));
    let r = c
        .add_members(actor, room, &[member], Some(RoomRole::Owner))
        .await;
    not_found(r, &format!("{who} add member as owner"));
    let r = c.remove_member(actor, room, member).await;
    not_found(r, &format!("{who} remove member"));
    not_found(
        c.remove_member(actor, room, me).await,
        &format!("{who} leave"),
    );
    let r = c.list_messages(actor, room, None, None).await;
    not_found(r, &format!("{who} list_messages"));
    let r = c.send_message(actor, room, text("hello?")).await;
    not_found(r, &format!("{who} send"));
    let keyed = NewMessage {
        client_id: Some("k-1".into()),
        ..text("hello?")
    };
    let r = c.send_message(actor, room, keyed).await;
    not_found(r, &format!("{who} send with client_id"));
    not_found(
        c.mark_read(actor, room, None).await,
        &format!("{who} mark_read"),
    );
    let r = c.mark_read(actor, room, Some(message)).await;
    not_found(r, &format!("{who} mark_read up to"));
    let r = c.edit_message(actor, message, "edited").await;
    not_found(r, &format!("{who} edit"));
    not_found(
        c.delete_message(actor, message).await,
        &format!("{who} delete"),
    );
}

/// Actors of account B (every role) using room and message ids of account A get `NotFound`
/// for every operation, and nothing changes in either account.
pub async fn isolation_foreign_ids_are_not_found(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1, a2) = (&w.a.agents[0], &w.a.agents[1], &w.a.agents[2]);
    let room = w.room(&w.a.supervisor, "A only", &[a0, a1]).await;
    let m1 = w
        .chat
        .send_message(a0, room.id, mention("hi", &[a1.user()]))
        .await
        .unwrap()
        .0;
    w.send(a1, room.id, "hello").await;
    let dm = w.dm(a0, a2).await;
    let dm_msg = w.send(a2, dm.id, "psst").await;
    let b_room = w.room(&w.b.supervisor, "B room", &[&w.b.agents[0]]).await;
    w.send(&w.b.agents[0], b_room.id, "b side").await;

    let before = w.both().await;
    for actor in w.b.all() {
        let who = format!("B user {}", actor.user());
        everything_not_found(&w, actor, room.id, m1.id, a0.user(), &who).await;
        everything_not_found(&w, actor, dm.id, dm_msg.id, a2.user(), &who).await;
        let rooms = w.chat.list_rooms(actor, None, None).await.unwrap();
        assert!(rooms.items.iter().all(|r| r.room.account_id == ACC_B));
        let unread = w.chat.unread(actor).await.unwrap();
        assert!(unread
            .rooms
            .iter()
            .all(|r| r.room_id != room.id && r.room_id != dm.id));
    }
    let audit = w
        .chat
        .list_audit(&w.b.admin, &Default::default(), None, Some(100))
        .await
        .unwrap();
    assert!(!audit.items.is_empty(), "B's own room creation is audited");
    assert!(audit.items.iter().all(|e| e.account_id == ACC_B));
    assert!(audit
        .items
        .iter()
        .all(|e| e.target_id != room.id.to_string()));
    assert_eq!(
        before,
        w.both().await,
        "a refused foreign access changed state"
    );
}

/// A user of account B whose numeric id equals a member of an A room (user ids only mean
/// something within their account) sees none of A: no rooms, no unread, no messages, no DM.
pub async fn isolation_same_user_id_in_other_account_sees_nothing(b: TestBackend) {
    let w = world(b).await;
    let (a0, a2) = (&w.a.agents[0], &w.a.agents[2]);
    let room = w.room(&w.a.supervisor, "A only", &[a0, a2]).await;
    let keyed = NewMessage {
        client_id: Some("same-key".into()),
        ..text("mine in A")
    };
    let m1 = w.chat.send_message(a0, room.id, keyed).await.unwrap().0;
    let a_dm = w.dm(a0, a2).await;
    w.send(a2, a_dm.id, "unread for a0").await;

    // The same numeric ids, provisioned in B; a0's twin is even an admin there.
    for (user, role) in [
        (a0.user(), AccountRole::Admin),
        (a2.user(), AccountRole::Agent),
    ] {
        w.chat
            .provision_user(ACC_B, user, None, role, true)
            .await
            .unwrap();
    }
    let twin = w
        .chat
        .enter(Identity {
            account: ACC_B,
            user: a0.user(),
            role: AccountRole::Admin,
            name: None,
        })
        .await
        .unwrap();
    let a_before = w.snapshot(ACC_A, &w.a.users()).await;

    assert!(w
        .chat
        .list_rooms(&twin, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    let unread = w.chat.unread(&twin).await.unwrap();
    assert_eq!((unread.total, unread.rooms.len()), (0, 0));
    everything_not_found(&w, &twin, room.id, m1.id, a2.user(), "twin").await;
    let audit = w
        .chat
        .list_audit(&twin, &Default::default(), None, Some(100))
        .await
        .unwrap();
    // Only the fixture's provisioning of B's users (the service's, no actor).
    assert!(
        audit
            .items
            .iter()
            .all(|e| e.actor_id.is_none() && e.account_id == twin.account()),
        "B has no user action in its audit yet: {:?}",
        audit.items
    );

    // A DM between the same pair of ids in B is a new B room, not A's DM.
    let (b_dm, created) = w.chat.create_room(&twin, dm_with(a2.user())).await.unwrap();
    assert!(
        created,
        "the DM of the same ids in A must not be found from B"
    );
    assert_ne!(b_dm.id, a_dm.id);
    assert_eq!(b_dm.account_id, ACC_B);
    // The same client_id in B is a different key space.
    let keyed = NewMessage {
        client_id: Some("same-key".into()),
        ..text("mine in B")
    };
    let (m, created) = w.chat.send_message(&twin, b_dm.id, keyed).await.unwrap();
    assert!(created);
    assert_ne!(m.id, m1.id);
    assert_eq!(a_before, w.snapshot(ACC_A, &w.a.users()).await);
}

/// User ids of another account are unknown here: as members, DM partners, added users or
/// mentions they are a validation error, and nothing is written.
pub async fn isolation_foreign_user_ids_are_invalid(b: TestBackend) {
    let w = world(b).await;
    let (a0, b0) = (&w.a.agents[0], &w.b.agents[0]);
    let b_room = w.room(&w.b.supervisor, "B room", &[b0]).await;
    let before = w.both().await;
    let c = &w.chat;
    let r = c
        .create_room(&w.b.supervisor, team("mixed", &[b0, a0]))
        .await;
    invalid(r, "room with a foreign member");
    invalid(c.create_room(b0, dm_with(a0.user())).await, "foreign DM");
    let r = c
        .add_members(&w.b.supervisor, b_room.id, &[a0.user()], None)
        .await;
    invalid(r, "add a foreign user");
    let r = c
        .send_message(b0, b_room.id, mention("hey", &[a0.user()]))
        .await;
    invalid(r, "mention a foreign user");
    let r = c.remove_member(&w.b.supervisor, b_room.id, a0.user()).await;
    not_found(r, "remove a foreign user");
    assert_eq!(before, w.both().await);
    let members = w.detail(b_room.id, ACC_B).await.unwrap().members;
    assert!(members.iter().all(|m| m.user_id != a0.user()));
    assert!(
        w.detail(b_room.id, ACC_A).await.is_none(),
        "scope by account"
    );
}

/// Same-account agents who are not members get `NotFound` for a room, its messages and
/// its DM, and so does a member after being removed, even for their own old message.
pub async fn isolation_non_members_get_not_found_for_everything(b: TestBackend) {
    let w = world(b).await;
    let (a0, a1, a2) = (&w.a.agents[0], &w.a.agents[1], &w.a.agents[2]);
    let room = w.room(&w.a.supervisor, "closed", &[a0, a1]).await;
    let m0 = w.send(a0, room.id, "from a0").await;
    let m1 = w.send(a1, room.id, "from a1").await;
    let dm = w.dm(a0, a1).await;
    let dm_msg = w.send(a0, dm.id, "private").await;

    let before = w.both().await;
    everything_not_found(&w, a2, room.id, m0.id, a0.user(), "outsider").await;
    everything_not_found(&w, a2, dm.id, dm_msg.id, a0.user(), "outsider on DM").await;
    assert!(w
        .chat
        .list_rooms(a2, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(w.chat.unread(a2).await.unwrap().rooms.len(), 0);
    assert_eq!(before, w.both().await);

    w.chat
        .remove_member(&w.a.supervisor, room.id, a1.user())
        .await
        .unwrap();
    let before = w.both().await;
    everything_not_found(&w, a1, room.id, m1.id, a0.user(), "removed member").await;
    let rooms = w.chat.list_rooms(a1, None, None).await.unwrap();
    assert_eq!(rooms.items.len(), 1, "only the DM is left");
    assert_eq!(rooms.items[0].room.id, dm.id);
    assert_eq!(before, w.both().await);
}
