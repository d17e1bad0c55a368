//! The two store guarantees the facade relies on but cannot exercise deterministically
//! (they matter when facts change between a decision and its write): stale preconditions
//! fail closed, and a write never touches another account's rows. These checks build
//! [`Write`]s directly, as the facade does, and use the raw store.

use serde_json::json;

use crate::chat::NewMessage;
use crate::error::ChatError;
use crate::ids::{AccountId, AuditId, MessageId, RoomId, Timestamp, UserId};
use crate::model::{AuditAction, AuditEntry, Message, MessageType, Room, RoomRole, RoomType};
use crate::store::{
    Applied, AuditFilter, AuditScope, MemberScope, Op, Precondition, RoomScope, StoreError,
    UserScope, Window, Write,
};
use crate::testing::fixtures::{text, world, ACC_A, ACC_B};
use crate::testing::TestBackend;

fn entry(account: AccountId, actor: UserId, target: String) -> AuditEntry {
    AuditEntry {
        id: AuditId::new(),
        account_id: account,
        actor_id: Some(actor),
        action: AuditAction::RoomUpdated,
        target_id: target,
        metadata: json!({}),
        created_at: Timestamp::now(),
    }
}

fn message(account: AccountId, room: RoomId, sender: UserId, key: Option<&str>) -> Message {
    Message {
        id: MessageId::new(),
        room_id: room,
        account_id: account,
        sender_id: sender,
        content: Some("raw".into()),
        message_type: MessageType::Text,
        mentions: vec![],
        client_id: key.map(str::to_owned),
        seq: 0,
        created_at: Timestamp::now(),
        edited_at: None,
        deleted_at: None,
    }
}

fn new_room(account: AccountId, kind: RoomType, by: UserId) -> Room {
    let now = Timestamp::now();
    Room {
        id: RoomId::new(),
        account_id: account,
        kind,
        name: (kind == RoomType::Room).then(|| "raw".to_owned()),
        created_by: by,
        created_at: now,
        updated_at: now,
        last_message_at: None,
        last_seq: 0,
    }
}

