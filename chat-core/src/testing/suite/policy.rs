//! The whole policy table, driven by [`decide`]: for every combination of facts that can
//! exist for real, the suite builds that state (a fresh account per case, real rooms, roles
//! and messages), performs the action through the facade, and requires the outcome `decide`
//! prescribes; a refused action must leave the account exactly as it was, an allowed write
//! must change it.

use crate::chat::Actor;
use crate::error::{ChatError, Result};
use crate::ids::AccountId;
use crate::model::{AccountRole, RoomRole, RoomType};
use crate::policy::{decide, Action, Decision, Deny, Subject};
use crate::store::AuditFilter;
use crate::testing::fixtures::{dm_with, people, team, text, world, World};
use crate::testing::TestBackend;

/// Whether the facts can be built for real (a DM's members are plain members and cannot
/// leave; one removes oneself with one's own role; a non-member cannot remove themselves).
fn reachable(action: Action, s: &Subject) -> bool {
    let dm = s.room_type == Some(RoomType::Dm);
    if dm && matches!(s.membership, Some(RoomRole::Owner | RoomRole::Moderator)) {
        return false;
    }
    match action {
        Action::RemoveMember if s.own => s.membership.is_some() && s.target_role == s.membership,
        Action::RemoveMember => !dm || s.target_role == Some(RoomRole::Member),
        Action::EditMessage | Action::DeleteMessage => !(dm && s.own && s.membership.is_none()),
        _ => true,
    }
}

/// Every reachable combination of facts for `action`, as in `policy::table()`.
fn cases(action: Action) -> Vec<Subject> {
    crate::policy::subjects(action)
        .into_iter()
        .filter(|s| reachable(action, s))
        .collect()
}

fn is_write(action: Action) -> bool {
    !matches!(
        action,
        Action::ViewAudit
            | Action::ViewRoom
            | Action::ReadMessages
            | Action::MarkRead
            | Action::ViewInactiveUsers
            | Action::ViewAccountRooms
    )
}

