//! Entitlements (chat enabled, room and member limits) and the user directory (admission,
//! deactivation).

use crate::chat::{Actor, Identity};
use crate::error::ChatError;
use crate::ids::{AccountId, UserId};
use crate::model::{AccountRole, Entitlements};
use crate::testing::fixtures::{
    denied, dm_with, invalid, mention, team, world, World, ACC_A, ACC_B,
};
use crate::testing::TestBackend;

fn id_of(actor: &Actor) -> Identity {
    Identity {
        account: actor.account(),
        user: actor.user(),
        role: actor.role(),
        name: None,
    }
}

async fn limits(w: &World, max_rooms: Option<u32>, max_members: Option<u32>) {
    let e = Entitlements {
        chat_enabled: true,
        max_rooms,
        max_members_per_room: max_members,
    };
    assert_eq!(w.chat.set_entitlements(ACC_A, e).await.unwrap(), e);
    assert_eq!(w.chat.entitlements(ACC_A).await.unwrap(), e);
}

/// `chat_enabled: false` refuses every caller of that account at the door (and records
/// nothing), other accounts are unaffected, and enabling again lets them in.
pub async fn entitlements_disabled_chat_refuses_enter(b: TestBackend) {
    let w = world(b).await;
    let c = &w.chat;
    assert_eq!(
        c.entitlements(AccountId(77)).await.unwrap(),
        Entitlements::default()
    );
    let newcomer = Identity {
        account: ACC_A,
        user: UserId(500),
        role: AccountRole::Agent,
        name: Some("  New  Person ".into()),
    };
    let off = Entitlements {
        chat_enabled: false,
        ..Default::default()
    };
    c.set_entitlements(ACC_A, off).await.unwrap();
    assert_eq!(c.entitlements(ACC_A).await.unwrap(), off);
    for id in [id_of(&w.a.admin), id_of(&w.a.agents[0]), newcomer.clone()] {
        let r = c.enter(id).await;
        assert!(matches!(r, Err(ChatError::EntitlementDenied(_))), "{r:?}");
    }
    assert_eq!(c.directory_entry(ACC_A, UserId(500)).await.unwrap(), None);
    assert!(
        c.enter(id_of(&w.b.agents[0])).await.is_ok(),
        "B is unaffected"
    );

    c.set_entitlements(ACC_A, Entitlements::default())
        .await
        .unwrap();
    let actor = c.enter(newcomer).await.unwrap();
    assert_eq!((actor.account(), actor.user()), (ACC_A, UserId(500)));
    let entry = c
        .directory_entry(ACC_A, UserId(500))
        .await
        .unwrap()
        .unwrap();
    assert!(entry.active);
    assert_eq!(entry.role, AccountRole::Agent);
    assert_eq!(entry.name.as_deref(), Some("New  Person"));
    assert_eq!(c.directory_entry(ACC_B, UserId(500)).await.unwrap(), None);
    let bad = Identity {
        user: UserId(0),
        ..id_of(&w.a.admin)
    };
    assert!(matches!(c.enter(bad).await, Err(ChatError::Unauthorized)));
    // Admission keeps a provisioned name when the token has none, and follows role changes.
    let promoted = Identity {
        role: AccountRole::Supervisor,
        ..id_of(&w.a.agents[1])
    };
    assert_eq!(
        c.enter(promoted).await.unwrap().role(),
        AccountRole::Supervisor
    );
    let entry = c
        .directory_entry(ACC_A, w.a.agents[1].user())
        .await
        .unwrap();
    let entry = entry.unwrap();
    assert_eq!(entry.role, AccountRole::Supervisor);
    assert_eq!(entry.name.as_deref(), Some("user 14"));
    assert!(entry.active);
    // The newcomer is now known, so others may add them.
    let room = w.room(&w.a.supervisor, "with newcomer", &[&actor]).await;
    assert_eq!(c.get_room(&actor, room.id).await.unwrap().members.len(), 2);
}

/// `max_rooms` counts live team rooms only (not DMs, not archived rooms); over it, creation
/// is refused naming the limit and nothing is written.
pub async fn entitlements_max_rooms(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0) = (&w.a.supervisor, &w.a.agents[0]);
    limits(&w, Some(2), None).await;
    let first = w.room(sup, "one", &[a0]).await;
    w.room(&w.a.admin, "two", &[]).await;
    let before = w.both().await;
    denied(
        w.chat.create_room(sup, team("three", &[a0])).await,
        "max_rooms",
    );
    assert_eq!(before, w.both().await);
    let (_, created) = w
        .chat
        .create_room(a0, dm_with(w.a.agents[1].user()))
        .await
        .unwrap();
    assert!(created, "DMs are not counted");
    for i in 0..3 {
        w.room(&w.b.supervisor, &format!("b{i}"), &[]).await;
    }
    w.chat.archive_room(sup, first.id).await.unwrap();
    w.room(sup, "three", &[a0]).await;
    denied(
        w.chat.create_room(sup, team("four", &[])).await,
        "max_rooms",
    );
    limits(&w, None, None).await;
    w.room(sup, "four", &[]).await;
}