/// A write whose precondition no longer holds is `Conflict`, with neither its op nor its
/// audit entries applied; with every precondition true the same kind of write applies.
pub async fn store_preconditions_fail_closed(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "facts", &[a0, a1]).await;
    let dm = w.dm(a0, a1).await;
    let m = w.send(a0, room.id, "m").await;
    w.chat
        .send_message(
            a0,
            room.id,
            NewMessage {
                client_id: Some("used".into()),
                ..text("keyed")
            },
        )
        .await
        .unwrap();
    let gone = w.send(a0, room.id, "gone").await;
    w.chat.delete_message(a0, gone.id).await.unwrap();
    let (r, u) = (room.id, a1.user());
    let rename = || Op::RenameRoom {
        room: r,
        name: "stale".into(),
        at: Timestamp::now(),
    };
    let stale: Vec<(Precondition, Op)> = vec![
        (Precondition::RoomLive(RoomId::new()), rename()),
        (
            Precondition::Membership {
                room: r,
                user: u,
                role: Some(RoomRole::Owner),
            },
            rename(),
        ),
        (
            Precondition::Membership {
                room: r,
                user: u,
                role: None,
            },
            rename(),
        ),
        (
            Precondition::Membership {
                room: r,
                user: w.a.agents[2].user(),
                role: Some(RoomRole::Member),
            },
            rename(),
        ),
        (
            Precondition::UsersActive(vec![a0.user(), UserId(999)]),
            rename(),
        ),
        (
            Precondition::NoLiveDm(a0.user().min(u), a0.user().max(u)),
            rename(),
        ),
        (
            Precondition::NoClientId {
                room: r,
                sender: a0.user(),
                client_id: "used".into(),
            },
            Op::SendMessage(message(ACC_A, r, a0.user(), Some("used"))),
        ),
        (Precondition::LiveTeamRoomsBelow(1), rename()),
        (Precondition::MembersAtMost { room: r, max: 2 }, rename()),
        (Precondition::MessageLive(gone.id), rename()),
        (Precondition::MessageLive(MessageId::new()), rename()),
    ];
    let before = w.both().await;
    for (p, op) in stale {
        let write =
            Write::new(ACC_A, op)
                .expect(p.clone())
                .audit(entry(ACC_A, sup.user(), r.to_string()));
        let res = w.backend.store.apply(write).await;
        assert!(
            matches!(res, Err(StoreError::Conflict(_))),
            "{p:?}: {res:?}"
        );
    }
    // Facts of account A do not hold for a write of account B.
    let foreign = [
        Precondition::RoomLive(r),
        Precondition::Membership {
            room: r,
            user: u,
            role: Some(RoomRole::Member),
        },
        Precondition::UsersActive(vec![u]),
        Precondition::MessageLive(m.id),
    ];
    for p in foreign {
        let write = Write::new(ACC_B, rename()).expect(p.clone());
        let res = w.backend.store.apply(write).await;
        assert!(
            matches!(res, Err(StoreError::Conflict(_))),
            "B with {p:?}: {res:?}"
        );
    }
    assert_eq!(before, w.both().await, "a failed precondition wrote");

    let holds = vec![
        Precondition::RoomLive(r),
        Precondition::Membership {
            room: r,
            user: u,
            role: Some(RoomRole::Member),
        },
        Precondition::Membership {
            room: r,
            user: w.a.agents[2].user(),
            role: None,
        },
        Precondition::UsersActive(vec![a0.user(), u]),
        Precondition::NoClientId {
            room: r,
            sender: a1.user(),
            client_id: "used".into(),
        },
        Precondition::LiveTeamRoomsBelow(2),
        Precondition::MembersAtMost { room: r, max: 3 },
        Precondition::MessageLive(m.id),
    ];
    let mut write = Write::new(ACC_A, rename()).audit(entry(ACC_A, sup.user(), r.to_string()));
    for p in holds {
        write = write.expect(p);
    }
    w.backend.store.apply(write).await.unwrap();
    let detail = w.detail(r, ACC_A).await.unwrap();
    assert_eq!(detail.room.name.as_deref(), Some("stale"));
    assert_eq!(w.audit(ACC_A).await.len(), before.0.audit.len() + 1);
    // The live DM blocks a second one for the pair, but not in another account.
    let pair = (a0.user().min(u), a0.user().max(u));
    let dm2 = new_room(ACC_B, RoomType::Dm, a0.user());
    let op = Op::CreateRoom {
        room: dm2.clone(),
        dm_pair: Some(pair),
        members: vec![(pair.0, RoomRole::Member), (pair.1, RoomRole::Member)],
    };
    let write = Write::new(ACC_B, op).expect(Precondition::NoLiveDm(pair.0, pair.1));
    w.backend.store.apply(write).await.unwrap();
    assert_eq!(
        w.backend.store.find_dm(ACC_B, pair).await.unwrap(),
        Some(dm2.id)
    );
    assert_eq!(
        w.backend.store.find_dm(ACC_A, pair).await.unwrap(),
        Some(dm.id)
    );
}

/// A write of account B naming rows of account A (as a forged or buggy caller might)
/// changes nothing in A, whether the backend answers with an error or a no-op.
pub async fn store_writes_are_tenant_scoped(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "A", &[a0, a1]).await;
    let m = w.send(a0, room.id, "A's").await;
    w.send(a1, room.id, "unread for a0").await;
    let r = room.id;
    let b0 = w.b.agents[0].user();
    let now = Timestamp::now();
    let ops = vec![
        Op::RenameRoom {
            room: r,
            name: "B was here".into(),
            at: now,
        },
        Op::ArchiveRoom { room: r, at: now },
        Op::AddMembers {
            room: r,
            members: vec![(b0, RoomRole::Owner)],
            at: now,
        },
        Op::RemoveMember {
            room: r,
            user: a1.user(),
        },
        Op::SendMessage(message(ACC_A, r, a0.user(), None)),
        Op::EditMessage {
            message: m.id,
            content: "B edit".into(),
            at: now,
        },
        Op::DeleteMessage {
            message: m.id,
            at: now,
        },
        Op::MarkRead {
            room: r,
            user: a0.user(),
            up_to: None,
            at: now,
        },
    ];
    let before = w.snapshot(ACC_A, &w.a.users()).await;
    for op in ops {
        let what = format!("{op:?}");
        let res = w.backend.store.apply(Write::new(ACC_B, op)).await;
        assert!(
            !matches!(
                res.as_ref().map(|c| &c.applied),
                Ok(Applied::Message(_) | Applied::Read(_))
            ),
            "{what} with account B on A's rows produced {res:?}"
        );
        assert_eq!(
            before,
            w.snapshot(ACC_A, &w.a.users()).await,
            "{what} reached account A"
        );
    }
    assert!(w.detail(r, ACC_B).await.is_none());
}

