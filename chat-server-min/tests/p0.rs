//! The P0 table: every route (REST, ticket issuance, `/ws`, `/events`, presence,
//! notifications, service API, operations) × {no token, bad signature (wrong key), alg none,
//! expired, `nbf` in the future, other account's token, other account's ids under own path,
//! non-member, agent, supervisor, admin, service token} → expected status; every refused
//! request (reads and stream openings included) leaves the database unchanged, and every
//! allowed managed write leaves its audit entry. A test checks that the table names every
//! route of the server.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::store::AuditFilter;
use chat_core::{
    AccountRole, AuditAction, MessageId, NewMessage, NewRoom, NotificationId, RoomId, RoomType,
    UserId,
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
    /// A notification of `b`'s agent 3 (mentioned in `room_b`).
    notif_b: NotificationId,
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
    let mention = NewMessage {
        content: "secret-of-account-b @3".into(),
        mentions: vec![UserId(3)],
        ..NewMessage::default()
    };
    chat.send_message(&b_admin, room_b, mention).await.unwrap();
    let notif_b = chat
        .list_notifications(&b_agent, false, None, None)
        .await
        .unwrap()
        .items[0]
        .id;
    World {
        a,
        b,
        room,
        theirs,
        mine,
        room_b,
        msg_b,
        notif_b,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    NoToken,
    BadSignature,
    AlgNone,
    Expired,
    NotYetValid,
    OtherAccount,
    OtherIds,
    NonMember,
    Agent,
    Supervisor,
    Admin,
    Service,
}

const WHO: [Who; 12] = [
    Who::NoToken,
    Who::BadSignature,
    Who::AlgNone,
    Who::Expired,
    Who::NotYetValid,
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
            Who::NotYetValid => token_not_yet_valid(a, 1, AccountRole::Admin),
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

#[derive(Debug, Clone, Copy, PartialEq)]
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
    Ticket,
    Ws,
    Events,
    Presence,
    Notifications,
    ReadNotifications,
    Healthz,
    Metrics,
    OpenApi,
    // v1.1
    ListUsers,
    ListUsersInactive,
    GetUser,
    ListAccountRooms,
    Stats,
    AuditExport,
    // The web client: public, tokens ignored.
    EmbedPage,
    AdminPage,
    EmbedJs,
    Asset,
    DevPage,
    DevToken,
}

/// Expected status of `who` on `e`: a token whose `nbf` is in the future is refused like an
/// expired one.
fn expected_for(e: Endpoint, who: Who) -> u16 {
    let i = match who {
        Who::NotYetValid => 3,
        _ => WHO.iter().position(|w| *w == who).unwrap_or(0),
    };
    let i = if i > 4 { i - 1 } else { i };
    expected(e)[i]
}

/// Expected status per persona, in the order of [`WHO`] without `NotYetValid`.
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
        // Realtime: the service token is no user token. `/ws` answers 101 and `/events` 200
        // to anyone of the account (no ids involved).
        Ticket | Presence | Notifications | ReadNotifications => {
            [T, T, T, T, 403, 200, 200, 200, 200, 200, 401]
        }
        Ws => [T, T, T, T, 403, 101, 101, 101, 101, 101, 401],
        Events => [T, T, T, T, 403, 200, 200, 200, 200, 200, 401],
        // The service API takes only the service token; user tokens are 401.
        ProvisionUser | SetEntitlements | GetEntitlements => [T, T, T, T, T, T, T, T, T, T, 200],
        // Operations endpoints need no token and ignore any.
        Healthz | Metrics | OpenApi => [200; 11],
        ListUsers => [T, T, T, T, 403, 200, 200, 200, 200, 200, 401],
        ListUsersInactive => [T, T, T, T, 403, 200, 403, 403, 200, 200, 401],
        // Other ids: user 12 exists only in account b.
        GetUser => [T, T, T, T, 403, 404, 200, 200, 200, 200, 401],
        ListAccountRooms => [T, T, T, T, 403, 200, 403, 403, 200, 200, 401],
        Stats => [T, T, T, T, 403, 200, 403, 403, 200, 200, 401],
        AuditExport => [T, T, T, T, 403, 200, 403, 403, 403, 200, 401],
        // Pages and the host helper need no token and ignore any; a page is served when its
        // file is in web/pages/.
        EmbedPage => [page_status("embed"); 11],
        AdminPage => [page_status("admin"); 11],
        EmbedJs => [200; 11],
        // An asset name that no file hashes to.
        Asset => [404; 11],
        // Dev mode only: this server is not in it.
        DevPage | DevToken => [404; 11],
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
        AuditExport => Some((w.a.to_string(), AuditAction::AuditExported)),
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
        Ticket => (Method::POST, format!("{base}/realtime/ticket"), None),
        Ws => (Method::GET, format!("{base}/ws"), None),
        Events => (Method::GET, format!("{base}/events"), None),
        Presence => (Method::GET, format!("{base}/presence"), None),
        Notifications => (Method::GET, format!("{base}/notifications"), None),
        // Another account's notification id under the own path: ignored, nothing written.
        ReadNotifications => (
            Method::POST,
            format!("{base}/notifications/read"),
            Some(if other {
                json!({"ids": [w.notif_b]})
            } else {
                json!({"all": true})
            }),
        ),
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
        Stats => (Method::GET, format!("{base}/stats?range=month"), None),
        AuditExport => (Method::GET, format!("{base}/audit/export?format=csv"), None),
        EmbedPage => (Method::GET, "/embed".into(), None),
        AdminPage => (Method::GET, "/embed/admin".into(), None),
        EmbedJs => (Method::GET, "/embed.js".into(), None),
        Asset => (Method::GET, "/assets/app.000000000000.js".into(), None),
        DevPage => (Method::GET, "/dev".into(), None),
        DevToken => (
            Method::POST,
            "/dev/token".into(),
            Some(json!({"account_id": 1, "user_id": 1, "role": "admin"})),
        ),
    }
}

