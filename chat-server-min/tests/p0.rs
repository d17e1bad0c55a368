//! The P0 table: every endpoint × {no token, bad signature, alg none, expired, other
//! account's token, other account's ids under own path, non-member, agent, supervisor, admin,
//! service token} → expected status; every refused write leaves the database unchanged, and
//! every allowed managed write leaves its audit entry.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::store::AuditFilter;
use chat_core::{
    AccountRole, AuditAction, MessageId, NewMessage, NewRoom, RoomId, RoomType, UserId,
};
use common::*;
use http::Method;
use serde_json::json;

/// One cell's world, in two fresh accounts `a` (own) and `b` (other).
struct World {
    a: i64,
    b: i64,
    /// Team room of `a`: owner admin 6, members agents 3 and 4.
    room: RoomId,
    /// A message of agent 4 in `room`.
    theirs: MessageId,
    /// A message of agent 3 in `room`.
    mine: MessageId,
    /// Room of `b` (admin 1 owner, agent 3 member) and a message in it.
    room_b: RoomId,
    msg_b: MessageId,
}

async fn world(s: &Server, n: i64) -> World {
    let (a, b) = (1000 + 2 * n, 1001 + 2 * n);
    let chat = &s.chat;
    let _admin = user(chat, a, 1, AccountRole::Admin).await;
    let _sup = user(chat, a, 2, AccountRole::Supervisor).await;
    let agent3 = user(chat, a, 3, AccountRole::Agent).await;
    let agent4 = user(chat, a, 4, AccountRole::Agent).await;
    let _outsider = user(chat, a, 5, AccountRole::Agent).await;
    let owner = user(chat, a, 6, AccountRole::Admin).await;
    let b_admin = user(chat, b, 1, AccountRole::Admin).await;
    let b_agent = user(chat, b, 3, AccountRole::Agent).await;
    let _b_only = user(chat, b, 12, AccountRole::Agent).await;
    let new_room = |members: Vec<i64>| NewRoom {
        kind: RoomType::Room,
        name: Some("Support".into()),
        member_ids: members.into_iter().map(UserId).collect(),
    };
    let msg = |text: &str| NewMessage {
        content: text.into(),
        ..NewMessage::default()
    };
    let room = chat
        .create_room(&owner, new_room(vec![3, 4]))
        .await
        .unwrap()
        .0
        .id;
    let theirs = chat
        .send_message(&agent4, room, msg("from 4"))
        .await
        .unwrap()
        .0
        .id;
    let mine = chat
        .send_message(&agent3, room, msg("from 3"))
        .await
        .unwrap()
        .0
        .id;
    let room_b = chat
        .create_room(&b_admin, new_room(vec![3]))
        .await
        .unwrap()
        .0
        .id;
    let msg_b = chat
        .send_message(&b_agent, room_b, msg("secret-of-account-b"))
        .await
        .unwrap()
        .0
        .id;
    World {
        a,
        b,
        room,
        theirs,
        mine,
        room_b,
        msg_b,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    NoToken,
    BadSignature,
    AlgNone,
    Expired,
    OtherAccount,
    OtherIds,
    NonMember,
    Agent,
    Supervisor,
    Admin,
    Service,
}

const WHO: [Who; 11] = [
    Who::NoToken,
    Who::BadSignature,
    Who::AlgNone,
    Who::Expired,
    Who::OtherAccount,
    Who::OtherIds,
    Who::NonMember,
    Who::Agent,
    Who::Supervisor,
    Who::Admin,
    Who::Service,
];

impl Who {
    /// The token this persona presents for account `w.a`.
    fn token(self, w: &World) -> Option<String> {
        let a = w.a;
        Some(match self {
            Who::NoToken => return None,
            Who::BadSignature => token_bad_signature(a, 3, AccountRole::Agent),
            Who::AlgNone => token_alg_none(a, 1, AccountRole::Admin),
            Who::Expired => token_expired(a, 1, AccountRole::Admin),
            // Account b's admin on account a's paths.
            Who::OtherAccount => token(w.b, 1, AccountRole::Admin),
            // Account a's admin (the strongest role) naming account b's ids.
            Who::OtherIds => token(a, 1, AccountRole::Admin),
            Who::NonMember => token(a, 5, AccountRole::Agent),
            Who::Agent => token(a, 3, AccountRole::Agent),
            Who::Supervisor => token(a, 2, AccountRole::Supervisor),
            Who::Admin => token(a, 1, AccountRole::Admin),
            Who::Service => SERVICE_TOKEN.to_owned(),
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    ListRooms,
    CreateRoom,
    CreateDm,
    GetRoom,
    RenameRoom,
    ArchiveRoom,
    AddMembers,
    RemoveMember,
    ListMessages,
    SendMessage,
    EditTheirs,
    EditMine,
    DeleteMessage,
    MarkRead,
    Unread,
    Audit,
    ProvisionUser,
    SetEntitlements,
    GetEntitlements,
    Healthz,
    Metrics,
    OpenApi,
    // v1.1
    ListUsers,
    ListUsersInactive,
    GetUser,
    ListAccountRooms,
}

/// Expected status per persona, in the order of [`WHO`].
fn expected(e: Endpoint) -> [u16; 11] {
    use Endpoint::*;
    const T: u16 = 401; // no token, bad signature, alg none, expired
                        //                           other-acct ids non-mem agent sup  admin service
    match e {
        ListRooms => [T, T, T, T, 403, 200, 200, 200, 200, 200, 401],
        CreateRoom => [T, T, T, T, 403, 422, 403, 403, 201, 201, 401],
        CreateDm => [T, T, T, T, 403, 422, 201, 201, 201, 201, 401],
        GetRoom => [T, T, T, T, 403, 404, 404, 200, 200, 200, 401],
        RenameRoom => [T, T, T, T, 403, 404, 404, 403, 200, 200, 401],
        ArchiveRoom => [T, T, T, T, 403, 404, 404, 403, 204, 204, 401],
        AddMembers => [T, T, T, T, 403, 404, 404, 403, 200, 200, 401],
        RemoveMember => [T, T, T, T, 403, 404, 404, 403, 204, 204, 401],
        ListMessages => [T, T, T, T, 403, 404, 404, 200, 403, 403, 401],
        SendMessage => [T, T, T, T, 403, 404, 404, 201, 403, 403, 401],
        EditTheirs => [T, T, T, T, 403, 404, 404, 403, 403, 403, 401],
        EditMine => [T, T, T, T, 403, 404, 404, 200, 403, 403, 401],
        DeleteMessage => [T, T, T, T, 403, 404, 404, 403, 204, 204, 401],
        MarkRead => [T, T, T, T, 403, 404, 404, 200, 403, 403, 401],
        Unread => [T, T, T, T, 403, 200, 200, 200, 200, 200, 401],
        Audit => [T, T, T, T, 403, 200, 403, 403, 403, 200, 401],
        // The service API takes only the service token; user tokens are 401.
        ProvisionUser | SetEntitlements | GetEntitlements => [T, T, T, T, T, T, T, T, T, T, 200],
        // Operations endpoints need no token and ignore any.
        Healthz | Metrics | OpenApi => [200; 11],
        ListUsers => [T, T, T, T, 403, 200, 200, 200, 200, 200, 401],
        ListUsersInactive => [T, T, T, T, 403, 200, 403, 403, 200, 200, 401],
        // Other ids: user 12 exists only in account b.
        GetUser => [T, T, T, T, 403, 404, 200, 200, 200, 200, 401],
        ListAccountRooms => [T, T, T, T, 403, 200, 403, 403, 200, 200, 401],
    }
}

/// The audit action an allowed call must leave behind (target id, action).
fn audited(e: Endpoint, w: &World) -> Option<(String, AuditAction)> {
    use Endpoint::*;
    match e {
        RenameRoom => Some((w.room.to_string(), AuditAction::RoomUpdated)),
        ArchiveRoom => Some((w.room.to_string(), AuditAction::RoomDeleted)),
        AddMembers => Some(("5".into(), AuditAction::MemberAdded)),
        RemoveMember => Some(("4".into(), AuditAction::MemberRemoved)),
        EditMine => Some((w.mine.to_string(), AuditAction::MessageEdited)),
        DeleteMessage => Some((w.theirs.to_string(), AuditAction::MessageDeleted)),
        _ => None,
    }
}

fn request(e: Endpoint, w: &World, who: Who) -> (Method, String, Option<serde_json::Value>) {
    use Endpoint::*;
    let other = who == Who::OtherIds;
    let base = format!("/api/v1/accounts/{}/chat", w.a);
    let room = if other { w.room_b } else { w.room };
    let (theirs, mine) = if other {
        (w.msg_b, w.msg_b)
    } else {
        (w.theirs, w.mine)
    };
    // User 12 exists only in account b.
    let member = if other { 12 } else { 3 };
    let dm_peer = if other { 12 } else { 4 };
    match e {
        ListRooms => (Method::GET, format!("{base}/rooms"), None),
        CreateRoom => (
            Method::POST,
            format!("{base}/rooms"),
            Some(json!({"type": "room", "name": "New", "member_ids": [member]})),
        ),
        CreateDm => (
            Method::POST,
            format!("{base}/rooms"),
            Some(json!({"type": "dm", "member_ids": [dm_peer]})),
        ),
        GetRoom => (Method::GET, format!("{base}/rooms/{room}"), None),
        RenameRoom => (
            Method::PATCH,
            format!("{base}/rooms/{room}"),
            Some(json!({"name": "Renamed"})),
        ),
        ArchiveRoom => (Method::DELETE, format!("{base}/rooms/{room}"), None),
        AddMembers => (
            Method::POST,
            format!("{base}/rooms/{room}/members"),
            Some(json!({"user_ids": [if other { 3 } else { 5 }]})),
        ),
        RemoveMember => (
            Method::DELETE,
            format!("{base}/rooms/{room}/members/{}", if other { 3 } else { 4 }),
            None,
        ),
        ListMessages => (Method::GET, format!("{base}/rooms/{room}/messages"), None),
        SendMessage => (
            Method::POST,
            format!("{base}/rooms/{room}/messages"),
            Some(json!({"content": "hello"})),
        ),
        EditTheirs => (
            Method::PATCH,
            format!("{base}/messages/{theirs}"),
            Some(json!({"content": "edited"})),
        ),
        EditMine => (
            Method::PATCH,
            format!("{base}/messages/{mine}"),
            Some(json!({"content": "edited"})),
        ),
        DeleteMessage => (Method::DELETE, format!("{base}/messages/{theirs}"), None),
        MarkRead => (
            Method::POST,
            format!("{base}/rooms/{room}/read"),
            Some(json!({})),
        ),
        Unread => (Method::GET, format!("{base}/unread"), None),
        Audit => (Method::GET, format!("{base}/audit"), None),
        ProvisionUser => (
            Method::PUT,
            format!("{base}/users/{}", if other { 12 } else { 7 }),
            Some(json!({"name": "Seven", "role": "agent", "active": true})),
        ),
        SetEntitlements => (
            Method::PUT,
            format!("{base}/entitlements"),
            Some(json!({"chat_enabled": true, "max_rooms": 10, "max_members_per_room": null})),
        ),
        GetEntitlements => (Method::GET, format!("{base}/entitlements"), None),
        Healthz => (Method::GET, "/healthz".into(), None),
        Metrics => (Method::GET, "/metrics".into(), None),
        OpenApi => (Method::GET, "/api/v1/openapi.json".into(), None),
        ListUsers => (Method::GET, format!("{base}/users?q=u"), None),
        ListUsersInactive => (
            Method::GET,
            format!("{base}/users?include_inactive=true"),
            None,
        ),
        GetUser => (Method::GET, format!("{base}/users/{member}"), None),
        ListAccountRooms => (Method::GET, format!("{base}/rooms?scope=account"), None),
    }
}

const ENDPOINTS: [Endpoint; 26] = [
    Endpoint::ListRooms,
    Endpoint::CreateRoom,
    Endpoint::CreateDm,
    Endpoint::GetRoom,
    Endpoint::RenameRoom,
    Endpoint::ArchiveRoom,
    Endpoint::AddMembers,
    Endpoint::RemoveMember,
    Endpoint::ListMessages,
    Endpoint::SendMessage,
    Endpoint::EditTheirs,
    Endpoint::EditMine,
    Endpoint::DeleteMessage,
    Endpoint::MarkRead,
    Endpoint::Unread,
    Endpoint::Audit,
    Endpoint::ProvisionUser,
    Endpoint::SetEntitlements,
    Endpoint::GetEntitlements,
    Endpoint::Healthz,
    Endpoint::Metrics,
    Endpoint::OpenApi,
    Endpoint::ListUsers,
    Endpoint::ListUsersInactive,
    Endpoint::GetUser,
    Endpoint::ListAccountRooms,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p0_table() {
    let s = start(config()).await;
    let mut failures = Vec::new();
    let mut n = 0;
    for e in ENDPOINTS {
        for (i, who) in WHO.iter().copied().enumerate() {
            n += 1;
            let w = world(&s, n).await;
            let want = expected(e)[i];
            let (method, path, body) = request(e, &w, who);
            let is_write = method != Method::GET;
            let before = s.snapshot();
            let tok = who.token(&w);
            let res = match body {
                Some(b) => s.json(method.clone(), &path, tok.as_deref(), b).await,
                None => {
                    s.send(method.clone(), &path, tok.as_deref(), None, &[])
                        .await
                }
            };
            let cell = format!("{e:?} × {who:?}: {method} {path}");
            if res.status != want {
                failures.push(format!(
                    "{cell}: got {} want {want}: {}",
                    res.status,
                    res.text()
                ));
                continue;
            }
            assert_eq!(
                res.header("cache-control").as_deref(),
                Some("no-store"),
                "{cell}"
            );
            assert_eq!(
                res.header("x-content-type-options").as_deref(),
                Some("nosniff"),
                "{cell}"
            );
            if res.status >= 400 {
                let code = res.error_code();
                let want_code = match res.status {
                    401 => "unauthorized",
                    403 if who == Who::OtherAccount => "account_mismatch",
                    403 => "forbidden",
                    404 => "not_found",
                    422 => "validation_failed",
                    _ => "?",
                };
                assert_eq!(code, want_code, "{cell}");
                if is_write {
                    assert_eq!(
                        before,
                        s.snapshot(),
                        "{cell}: a refused write changed the database"
                    );
                }
            } else {
                // Nothing of account b ever leaks into account a's answers.
                let text = res.text();
                for id in [
                    w.room_b.to_string(),
                    w.msg_b.to_string(),
                    "secret-of-account-b".into(),
                ] {
                    assert!(!text.contains(&id), "{cell}: leaked {id}");
                }
                if let Some((target, action)) = audited(e, &w) {
                    let admin = s
                        .chat
                        .enter(chat_core::Identity {
                            account: chat_core::AccountId(w.a),
                            user: UserId(1),
                            role: AccountRole::Admin,
                            name: None,
                        })
                        .await
                        .unwrap();
                    let filter = AuditFilter {
                        action: Some(action),
                        actor_id: None,
                        target_id: Some(target.clone()),
                        ..AuditFilter::default()
                    };
                    let page = s
                        .chat
                        .list_audit(&admin, &filter, None, None)
                        .await
                        .unwrap();
                    assert_eq!(page.items.len(), 1, "{cell}: audit {action:?} of {target}");
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    s.stop().await;
}