/// Reads through a scope fail closed: a member scope of a user who is no longer a member
/// reads no messages, and scopes of another account find nothing.
pub async fn store_reads_are_scoped(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "scoped", &[a0, a1]).await;
    let keyed = NewMessage {
        client_id: Some("k".into()),
        ..text("keyed")
    };
    let (m, _) = w.chat.send_message(a1, room.id, keyed).await.unwrap();
    let store = &w.backend.store;
    let stale = MemberScope::new(ACC_A, room.id, a1.user());
    assert_eq!(
        store
            .list_messages(&stale, Window::Before(None), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    let listed = store
        .list_messages(&stale, Window::Before(None), 10)
        .await
        .unwrap();
    assert!(listed.is_empty(), "a removed member's scope reads nothing");
    let outsider = MemberScope::new(ACC_A, room.id, w.a.agents[2].user());
    assert!(store
        .list_messages(&outsider, Window::Before(None), 10)
        .await
        .unwrap()
        .is_empty());

    let foreign = MemberScope::new(ACC_B, room.id, a0.user());
    assert!(store
        .list_messages(&foreign, Window::Before(None), 10)
        .await
        .unwrap()
        .is_empty());
    let foreign_sender = MemberScope::new(ACC_B, room.id, a1.user());
    let found = store
        .message_by_client_id(&foreign_sender, "k")
        .await
        .unwrap();
    assert_eq!(found, None);
    let scope = RoomScope::new(ACC_B, room.id);
    assert_eq!(store.room_detail(&scope).await.unwrap(), None);
    assert_eq!(
        store.room_access(ACC_B, room.id, a0.user()).await.unwrap(),
        None
    );
    assert_eq!(
        store.message_access(ACC_B, m.id, a1.user()).await.unwrap(),
        None
    );
    assert!(store
        .list_rooms(&UserScope::new(ACC_B, a0.user()), None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .unread(&UserScope::new(ACC_B, a0.user()))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .directory(ACC_B, &[a0.user()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.live_team_rooms(ACC_B).await.unwrap(), 0);
    let audit = store
        .list_audit(&AuditScope::new(ACC_B), &AuditFilter::default(), None, 10)
        .await
        .unwrap();
    // Only B's own provisioning (the service's, no actor): nothing of A's.
    assert!(
        audit
            .iter()
            .all(|e| e.account_id == ACC_B && e.actor_id.is_none()),
        "{audit:?}"
    );
}

/// [`ChatStore::list_messages_decided`](crate::store::ChatStore::list_messages_decided): `decide` sees the
/// room access as `room_access` reads it (nothing of another account), its refusal comes back
/// as is, and a granted scope reads what `list_messages` reads — nothing once the membership
/// is gone.
pub async fn store_list_messages_decided_reads_after_the_decision(b: TestBackend) {
    use std::sync::{Arc, Mutex};

    use crate::store::{DecideMember, RoomAccess};

    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "decided", &[a0, a1]).await;
    for i in 0..3 {
        w.chat
            .send_message(a0, room.id, text(&format!("m{i}")))
            .await
            .unwrap();
    }
    let store = &w.backend.store;
    // A decision that records what it was shown and grants `grant`, or refuses.
    let seen: Arc<Mutex<Vec<Option<RoomAccess>>>> = Arc::default();
    let deciding = |grant: Option<MemberScope>| -> DecideMember {
        let seen = seen.clone();
        Box::new(move |access| {
            seen.lock().unwrap().push(access);
            grant.ok_or(ChatError::Forbidden("refused by the test"))
        })
    };
    let scope = MemberScope::new(ACC_A, room.id, a1.user());
    let direct = store
        .list_messages(&scope, Window::Before(None), 2)
        .await
        .unwrap();
    let decided = store
        .list_messages_decided(
            ACC_A,
            room.id,
            a1.user(),
            deciding(Some(scope.clone())),
            Window::Before(None),
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        decided, direct,
        "a granted scope reads what list_messages reads"
    );
    assert_eq!(decided.len(), 2);
    let shown = seen.lock().unwrap().pop().flatten().expect("the live room");
    assert_eq!(
        Some(shown),
        store.room_access(ACC_A, room.id, a1.user()).await.unwrap()
    );

    let refused = store
        .list_messages_decided(
            ACC_A,
            room.id,
            a1.user(),
            deciding(None),
            Window::Before(None),
            2,
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Refused(ChatError::Forbidden(
                "refused by the test"
            )))
        ),
        "{refused:?}"
    );

    // Another account's view of the room: no access to decide on.
    let _ = store
        .list_messages_decided(
            ACC_B,
            room.id,
            a0.user(),
            deciding(None),
            Window::Before(None),
            2,
        )
        .await;
    assert_eq!(
        seen.lock().unwrap().pop(),
        Some(None),
        "account B sees no room"
    );

    // The page is read with the scope the decision grants, not one the backend makes up
    // from its arguments: granted another member's scope of another room, it reads that.
    let other = w.room(sup, "other", &[a0]).await;
    w.chat
        .send_message(a0, other.id, text("elsewhere"))
        .await
        .unwrap();
    let theirs = MemberScope::new(ACC_A, other.id, a0.user());
    let granted = store
        .list_messages_decided(
            ACC_A,
            room.id,
            a1.user(),
            deciding(Some(theirs.clone())),
            Window::Before(None),
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        granted,
        store
            .list_messages(&theirs, Window::Before(None), 2)
            .await
            .unwrap()
    );
    assert_eq!(granted.len(), 1, "the other room's one message");

    // Granted, but the membership is gone by the time of the read: nothing.
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    let stale = store
        .list_messages_decided(
            ACC_A,
            room.id,
            a1.user(),
            deciding(Some(scope)),
            Window::Before(None),
            2,
        )
        .await
        .unwrap();
    assert!(stale.is_empty(), "a removed member's scope reads nothing");
}

/// [`ChatStore::room_detail_decided`](crate::store::ChatStore::room_detail_decided): `decide`
/// sees the room access as `room_access` reads it (nothing of another account), its refusal
/// comes back as is, and the detail is read with the scope it grants — not one made from the
/// arguments.
pub async fn store_room_detail_decided_reads_after_the_decision(b: TestBackend) {
    use std::sync::{Arc, Mutex};

    use crate::store::{DecideRoom, RoomAccess};

    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "detailed", &[a0, a1]).await;
    let other = w.room(sup, "other", &[a0]).await;
    let store = &w.backend.store;
    let seen: Arc<Mutex<Vec<Option<RoomAccess>>>> = Arc::default();
    let deciding = |grant: Option<RoomScope>| -> DecideRoom {
        let seen = seen.clone();
        Box::new(move |access| {
            seen.lock().unwrap().push(access);
            grant.ok_or(ChatError::Forbidden("refused by the test"))
        })
    };
    let scope = RoomScope::new(ACC_A, room.id);
    let decided = store
        .room_detail_decided(ACC_A, room.id, a1.user(), deciding(Some(scope.clone())))
        .await
        .unwrap();
    assert_eq!(decided, store.room_detail(&scope).await.unwrap());
    assert_eq!(decided.map(|d| d.members.len()), Some(3));
    let shown = seen.lock().unwrap().pop().flatten().expect("the live room");
    assert_eq!(
        Some(shown),
        store.room_access(ACC_A, room.id, a1.user()).await.unwrap()
    );

    let refused = store
        .room_detail_decided(ACC_A, room.id, a1.user(), deciding(None))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Refused(ChatError::Forbidden(
                "refused by the test"
            )))
        ),
        "{refused:?}"
    );
    let _ = store
        .room_detail_decided(ACC_B, room.id, a0.user(), deciding(None))
        .await;
    assert_eq!(
        seen.lock().unwrap().pop(),
        Some(None),
        "account B sees no room"
    );

    let theirs = RoomScope::new(ACC_A, other.id);
    let granted = store
        .room_detail_decided(ACC_A, room.id, a1.user(), deciding(Some(theirs.clone())))
        .await
        .unwrap();
    assert_eq!(granted, store.room_detail(&theirs).await.unwrap());
    assert_eq!(granted.map(|d| d.room.id), Some(other.id));

    // Granted for an archived room: nothing to read.
    w.chat.archive_room(sup, room.id).await.unwrap();
    let gone = store
        .room_detail_decided(ACC_A, room.id, a1.user(), deciding(Some(scope)))
        .await
        .unwrap();
    assert_eq!(gone, None, "an archived room has no detail");
}