const ENDPOINTS: [Endpoint; 40] = [
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
    Endpoint::Ticket,
    Endpoint::Ws,
    Endpoint::Events,
    Endpoint::Presence,
    Endpoint::Notifications,
    Endpoint::ReadNotifications,
    Endpoint::Healthz,
    Endpoint::Metrics,
    Endpoint::OpenApi,
    Endpoint::ListUsers,
    Endpoint::ListUsersInactive,
    Endpoint::GetUser,
    Endpoint::ListAccountRooms,
    Endpoint::Stats,
    Endpoint::AuditExport,
    Endpoint::EmbedPage,
    Endpoint::AdminPage,
    Endpoint::EmbedJs,
    Endpoint::Asset,
    Endpoint::DevPage,
    Endpoint::DevToken,
];

/// `200` when `web/pages/{name}.html` exists (the route serves it), else `404`.
fn page_status(name: &str) -> u16 {
    let file = format!("{}/../web/pages/{name}.html", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&file).exists() {
        200
    } else {
        404
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p0_table() {
    let s = start(config()).await;
    let mut failures = Vec::new();
    let mut covered: Vec<(Method, String)> = Vec::new();
    let mut n = 0;
    for e in ENDPOINTS {
        for who in WHO {
            n += 1;
            let w = world(&s, n).await;
            let want = expected_for(e, who);
            let (method, path, body) = request(e, &w, who);
            let before = s.snapshot();
            let tok = who.token(&w);
            let cell = format!("{e:?} × {who:?}: {method} {path}");
            covered.push((method.clone(), path.clone()));
            // The realtime streams with real clients (a WebSocket handshake, an SSE reader):
            // an accepted one has no `Resp`, a refused one is the usual JSON error.
            let (status, res) = match e {
                Endpoint::Ws => match s.ws(w.a, "", tok.as_deref(), &[]).await {
                    Ok(_ws) => (101, None),
                    Err(res) => (res.status, Some(res)),
                },
                Endpoint::Events => match s.sse(w.a, "", tok.as_deref(), &[]).await {
                    Ok(_sse) => (200, None),
                    Err(res) => (res.status, Some(res)),
                },
                _ => {
                    let res = match body {
                        Some(b) => s.json(method.clone(), &path, tok.as_deref(), b).await,
                        None => {
                            s.send(method.clone(), &path, tok.as_deref(), None, &[])
                                .await
                        }
                    };
                    (res.status, Some(res))
                }
            };
            if status != want {
                let text = res.as_ref().map(Resp::text).unwrap_or_default();
                failures.push(format!("{cell}: got {status} want {want}: {text}"));
                continue;
            }
            let Some(res) = res else {
                continue;
            };
            // Everything is per caller and never stored, but the public host helper
            // (revalidated with its ETag).
            let cache = if e == Endpoint::EmbedJs && res.status == 200 {
                "no-cache"
            } else {
                "no-store"
            };
            assert_eq!(
                res.header("cache-control").as_deref(),
                Some(cache),
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
                assert_eq!(
                    before,
                    s.snapshot(),
                    "{cell}: a refused request changed the database"
                );
            } else {
                if e == Endpoint::ReadNotifications && who == Who::OtherIds {
                    assert_eq!(res.json()["updated"], 0, "{cell}");
                    assert_eq!(
                        before,
                        s.snapshot(),
                        "{cell}: another account's notification was touched"
                    );
                }
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
    // Every route of the server is in the table (a new route needs its row).
    for (method, template) in chat_server_min::routes::list() {
        assert!(
            covered
                .iter()
                .any(|(m, path)| m.as_str() == method && matches_template(template, path)),
            "{method} {template} is not in the P0 table"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    s.stop().await;
}

/// Whether `path` is an instance of a route `template` (`{name}` matches one segment).
fn matches_template(template: &str, path: &str) -> bool {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}