/// Builds the state of `s` in a fresh account, performs `action`, checks the outcome.
async fn run_case(w: &World, n: i64, action: Action, s: Subject) {
    let acc = AccountId(1000 + n);
    // The same user ids in every case account: isolation keeps them apart.
    let p = people(&w.chat, acc, 100).await;
    let actor: &Actor = match s.account_role {
        AccountRole::Admin => &p.admin,
        AccountRole::Supervisor => &p.supervisor,
        AccountRole::Agent => &p.agents[0],
    };
    let host = if s.account_role == AccountRole::Admin {
        &p.supervisor
    } else {
        &p.admin
    };
    let (peer, outsider) = (&p.agents[1], &p.agents[2]);
    let c = &w.chat;
    let label = format!("{action:?} {s:?}");

    let mut room = None;
    let mut message = None;
    if let Some(kind) = s.room_type {
        let id = match kind {
            RoomType::Room => {
                let r = w.room(host, "policy", &[]).await;
                let peer_role = match action {
                    Action::RemoveMember if !s.own => s.target_role.unwrap(),
                    _ => RoomRole::Member,
                };
                c.add_members(host, r.id, &[peer.user()], Some(peer_role))
                    .await
                    .unwrap();
                r.id
            }
            RoomType::Dm if s.membership.is_some() => w.dm(peer, actor).await.id,
            RoomType::Dm => w.dm(peer, outsider).await.id,
        };
        let theirs = w.send(peer, id, "theirs").await.id;
        if let (RoomType::Room, Some(role)) = (kind, s.membership) {
            c.add_members(host, id, &[actor.user()], Some(role))
                .await
                .unwrap();
        }
        message = Some(theirs);
        if s.own && matches!(action, Action::EditMessage | Action::DeleteMessage) {
            if s.membership.is_none() {
                // Sent while a member, then removed.
                c.add_members(host, id, &[actor.user()], None)
                    .await
                    .unwrap();
                message = Some(w.send(actor, id, "mine").await.id);
                c.remove_member(host, id, actor.user()).await.unwrap();
            } else {
                message = Some(w.send(actor, id, "mine").await.id);
            }
        }
        let access = w
            .backend
            .store
            .room_access(acc, id, actor.user())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.membership, s.membership, "{label}: setup");
        assert_eq!(access.room.kind, kind, "{label}: setup");
        room = Some(id);
    }

    let before = w.snapshot(acc, &p.users()).await;
    let result: Result<()> = match (action, room, message) {
        (Action::CreateRoom, ..) => c.create_room(actor, team("new", &[peer])).await.map(drop),
        (Action::CreateDm, ..) => c.create_room(actor, dm_with(peer.user())).await.map(drop),
        (Action::ViewAudit, ..) => c
            .list_audit(actor, &AuditFilter::default(), None, None)
            .await
            .map(drop),
        (Action::ViewInactiveUsers, ..) => {
            c.list_users(actor, None, true, None, None).await.map(drop)
        }
        (Action::ViewAccountRooms, ..) => c.list_account_rooms(actor, None, None).await.map(drop),
        (Action::ViewRoom, Some(r), _) => c.get_room(actor, r).await.map(drop),
        (Action::RenameRoom, Some(r), _) => c.rename_room(actor, r, "renamed").await.map(drop),
        (Action::ArchiveRoom, Some(r), _) => c.archive_room(actor, r).await,
        (Action::AddMembers, Some(r), _) => c
            .add_members(actor, r, &[outsider.user()], s.target_role)
            .await
            .map(drop),
        (Action::RemoveMember, Some(r), _) => {
            let target = if s.own { actor.user() } else { peer.user() };
            c.remove_member(actor, r, target).await
        }
        (Action::ReadMessages, Some(r), _) => c.list_messages(actor, r, None, None).await.map(drop),
        (Action::SendMessage, Some(r), _) => c.send_message(actor, r, text("hi")).await.map(drop),
        (Action::MarkRead, Some(r), _) => c.mark_read(actor, r, None).await.map(drop),
        (Action::EditMessage, _, Some(m)) => c.edit_message(actor, m, "edited").await.map(drop),
        (Action::DeleteMessage, _, Some(m)) => c.delete_message(actor, m).await,
        _ => unreachable!("{label}"),
    };
    let after = w.snapshot(acc, &p.users()).await;
    match (decide(action, &s), &result) {
        (Decision::Allow, Ok(())) => {
            if is_write(action) {
                assert_ne!(before, after, "{label}: allowed write changed nothing");
            }
        }
        (Decision::Deny(Deny::NotFound), Err(ChatError::NotFound))
        | (Decision::Deny(Deny::Forbidden(_)), Err(ChatError::Forbidden(_)))
        | (Decision::Deny(Deny::Invalid(..)), Err(ChatError::Validation(_))) => {
            assert_eq!(before, after, "{label}: refused action changed state");
        }
        (d, r) => panic!("{label}: policy says {d:?}, facade answered {r:?}"),
    }
}

async fn run_actions(b: TestBackend, actions: &[Action]) {
    let w = world(b).await;
    let mut n = 0;
    for &action in actions {
        let cases = cases(action);
        assert!(!cases.is_empty());
        for s in cases {
            n += 1;
            run_case(&w, n, action, s).await;
        }
    }
}

/// Creating rooms and DMs and reading the audit log, by account role.
pub async fn policy_table_account_actions(b: TestBackend) {
    run_actions(
        b,
        &[
            Action::CreateRoom,
            Action::CreateDm,
            Action::ViewAudit,
            Action::ViewInactiveUsers,
            Action::ViewAccountRooms,
        ],
    )
    .await;
}

/// Viewing, renaming and archiving rooms and DMs.
pub async fn policy_table_room_actions(b: TestBackend) {
    run_actions(
        b,
        &[Action::ViewRoom, Action::RenameRoom, Action::ArchiveRoom],
    )
    .await;
}

/// Adding members with each role, removing members of each role, leaving.
pub async fn policy_table_member_actions(b: TestBackend) {
    run_actions(b, &[Action::AddMembers, Action::RemoveMember]).await;
}

/// Reading, sending, marking read, editing and deleting messages.
pub async fn policy_table_message_actions(b: TestBackend) {
    run_actions(
        b,
        &[
            Action::ReadMessages,
            Action::SendMessage,
            Action::MarkRead,
            Action::EditMessage,
            Action::DeleteMessage,
        ],
    )
    .await;
}