/// `max_members_per_room` bounds creation and additions, all or nothing; re-adding
/// existing members of a full room is still a no-op.
pub async fn entitlements_max_members_per_room(b: TestBackend) {
    let w = world(b).await;
    let (sup, ags) = (&w.a.supervisor, &w.a.agents);
    limits(&w, None, Some(3)).await;
    let before = w.both().await;
    let r = w
        .chat
        .create_room(sup, team("big", &[&ags[0], &ags[1], &ags[2]]))
        .await;
    denied(r, "max_members_per_room");
    assert_eq!(before, w.both().await);
    let room = w.room(sup, "small", &[&ags[0]]).await;
    let before = w.both().await;
    let r = w
        .chat
        .add_members(sup, room.id, &[ags[1].user(), ags[2].user()], None)
        .await;
    denied(r, "max_members_per_room");
    assert_eq!(before, w.both().await, "no partial add");
    let full = w
        .chat
        .add_members(sup, room.id, &[ags[1].user()], None)
        .await
        .unwrap();
    assert_eq!(full.items.len(), 3);
    let before = w.both().await;
    denied(
        w.chat
            .add_members(sup, room.id, &[ags[2].user()], None)
            .await,
        "max_members_per_room",
    );
    let same = w
        .chat
        .add_members(sup, room.id, &[ags[0].user()], None)
        .await
        .unwrap();
    assert_eq!(
        same.items, full.items,
        "re-adding a member of a full room is a no-op"
    );
    assert_eq!(before, w.both().await);
    w.chat
        .remove_member(sup, room.id, ags[0].user())
        .await
        .unwrap();
    w.chat
        .add_members(sup, room.id, &[ags[2].user()], None)
        .await
        .unwrap();
    // Other accounts are not limited.
    w.room(
        &w.b.supervisor,
        "b big",
        &[&w.b.agents[0], &w.b.agents[1], &w.b.agents[2]],
    )
    .await;
}

/// A deactivated user cannot enter, be added to rooms, get a DM or be mentioned; their
/// memberships stay; admission never reactivates them; reactivation restores everything.
pub async fn entitlements_deactivated_user(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1, a2) = (
        &w.a.supervisor,
        &w.a.agents[0],
        &w.a.agents[1],
        &w.a.agents[2],
    );
    let c = &w.chat;
    let room = w.room(sup, "has a2", &[a0, a2]).await;
    let other = w.room(sup, "no a2", &[a0]).await;
    c.provision_user(ACC_A, a2.user(), Some("gone"), AccountRole::Agent, false)
        .await
        .unwrap();
    let r = c.enter(id_of(a2)).await;
    assert!(matches!(r, Err(ChatError::UserDeactivated)), "{r:?}");
    let entry = c.directory_entry(ACC_A, a2.user()).await.unwrap().unwrap();
    assert!(!entry.active, "admission never reactivates");

    let before = w.both().await;
    invalid(
        c.add_members(sup, other.id, &[a2.user()], None).await,
        "add",
    );
    invalid(c.create_room(sup, team("new", &[a2])).await, "create with");
    invalid(c.create_room(a1, dm_with(a2.user())).await, "DM with");
    let r = c
        .send_message(a0, room.id, mention("hey", &[a2.user()]))
        .await;
    invalid(r, "mention a deactivated member");
    assert_eq!(before, w.both().await);
    let members = c.get_room(sup, room.id).await.unwrap().members;
    assert!(
        members.iter().any(|m| m.user_id == a2.user()),
        "memberships stay"
    );

    c.provision_user(ACC_A, a2.user(), Some("back"), AccountRole::Agent, true)
        .await
        .unwrap();
    c.enter(id_of(a2)).await.unwrap();
    c.send_message(a0, room.id, mention("hey", &[a2.user()]))
        .await
        .unwrap();
    c.add_members(sup, other.id, &[a2.user()], None)
        .await
        .unwrap();
    assert_eq!(c.unread(a2).await.unwrap().total, 1);
}
