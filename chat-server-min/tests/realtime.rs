//! Realtime, black-box: the real server on 127.0.0.1:0, real WebSocket and SSE clients.
//! Refusals before the upgrade, resume without gaps or duplicates, resync, removal and
//! deactivation, slow consumers, presence, typing, token expiry, notifications.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use chat_core::presence::PresenceConfig;
use chat_core::{AccountRole, Actor, Chat, NewMessage, NewRoom, Room, RoomType, UserId};
use common::live::{frame, Client, Got};
use common::*;
use http::Method;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn realtime_config() -> chat_server_min::Config {
    config()
}

async fn room_with(s: &Server, account: i64, owner: i64, members: &[i64], name: &str) -> String {
    let res = s
        .json(
            Method::POST,
            &format!("{}/rooms", s.base(account)),
            Some(&token(account, owner, AccountRole::Admin)),
            json!({"type": "room", "name": name, "member_ids": members}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn say(
    s: &Server,
    account: i64,
    user: i64,
    role: AccountRole,
    room: &str,
    text: &str,
) -> Value {
    let res = s
        .json(
            Method::POST,
            &format!("{}/rooms/{room}/messages", s.base(account)),
            Some(&token(account, user, role)),
            json!({ "content": text }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn refusals_happen_before_the_upgrade_with_json_errors() {
    let mut config = realtime_config();
    config.realtime.ticket_ttl = Duration::from_millis(300);
    config.realtime.allowed_origins = Some(vec!["https://hub.example".into()]);
    config.realtime.max_connections_per_user = 2;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);

    let refused = |r: Result<common::live::Ws, Resp>| match r {
        Ok(_) => panic!("connection was accepted"),
        Err(res) => res,
    };
    let refused_sse = |r: Result<common::live::Sse, Resp>| match r {
        Ok(_) => panic!("stream was accepted"),
        Err(res) => res,
    };

    // No token, a malformed token, an expired one, a token in the URL.
    for res in [
        refused(s.ws(1, "", None, &[]).await),
        refused(s.ws(1, "", Some("nope"), &[]).await),
        refused(
            s.ws(1, "", Some(&token_expired(1, 3, AccountRole::Agent)), &[])
                .await,
        ),
        refused(s.ws(1, &format!("?token={t3}"), None, &[]).await),
        refused(s.ws(1, &format!("?access_token={t3}"), None, &[]).await),
        refused_sse(s.sse(1, "", None, &[]).await),
    ] {
        assert_eq!(res.status, 401);
        assert_eq!(res.error_code(), "unauthorized");
    }

    // Tickets: unknown, reused, expired.
    let res = refused(s.ws(1, "?ticket=0123abcd", None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized")
    );
    let ticket = s.ticket(1, &t3).await;
    let res = s
        .send(
            Method::POST,
            &format!("{}/realtime/ticket", s.base(1)),
            Some(&t3),
            None,
            &[],
        )
        .await;
    let body = res.json();
    assert_eq!(body["ticket"].as_str().unwrap().len(), 64);
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let ws = s.ws(1, &format!("?ticket={ticket}"), None, &[]).await;
    assert!(ws.is_ok(), "a fresh ticket opens the WebSocket");
    drop(ws);
    let res = refused(s.ws(1, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized"),
        "reused"
    );
    let res = refused_sse(s.sse(1, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(res.status, 401, "reused on the other transport");
    let sse_ticket = s.ticket(1, &t3).await;
    assert!(s
        .sse(1, &format!("?ticket={sse_ticket}"), None, &[])
        .await
        .is_ok());
    let stale = s.ticket(1, &t3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = refused(s.ws(1, &format!("?ticket={stale}"), None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized"),
        "expired"
    );

    // Origin: a foreign one is refused, the allowed one and none at all are accepted.
    let res = refused(
        s.ws(1, "", Some(&t3), &[("origin", "https://evil.example")])
            .await,
    );
    assert_eq!((res.status, res.error_code().as_str()), (403, "forbidden"));
    let ticket = s.ticket(1, &t3).await;
    let res = refused(
        s.ws(
            1,
            &format!("?ticket={ticket}"),
            None,
            &[("origin", "https://evil.example")],
        )
        .await,
    );
    assert_eq!(res.status, 403);
    let res = refused_sse(
        s.sse(1, "", Some(&t3), &[("origin", "https://hub.example.evil")])
            .await,
    );
    assert_eq!(res.status, 403);
    let a = s
        .ws(1, "", Some(&t3), &[("origin", "https://hub.example")])
        .await;
    let b = s.ws(1, "", Some(&t3), &[]).await;
    assert!(a.is_ok() && b.is_ok());

    // The per-user connection limit (2 here), on either transport.
    let res = refused(s.ws(1, "", Some(&t3), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (429, "rate_limited")
    );
    assert!(res.header("retry-after").is_some());
    let res = refused_sse(s.sse(1, "", Some(&t3), &[]).await);
    assert_eq!(res.status, 429);
    drop((a, b));

    // Another account's path, a ticket used on another account.
    user(&s.chat, 1, 4, AccountRole::Agent).await;
    let t4 = token(1, 4, AccountRole::Agent);
    let res = refused(s.ws(2, "", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "account_mismatch")
    );
    let ticket = s.ticket(1, &t4).await;
    let res = refused(s.ws(2, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(res.error_code(), "account_mismatch");

    // A bad resume point, a plain GET (no handshake).
    let res = refused(s.ws(1, "?since=abc", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (422, "validation_failed")
    );
    let res = refused_sse(s.sse(1, "", Some(&t4), &[("last-event-id", "-4")]).await);
    assert_eq!(res.status, 422);
    let res = s.get(&format!("{}/ws", s.base(1)), Some(&t4)).await;
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (426, "upgrade_required")
    );
    assert_eq!(res.header("upgrade").as_deref(), Some("websocket"));

    // A deactivated user, a disabled account.
    let res = s
        .json(
            Method::PUT,
            &format!("{}/users/4", s.base(1)),
            Some(SERVICE_TOKEN),
            json!({"role": "agent", "active": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = refused(s.ws(1, "", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "user_deactivated")
    );
    let res = s
        .json(
            Method::PUT,
            &format!("{}/entitlements", s.base(1)),
            Some(SERVICE_TOKEN),
            json!({"chat_enabled": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = refused_sse(s.sse(1, "", Some(&t3), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "entitlement_denied")
    );
    s.stop().await;
}

/// The value of one metric line (`name{labels}`), 0 when absent.
async fn metric(s: &Server, series: &str) -> f64 {
    let text = s.get("/metrics", None).await.text();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// A tiny deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// What identifies an event for comparison: its type, room and the resource it is about.
type Key = (String, String, String);

fn key(v: &Value) -> Key {
    let t = v["type"].as_str().unwrap().to_owned();
    let room = v["room_id"].as_str().unwrap_or_default().to_owned();
    let d = &v["data"];
    let about = match t.as_str() {
        "message.created" | "message.updated" | "message.deleted" => d["id"].to_string(),
        "notification.created" => format!("{}:{}", d["message_id"], d["kind"]),
        "member.added" => d["member"]["user_id"].to_string(),
        "member.removed" => d["user_id"].to_string(),
        "room.created" => d["name"].to_string(),
        _ => String::new(),
    };
    (t, room, about)
}

struct ModelRoom {
    id: String,
    members: Vec<i64>,
    /// Removable by the admin (joined as plain members).
    plain: Vec<i64>,
    dm: bool,
}

struct ModelMessage {
    id: String,
    room: usize,
    sender: i64,
    deleted: bool,
}

fn role_of(user: i64) -> AccountRole {
    match user {
        1 => AccountRole::Admin,
        2 => AccountRole::Supervisor,
        _ => AccountRole::Agent,
    }
}

/// Two accounts × four rooms (one a DM) × six users, every user connected (WS or SSE, one
/// user on both), random actions over HTTP: each client receives exactly the events the
/// rules give its user — in order, nothing missing, nothing extra, nothing from the other
/// account (the same user ids exist in both).
#[tokio::test]
async fn random_actions_reach_exactly_the_allowed_clients() {
    let s = start(realtime_config()).await;
    let users: Vec<i64> = (1..=6).collect();
    let mut models = Vec::new();
    for account in [1, 2] {
        for &u in &users {
            user(&s.chat, account, u, role_of(u)).await;
        }
        let mut rooms = Vec::new();
        for (name, members) in [
            ("R0", vec![2, 3, 4]),
            ("R1", vec![3, 5]),
            ("R2", vec![4, 5, 6]),
        ] {
            let id = room_with(&s, account, 1, &members, name).await;
            let mut all = vec![1];
            all.extend(&members);
            rooms.push(ModelRoom {
                id,
                members: all,
                plain: members,
                dm: false,
            });
        }
        let dm = s
            .json(
                Method::POST,
                &format!("{}/rooms", s.base(account)),
                Some(&token(account, 3, AccountRole::Agent)),
                json!({"type": "dm", "member_ids": [4]}),
            )
            .await;
        assert_eq!(dm.status, 201);
        rooms.push(ModelRoom {
            id: dm.json()["id"].as_str().unwrap().to_owned(),
            members: vec![3, 4],
            plain: vec![],
            dm: true,
        });
        models.push(rooms);
    }

    // Connect everyone: odd users over WS (bearer), even users over SSE (ticket) in account
    // 1 and the other way round in account 2; user 3 of account 1 also has a second device.
    let mut clients: Vec<(i64, i64, Client)> = Vec::new();
    for account in [1, 2] {
        for &u in &users {
            let t = token(account, u, role_of(u));
            let ws = (u % 2 == 1) == (account == 1);
            let client = if ws {
                Client::Ws(s.ws(account, "", Some(&t), &[]).await.unwrap())
            } else {
                let ticket = s.ticket(account, &t).await;
                Client::Sse(
                    s.sse(account, &format!("?ticket={ticket}"), None, &[])
                        .await
                        .unwrap(),
                )
            };
            clients.push((account, u, client));
        }
    }
    let t = token(1, 3, AccountRole::Agent);
    let ticket = s.ticket(1, &t).await;
    clients.push((
        1,
        3,
        Client::Ws(
            s.ws(1, &format!("?ticket={ticket}"), None, &[])
                .await
                .unwrap(),
        ),
    ));

    let mut expected: std::collections::HashMap<(i64, i64), Vec<Key>> =
        std::collections::HashMap::new();
    let mut messages: Vec<Vec<ModelMessage>> = vec![Vec::new(), Vec::new()];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut expect = |account: i64, to: &[i64], k: (String, String, String)| {
        for u in to {
            expected.entry((account, *u)).or_default().push(k.clone());
        }
    };
    for step in 0..120 {
        let a = rng.below(2);
        let account = a as i64 + 1;
        let base = s.base(account);
        let admin = token(account, 1, AccountRole::Admin);
        let rooms = &mut models[a];
        let msgs = &mut messages[a];
        let r = rng.below(rooms.len());
        match rng.below(20) {
            0..=7 => {
                let room = &rooms[r];
                let sender = rng.pick(&room.members);
                let others: Vec<i64> = room
                    .members
                    .iter()
                    .copied()
                    .filter(|m| *m != sender)
                    .collect();
                let mention = (rng.below(3) == 0 && !others.is_empty()).then(|| rng.pick(&others));
                let res = s
                    .json(
                        Method::POST,
                        &format!("{base}/rooms/{}/messages", room.id),
                        Some(&token(account, sender, role_of(sender))),
                        json!({"content": format!("step {step}"), "mentions": mention.into_iter().collect::<Vec<_>>()}),
                    )
                    .await;
                assert_eq!(res.status, 201, "{}", res.text());
                let id = res.json()["id"].to_string();
                expect(
                    account,
                    &room.members,
                    ("message.created".into(), room.id.clone(), id.clone()),
                );
                let mut notified = Vec::new();
                if let Some(m) = mention {
                    notified.push((m, "mention"));
                }
                if room.dm {
                    for &p in &others {
                        if mention != Some(p) {
                            notified.push((p, "dm"));
                        }
                    }
                }
                for (u, kind) in notified {
                    expect(
                        account,
                        &[u],
                        (
                            "notification.created".into(),
                            room.id.clone(),
                            format!("{id}:\"{kind}\""),
                        ),
                    );
                }
                msgs.push(ModelMessage {
                    id: id.trim_matches('"').to_owned(),
                    room: r,
                    sender,
                    deleted: false,
                });
            }
            8..=10 => {
                let live: Vec<usize> = (0..msgs.len())
                    .filter(|&i| {
                        !msgs[i].deleted && rooms[msgs[i].room].members.contains(&msgs[i].sender)
                    })
                    .collect();
                if live.is_empty() {
                    continue;
                }
                let m = &mut msgs[rng.pick(&live)];
                let room = &rooms[m.room];
                let t = token(account, m.sender, role_of(m.sender));
                let path = format!("{base}/messages/{}", m.id);
                let kind = if rng.below(2) == 0 {
                    let res = s
                        .json(
                            Method::PATCH,
                            &path,
                            Some(&t),
                            json!({"content": format!("edit {step}")}),
                        )
                        .await;
                    assert_eq!(res.status, 200, "{}", res.text());
                    "message.updated"
                } else {
                    let res = s.send(Method::DELETE, &path, Some(&t), None, &[]).await;
                    assert_eq!(res.status, 204, "{}", res.text());
                    m.deleted = true;
                    "message.deleted"
                };
                expect(
                    account,
                    &room.members,
                    (kind.into(), room.id.clone(), format!("\"{}\"", m.id)),
                );
            }
            11..=12 => {
                let room = &mut rooms[r];
                let outside: Vec<i64> = (2..=6).filter(|u| !room.members.contains(u)).collect();
                if room.dm || outside.is_empty() {
                    continue;
                }
                let u = rng.pick(&outside);
                let res = s
                    .json(
                        Method::POST,
                        &format!("{base}/rooms/{}/members", room.id),
                        Some(&admin),
                        json!({"user_ids": [u]}),
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
                room.members.push(u);
                room.plain.push(u);
                expect(
                    account,
                    &room.members,
                    ("member.added".into(), room.id.clone(), u.to_string()),
                );
            }
            13..=14 => {
                let room = &mut rooms[r];
                if room.dm || room.plain.is_empty() {
                    continue;
                }
                let u = rng.pick(&room.plain);
                let res = s
                    .send(
                        Method::DELETE,
                        &format!("{base}/rooms/{}/members/{u}", room.id),
                        Some(&admin),
                        None,
                        &[],
                    )
                    .await;
                assert_eq!(res.status, 204, "{}", res.text());
                room.members.retain(|m| *m != u);
                room.plain.retain(|m| *m != u);
                let mut to = room.members.clone();
                to.push(u);
                expect(
                    account,
                    &to,
                    ("member.removed".into(), room.id.clone(), u.to_string()),
                );
            }
            15 => {
                let room = &rooms[r];
                if room.dm {
                    continue;
                }
                let res = s
                    .json(
                        Method::PATCH,
                        &format!("{base}/rooms/{}", room.id),
                        Some(&admin),
                        json!({"name": format!("renamed {step}")}),
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
                expect(
                    account,
                    &room.members,
                    ("room.updated".into(), room.id.clone(), String::new()),
                );
            }
            _ => {
                let room = &rooms[r];
                let u = rng.pick(&room.members);
                let res = s
                    .send(
                        Method::POST,
                        &format!("{base}/rooms/{}/read", room.id),
                        Some(&token(account, u, role_of(u))),
                        None,
                        &[],
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
                expect(
                    account,
                    &[u],
                    ("read.updated".into(), room.id.clone(), String::new()),
                );
            }
        }
    }
    // The sentinel: a room with everyone, the last event of each account.
    for account in [1, 2] {
        let name = format!("sentinel {account}");
        let id = room_with(&s, account, 1, &[2, 3, 4, 5, 6], &name).await;
        expect(
            account,
            &users,
            ("room.created".into(), id, format!("\"{name}\"")),
        );
    }
    let mut total = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for (account, u, client) in &mut clients {
        let got = client
            .durable_until(|v| {
                v["type"] == "room.created"
                    && v["data"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("sentinel"))
            })
            .await;
        let mut last = 0;
        for v in &got {
            assert_eq!(v["account_id"], *account, "never another account's events");
            let id = v["id"].as_i64().expect("durable events have ids");
            assert!(id > last, "ids strictly increase: {id} after {last}");
            last = id;
        }
        let got: Vec<_> = got.iter().map(key).collect();
        kinds.extend(got.iter().map(|k| {
            if k.0 == "notification.created" {
                format!("{} {}", k.0, k.2.rsplit(':').next().unwrap())
            } else {
                k.0.clone()
            }
        }));
        // Both devices of user 3 in account 1 get the same events.
        let want = expected.get(&(*account, *u)).cloned().unwrap_or_default();
        assert_eq!(got, want, "account {account} user {u}");
        total += got.len();
    }
    assert!(total > 200, "the run exercised enough events ({total})");
    let all = [
        "member.added",
        "member.removed",
        "message.created",
        "message.deleted",
        "message.updated",
        "notification.created \"dm\"",
        "notification.created \"mention\"",
        "read.updated",
        "room.created",
        "room.updated",
    ];
    assert_eq!(
        kinds,
        all.iter().map(|k| (*k).to_owned()).collect(),
        "every kind occurred"
    );
    s.stop().await;
}

fn text(content: &str) -> NewMessage {
    NewMessage {
        content: content.into(),
        ..Default::default()
    }
}

/// A client disconnects, 200 events happen (and others it may not see), it resumes with
/// `since`: exactly those events, in order, once, then live ones. Again over SSE with
/// `Last-Event-ID`, and with `?since=` on SSE.
#[tokio::test]
async fn resume_replays_exactly_the_missed_events_over_ws_and_sse() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let a = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let b = user(&s.chat, 1, 4, AccountRole::Agent).await;
    user(&s.chat, 1, 5, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3, 4]).await;
    let (hidden, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("Q".into()),
                member_ids: vec![UserId(4), UserId(5)],
            },
        )
        .await
        .unwrap();
    let ta = token(1, 3, AccountRole::Agent);
    let is_msg = |v: &Value| v["type"] == "message.created";

    let mut ws = Client::Ws(s.ws(1, "", Some(&ta), &[]).await.unwrap());
    let (m0, _) = s
        .chat
        .send_message(&b, room.id, text("before"))
        .await
        .unwrap();
    let first = ws.durable_until(is_msg).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["data"]["id"], json!(m0.id));
    let since = first[0]["id"].as_i64().unwrap();
    drop(ws);

    // 200 events A may see (messages, edits, deletes) and 50 it may not.
    let mut missed = Vec::new();
    for i in 0..150 {
        let (m, _) = s
            .chat
            .send_message(&b, room.id, text(&format!("m{i}")))
            .await
            .unwrap();
        missed.push(("message.created", m.id));
        if i % 3 == 0 {
            s.chat.edit_message(&b, m.id, "edited").await.unwrap();
            missed.push(("message.updated", m.id));
        } else if i % 3 == 1 && missed.len() < 200 {
            s.chat.delete_message(&b, m.id).await.unwrap();
            missed.push(("message.deleted", m.id));
        }
        if i % 3 == 2 {
            s.chat
                .send_message(&b, hidden.id, text("not for A"))
                .await
                .unwrap();
        }
        if missed.len() >= 200 {
            break;
        }
    }
    assert_eq!(missed.len(), 200);
    let want: Vec<(String, String)> = missed
        .iter()
        .map(|(t, id)| ((*t).to_owned(), id.to_string()))
        .collect();
    let of = |events: &[Value]| -> Vec<(String, String)> {
        events
            .iter()
            .map(|v| {
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["data"]["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    let mut ws = Client::Ws(
        s.ws(1, &format!("?since={since}"), Some(&ta), &[])
            .await
            .unwrap(),
    );
    let (live, _) = s
        .chat
        .send_message(&b, room.id, text("live"))
        .await
        .unwrap();
    let got = ws
        .durable_until(|v| v["data"]["id"] == json!(live.id))
        .await;
    assert_eq!(
        of(&got[..got.len() - 1]),
        want,
        "exactly the missed events, in order, once"
    );
    let last = got.last().unwrap()["id"].as_i64().unwrap();
    drop(ws);

    // 200 more, then SSE with Last-Event-ID (and a stale ?since= that the header overrides).
    let mut missed = Vec::new();
    for i in 0..200 {
        let (m, _) = s
            .chat
            .send_message(&b, room.id, text(&format!("n{i}")))
            .await
            .unwrap();
        missed.push(("message.created".to_owned(), m.id.to_string()));
        if i % 4 == 0 {
            s.chat
                .send_message(&b, hidden.id, text("not for A"))
                .await
                .unwrap();
        }
    }
    let ticket = s.ticket(1, &ta).await;
    let mut sse = Client::Sse(
        s.sse(
            1,
            &format!("?ticket={ticket}&since=1"),
            None,
            &[("last-event-id", &last.to_string())],
        )
        .await
        .unwrap(),
    );
    let (live, _) = s
        .chat
        .send_message(&b, room.id, text("live 2"))
        .await
        .unwrap();
    let got = sse
        .durable_until(|v| v["data"]["id"] == json!(live.id))
        .await;
    assert_eq!(of(&got[..got.len() - 1]), missed);
    let last = got.last().unwrap()["id"].as_i64().unwrap();
    drop(sse);

    // SSE with ?since= alone.
    let (m, _) = s
        .chat
        .send_message(&b, room.id, text("after sse"))
        .await
        .unwrap();
    let mut sse = Client::Sse(
        s.sse(1, &format!("?since={last}"), Some(&ta), &[])
            .await
            .unwrap(),
    );
    let got = sse.durable_until(is_msg).await;
    assert_eq!(got[0]["data"]["id"], json!(m.id));
    let _ = a;

    assert_eq!(
        metric(&s, "chat_realtime_resumes_total{outcome=\"replayed\"}").await,
        3.0
    );
    assert_eq!(
        metric(
            &s,
            "chat_realtime_resumes_total{outcome=\"resync_required\"}"
        )
        .await,
        0.0
    );
    assert!(metric(&s, "chat_realtime_events_delivered_total{transport=\"ws\"}").await >= 202.0);
    assert!(
        metric(
            &s,
            "chat_realtime_events_delivered_total{transport=\"sse\"}"
        )
        .await
            >= 202.0
    );
    s.stop().await;
}

/// A `since` older than the retained log (or one it never had) yields one
/// `resync_required`, then live events.
#[tokio::test]
async fn an_ancient_or_unknown_since_gets_resync_required() {
    let options = chat_sqlite::Options {
        retention: chat_sqlite::Retention {
            max_events: 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let s = start_with(realtime_config(), PresenceConfig::default(), options).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3]).await;
    // The log is pruned every 256 ids: 300 events leave only the newest 20 or so.
    for i in 0..300 {
        s.chat
            .send_message(&admin, room.id, text(&format!("{i}")))
            .await
            .unwrap();
    }
    let ta = token(1, 3, AccountRole::Agent);
    let ticket = s.ticket(1, &ta).await;
    let mut clients = [
        Client::Ws(s.ws(1, "?since=1", Some(&ta), &[]).await.unwrap()),
        Client::Ws(s.ws(1, "?since=1000000", Some(&ta), &[]).await.unwrap()),
        Client::Sse(
            s.sse(
                1,
                &format!("?ticket={ticket}"),
                None,
                &[("last-event-id", "2")],
            )
            .await
            .unwrap(),
        ),
    ];
    let (m, _) = s
        .chat
        .send_message(&admin, room.id, text("live"))
        .await
        .unwrap();
    for (i, c) in clients.iter_mut().enumerate() {
        let got = c
            .until(
                WAIT,
                |v| v["type"] != "presence.changed",
                |v| v["type"] == "message.created",
            )
            .await;
        assert_eq!(got.len(), 2, "client {i}: {got:?}");
        assert_eq!(got[0]["type"], "resync_required");
        assert!(got[0].get("id").is_none(), "resync_required has no id");
        assert_eq!(got[1]["data"]["id"], json!(m.id), "then live events");
    }
    assert_eq!(
        metric(
            &s,
            "chat_realtime_resumes_total{outcome=\"resync_required\"}"
        )
        .await,
        3.0
    );
    s.stop().await;
}

/// A removed member gets `member.removed` and nothing after; a deactivated user's
/// WebSocket is closed (4003) and SSE stream ended at once; disabling the account's chat
/// ends every stream of the account (4004).
#[tokio::test]
async fn removed_members_and_deactivated_users_stop_receiving_at_once() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let a = user(&s.chat, 1, 3, AccountRole::Agent).await;
    for u in [4, 5, 6] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5, 6]).await;
    let connect_ws = |u: i64| {
        let t = token(1, u, AccountRole::Agent);
        let s = &s;
        async move { Client::Ws(s.ws(1, "", Some(&t), &[]).await.unwrap()) }
    };
    let mut c3 = connect_ws(3).await;
    let mut c4 = connect_ws(4).await;
    let mut c4_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 4, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let mut c5 = connect_ws(5).await;
    let mut c6_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 6, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );

    // Removal: 4 learns of it on both devices, then nothing of the room.
    s.chat
        .remove_member(&admin, room.id, UserId(4))
        .await
        .unwrap();
    let (after, _) = s
        .chat
        .send_message(&a, room.id, text("after the removal"))
        .await
        .unwrap();
    let (sentinel, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("S".into()),
                member_ids: vec![UserId(4)],
            },
        )
        .await
        .unwrap();
    for c in [&mut c4, &mut c4_sse] {
        let got = c.durable_until(|v| v["type"] == "room.created").await;
        let types: Vec<_> = got.iter().map(|v| v["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["member.removed", "room.created"], "{got:?}");
        assert_eq!(got[0]["data"]["user_id"], 4);
        assert_eq!(got[1]["room_id"], json!(sentinel.id));
    }
    let got = c3.durable_until(|v| v["type"] == "message.created").await;
    assert_eq!(got.last().unwrap()["data"]["id"], json!(after.id));

    // Deactivation through the service API: 5's WebSocket and 6's stream end at once.
    for u in [5, 6] {
        let res = s
            .json(
                Method::PUT,
                &format!("{}/users/{u}", s.base(1)),
                Some(SERVICE_TOKEN),
                json!({"role": "agent", "active": false}),
            )
            .await;
        assert_eq!(res.status, 200);
    }
    s.chat
        .send_message(&a, room.id, text("after the deactivation"))
        .await
        .unwrap();
    let Client::Ws(ws5) = &mut c5 else {
        unreachable!()
    };
    let (code, reason) = loop {
        match ws5.recv(WAIT).await {
            Got::Json(v) => assert_ne!(v["data"]["content"], "after the deactivation", "{v}"),
            Got::Closed(frame) => break frame.expect("a close frame"),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, 4003);
    assert!(reason.starts_with("user_deactivated"), "{reason}");
    let mut last = None;
    loop {
        match c6_sse.recv(WAIT).await {
            Got::Json(v) => {
                assert_ne!(v["data"]["content"], "after the deactivation", "{v}");
                last = Some(v);
            }
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    let last = last.unwrap();
    assert_eq!(
        (last["type"].as_str(), last["code"].as_str()),
        (Some("error"), Some("user_deactivated"))
    );
    assert!(
        metric(
            &s,
            "chat_realtime_closes_total{reason=\"user_deactivated\",transport=\"ws\"}"
        )
        .await
            >= 1.0
    );
    assert!(
        metric(
            &s,
            "chat_realtime_closes_total{reason=\"user_deactivated\",transport=\"sse\"}"
        )
        .await
            >= 1.0
    );

    // Disabling the account's chat ends every stream of the account.
    let mut c3_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 3, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let res = s
        .json(
            Method::PUT,
            &format!("{}/entitlements", s.base(1)),
            Some(SERVICE_TOKEN),
            json!({"chat_enabled": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let (code, reason) = ws_of(&mut c3).closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 4004);
    assert!(reason.starts_with("entitlement_denied"), "{reason}");
    let mut last = None;
    loop {
        match c3_sse.recv(WAIT).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "entitlement_denied");
    s.stop().await;
}

/// A client that never reads (WS and SSE, with a small receive buffer) is cut off as a slow
/// consumer, while a normal client keeps receiving everything.
#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_and_others_are_not_held_up() {
    let mut config = realtime_config();
    config.realtime.queue_capacity = 16;
    config.realtime.slow_consumer_after = Duration::from_millis(300);
    let s = start(config).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    for u in [3, 4, 5] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5]).await;
    let small_socket = || async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        sock.connect(s.addr).await.unwrap()
    };
    // The slow WebSocket client: handshake, then never read.
    let url = format!("ws://{}{}/ws", s.addr, s.base(1));
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token(1, 3, AccountRole::Agent))
            .parse()
            .unwrap(),
    );
    let (slow_ws, _) = tokio_tungstenite::client_async(req, small_socket().await)
        .await
        .unwrap();
    // The slow SSE client: a raw request, then never read.
    let mut slow_sse = small_socket().await;
    let head = format!(
        "GET {}/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\r\n",
        s.base(1),
        token(1, 4, AccountRole::Agent)
    );
    tokio::io::AsyncWriteExt::write_all(&mut slow_sse, head.as_bytes())
        .await
        .unwrap();
    // The normal client reads everything, in a task of its own.
    let mut fast = Client::Ws(
        s.ws(1, "", Some(&token(1, 5, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let reader = tokio::spawn(async move {
        fast.until(
            Duration::from_secs(120),
            |v| v["type"] == "message.created",
            |v| v["data"]["content"] == "last",
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let big = "x".repeat(3500);
    let mut sent = Vec::new();
    let started = std::time::Instant::now();
    loop {
        for _ in 0..50 {
            let (m, _) = s
                .chat
                .send_message(&admin, room.id, text(&big))
                .await
                .unwrap();
            sent.push(m.id);
        }
        let ws = metric(
            &s,
            "chat_realtime_closes_total{reason=\"slow_consumer\",transport=\"ws\"}",
        )
        .await;
        let sse = metric(
            &s,
            "chat_realtime_closes_total{reason=\"slow_consumer\",transport=\"sse\"}",
        )
        .await;
        if ws >= 1.0 && sse >= 1.0 {
            break;
        }
        assert!(
            sent.len() < 8000 && started.elapsed() < Duration::from_secs(90),
            "slow consumers were not cut off ({ws}, {sse})"
        );
    }
    let (last, _) = s
        .chat
        .send_message(&admin, room.id, text("last"))
        .await
        .unwrap();
    sent.push(last.id);
    let got = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();
    let got: Vec<String> = got
        .iter()
        .map(|v| v["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    let sent: Vec<String> = sent.iter().map(ToString::to_string).collect();
    assert_eq!(
        got, sent,
        "the normal client received every message, in order"
    );

    // The slow clients' streams end (after whatever the kernel had buffered).
    let mut slow_ws = slow_ws;
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        use futures_util::StreamExt;
        let mut close = None;
        while let Some(m) = slow_ws.next().await {
            match m {
                Ok(tokio_tungstenite::tungstenite::Message::Close(f)) => {
                    close = f.map(|f| u16::from(f.code))
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        close
    })
    .await
    .expect("the slow WebSocket was closed");
    if let Some(code) = ended {
        assert_eq!(code, 4008);
    }
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = vec![0u8; 65536];
        loop {
            match tokio::io::AsyncReadExt::read(&mut slow_sse, &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the slow SSE connection was dropped");
    s.stop().await;
}

/// Presence over two devices (WS and SSE), a reconnect inside the grace period without a
/// flap, away and back, offline after the grace period.
#[tokio::test]
async fn presence_merges_devices_and_survives_a_quick_reconnect() {
    let presence = PresenceConfig {
        grace: Duration::from_millis(600),
        idle_after: Duration::from_secs(3600),
        tick: Duration::from_millis(20),
    };
    let s = start_with(realtime_config(), presence, chat_sqlite::Options::default()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let observer = user(&s.chat, 1, 2, AccountRole::Supervisor).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[2]).await;
    let t2 = token(1, 2, AccountRole::Supervisor);
    let t3 = token(1, 3, AccountRole::Agent);
    let mut o = Client::Ws(s.ws(1, "", Some(&t2), &[]).await.unwrap());
    let of_3 = |v: &Value| v["type"] == "presence.changed" && v["data"]["user_id"] == 3;
    let statuses = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|v| of_3(v))
            .map(|v| v["data"]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let presence_of_3 = || async {
        let res = s.get(&format!("{}/presence", s.base(1)), Some(&t2)).await;
        assert_eq!(res.status, 200);
        let body = res.json();
        assert_eq!(body["next_cursor"], Value::Null);
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["user_id"] == 3)
            .cloned()
            .unwrap()
    };
    // A sentinel event for the observer: everything published before it has arrived.
    let sentinel = {
        let observer = observer.clone();
        let chat = s.chat.clone();
        move || {
            let (observer, chat) = (observer.clone(), chat.clone());
            async move { chat.mark_read(&observer, room.id, None).await.unwrap() }
        }
    };

    let sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["online"]);
    assert_eq!(presence_of_3().await["status"], "online");
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    drop(sse);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        presence_of_3().await["status"],
        "online",
        "the other device is still connected"
    );

    // Close the last device and reconnect within the grace period: no offline flap.
    ws.stream.close(None).await.unwrap();
    drop(ws);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(presence_of_3().await["status"], "online");
    sentinel().await;
    let got = o
        .until(WAIT, |v| of_3(v), |v| v["type"] == "read.updated")
        .await;
    assert!(statuses(&got).is_empty(), "no flap: {got:?}");

    // Away on request and back, through client frames.
    ws.send_json(json!({"type": "presence", "status": "away"}))
        .await;
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["away"]);
    assert_eq!(presence_of_3().await["status"], "away");
    ws.send_json(json!({"type": "presence", "status": "online"}))
        .await;
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["online"]);

    // Gone for longer than the grace period: offline.
    drop(ws);
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["offline"]);
    let entry = presence_of_3().await;
    assert_eq!(entry["status"], "offline");
    assert!(entry["last_seen_at"].as_str().unwrap().ends_with('Z'));
    s.stop().await;
}

fn ws_of(c: &mut Client) -> &mut common::live::Ws {
    match c {
        Client::Ws(ws) => ws,
        Client::Sse(_) => panic!("not a WebSocket"),
    }
}

/// Typing reaches the room's other members (not the typist, not outsiders) with an
/// `expires_at`, is throttled, and goes out again once the throttle has passed. Invalid
/// frames get error frames and leave the connection open; an oversized one closes it (1009).
#[tokio::test]
async fn typing_frames_errors_and_limits() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let typist = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let four = user(&s.chat, 1, 4, AccountRole::Agent).await;
    for u in [5, 6] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5]).await;
    let tok = |u: i64| token(1, u, AccountRole::Agent);
    let mut c3 = Client::Ws(s.ws(1, "", Some(&tok(3)), &[]).await.unwrap());
    let mut c4 = Client::Ws(s.ws(1, "", Some(&tok(4)), &[]).await.unwrap());
    let mut c5 = Client::Sse(s.sse(1, "", Some(&tok(5)), &[]).await.unwrap());
    let mut c6 = Client::Ws(s.ws(1, "", Some(&tok(6)), &[]).await.unwrap());
    let not_presence = |v: &Value| v["type"] != "presence.changed";
    let typing = json!({"type": "typing", "room_id": room.id});

    ws_of(&mut c3).send_json(typing.clone()).await;
    let before = chat_core::Timestamp::now().0;
    let mut first_expiry = 0;
    for c in [&mut c4, &mut c5] {
        let got = c.until(WAIT, not_presence, |v| v["type"] == "typing").await;
        let ev = got.last().unwrap();
        assert!(ev.get("id").is_none(), "typing is ephemeral");
        assert_eq!(ev["room_id"], json!(room.id));
        assert_eq!(ev["data"]["user_id"], 3);
        let expires =
            chat_core::Timestamp::parse_rfc3339(ev["data"]["expires_at"].as_str().unwrap())
                .unwrap()
                .0;
        assert!(
            (before + 4_000..before + 8_000).contains(&expires),
            "expires about 6 s ahead"
        );
        first_expiry = expires;
    }
    // Not to the typist, nor to a non-member: a later durable event arrives with no typing before it.
    s.chat.mark_read(&typist, room.id, None).await.unwrap();
    let got = c3
        .until(WAIT, not_presence, |v| v["type"] == "read.updated")
        .await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (other, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("S".into()),
                member_ids: vec![UserId(6)],
            },
        )
        .await
        .unwrap();
    let got = c6
        .until(WAIT, not_presence, |v| v["type"] == "room.created")
        .await;
    assert_eq!(got.len(), 1, "{got:?}");

    // Throttled: a second typing frame right away sends nothing.
    ws_of(&mut c3).send_json(typing.clone()).await;
    ws_of(&mut c3).send_json(frame("ping")).await;
    let got = c3.until(WAIT, not_presence, |v| v["type"] == "pong").await;
    assert_eq!(got.len(), 1);
    s.chat.mark_read(&four, room.id, None).await.unwrap();
    let got = c4
        .until(WAIT, not_presence, |v| v["type"] == "read.updated")
        .await;
    assert_eq!(got.len(), 1, "throttled: {got:?}");
    // After the throttle interval it goes out again, with a later expiry.
    tokio::time::sleep(chat_core::TYPING_THROTTLE + Duration::from_millis(100)).await;
    ws_of(&mut c3).send_json(typing.clone()).await;
    let got = c4
        .until(WAIT, not_presence, |v| v["type"] == "typing")
        .await;
    let expires =
        chat_core::Timestamp::parse_rfc3339(got[0]["data"]["expires_at"].as_str().unwrap())
            .unwrap()
            .0;
    assert!(expires > first_expiry);

    // Errors: each gets an error frame and the connection stays usable.
    let ws3 = ws_of(&mut c3);
    let cases = [
        (
            Some(json!({"type": "typing", "room_id": other.id})),
            "not_found",
        ),
        (
            Some(json!({"type": "typing", "room_id": "not-a-uuid"})),
            "validation_failed",
        ),
        (Some(json!({"type": "typing"})), "validation_failed"),
        (Some(json!({"type": "dance"})), "validation_failed"),
        (
            Some(json!({"type": "presence", "status": "busy"})),
            "validation_failed",
        ),
        (
            Some(json!({"type": "ping", "extra": 1})),
            "validation_failed",
        ),
        (Some(json!([1, 2])), "validation_failed"),
        (None, "validation_failed"),
    ];
    for (body, code) in cases {
        match body {
            Some(v) => ws3.send_json(v).await,
            None => {
                use futures_util::SinkExt;
                ws3.stream
                    .send(tokio_tungstenite::tungstenite::Message::text("{not json"))
                    .await
                    .unwrap();
            }
        }
        let got = loop {
            match ws3.recv(WAIT).await {
                Got::Json(v) if v["type"] == "error" => break v,
                Got::Json(v) => assert_ne!(v["type"], "pong", "{code}: no error frame"),
                other => panic!("{code}: {other:?}"),
            }
        };
        assert_eq!(got["code"], code, "{got}");
        assert!(got["message"].is_string());
    }
    {
        use futures_util::SinkExt;
        ws3.stream
            .send(tokio_tungstenite::tungstenite::Message::binary(vec![
                1u8, 2, 3,
            ]))
            .await
            .unwrap();
    }
    let got = loop {
        if let Got::Json(v) = ws3.recv(WAIT).await {
            if v["type"] == "error" {
                break v;
            }
        }
    };
    assert_eq!(got["code"], "validation_failed");
    ws3.send_json(frame("ping")).await;
    let got = c3.until(WAIT, |_| false, |v| v["type"] == "pong").await;
    assert_eq!(got[0], json!({"type": "pong"}));

    // A frame over 16 KiB closes the connection with 1009.
    let ws4 = ws_of(&mut c4);
    ws4.send_json(json!({"type": "ping", "pad": "x".repeat(17 * 1024)}))
        .await;
    let (code, reason) = ws4.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 1009);
    assert!(reason.starts_with("message_too_big"), "{reason}");
    s.stop().await;
}

/// A connection ends when its token (or its ticket's token) expires: 4001 on the
/// WebSocket, `event: error` `token_expired` on SSE.
#[tokio::test]
async fn connections_end_when_the_token_expires() {
    let mut config = realtime_config();
    config.jwt_leeway_secs = 0;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let short = chat_server_min::auth::mint(
        SECRET,
        1,
        3,
        AccountRole::Agent,
        None,
        Duration::from_secs(2),
    )
    .unwrap();
    let mut ws = s.ws(1, "", Some(&short), &[]).await.unwrap();
    let res = s
        .send(
            Method::POST,
            &format!("{}/realtime/ticket", s.base(1)),
            Some(&short),
            None,
            &[],
        )
        .await;
    let body = res.json();
    let expires = chat_core::Timestamp::parse_rfc3339(body["expires_at"].as_str().unwrap())
        .unwrap()
        .0;
    assert!(
        expires <= chat_core::Timestamp::now().0 + 2_000,
        "the ticket does not outlive its token"
    );
    let mut sse = s
        .sse(
            1,
            &format!("?ticket={}", body["ticket"].as_str().unwrap()),
            None,
            &[],
        )
        .await
        .unwrap();
    let (code, reason) = ws
        .closed(Duration::from_secs(10))
        .await
        .expect("a close frame");
    assert_eq!(code, 4001);
    assert!(reason.starts_with("token_expired"), "{reason}");
    let mut last = None;
    loop {
        match sse.recv(Duration::from_secs(10)).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "token_expired");
    s.stop().await;
}

/// Notifications over REST, and `notification.created` on the stream.
#[tokio::test]
async fn notifications_list_and_read() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    user(&s.chat, 1, 4, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3, 4]).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let t4 = token(1, 4, AccountRole::Agent);
    let base = s.base(1);
    let mut c3 = Client::Ws(s.ws(1, "", Some(&t3), &[]).await.unwrap());
    let res = s
        .json(
            Method::POST,
            &format!("{base}/rooms/{}/messages", room.id),
            Some(&t4),
            json!({"content": "hey @3", "mentions": [3]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let dm = s
        .json(
            Method::POST,
            &format!("{base}/rooms"),
            Some(&t4),
            json!({"type": "dm", "member_ids": [3]}),
        )
        .await;
    let dm = dm.json()["id"].as_str().unwrap().to_owned();
    say(&s, 1, 4, AccountRole::Agent, &dm, "psst").await;
    let got = c3
        .durable_until(|v| v["type"] == "notification.created" && v["data"]["kind"] == "dm")
        .await;
    let kinds: Vec<_> = got
        .iter()
        .filter(|v| v["type"] == "notification.created")
        .map(|v| v["data"]["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("mention"), json!("dm")]);

    let list = s.get(&format!("{base}/notifications"), Some(&t3)).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "dm", "newest first");
    assert_eq!(items[0]["read_at"], Value::Null);
    assert!(s
        .get(&format!("{base}/notifications"), Some(&t4))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let page = s
        .get(&format!("{base}/notifications?limit=1"), Some(&t3))
        .await
        .json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let page = s
        .get(
            &format!("{base}/notifications?limit=1&cursor={cursor}"),
            Some(&t3),
        )
        .await
        .json();
    assert_eq!(page["items"][0]["kind"], "mention");

    let read = |body: Value| {
        let (s, t3) = (&s, &t3);
        async move {
            s.json(
                Method::POST,
                &format!("{}/notifications/read", s.base(1)),
                Some(t3),
                body,
            )
            .await
        }
    };
    let res = read(json!({"ids": [items[0]["id"]]})).await;
    assert_eq!((res.status, res.json()), (200, json!({"updated": 1})));
    let unread = s
        .get(&format!("{base}/notifications?unread_only=true"), Some(&t3))
        .await
        .json();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        read(json!({"all": true})).await.json(),
        json!({"updated": 1})
    );
    assert_eq!(
        read(json!({"all": true})).await.json(),
        json!({"updated": 0})
    );
    for bad in [
        json!({}),
        json!({"all": false}),
        json!({"ids": [], "all": true}),
        json!({"ids": ["x"]}),
        json!({"all": true, "x": 1}),
    ] {
        let res = read(bad.clone()).await;
        assert_eq!(
            (res.status, res.error_code().as_str()),
            (422, "validation_failed"),
            "{bad}"
        );
    }
    for q in ["unread_only=yes", "limit=0", "cursor=forged"] {
        let res = s.get(&format!("{base}/notifications?{q}"), Some(&t3)).await;
        assert_eq!(res.status, 422, "{q}");
    }
    s.stop().await;
}

/// Shutdown closes WebSockets with 1001 and ends SSE streams with `going_away`, promptly.
#[tokio::test]
async fn shutdown_closes_realtime_connections() {
    let mut config = realtime_config();
    config.realtime.sse_heartbeat = Duration::from_millis(100);
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    let mut sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"ws\"}").await,
        1.0
    );
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"sse\"}").await,
        1.0
    );
    // Heartbeat comments while nothing happens (`: ok` first).
    assert!(matches!(
        sse.recv(Duration::from_millis(450)).await,
        Got::Timeout
    ));
    assert!(sse.comments >= 3, "heartbeats: {}", sse.comments);
    let stopping = tokio::spawn(s.stop());
    let (code, _) = ws.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 1001);
    let mut last = None;
    loop {
        match sse.recv(WAIT).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "going_away");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
}

/// The server pings; a client that answers stays, one that goes silent is closed (4000).
#[tokio::test]
async fn keepalive_pings_and_closes_silent_connections() {
    let mut config = realtime_config();
    config.realtime.ping_interval = Duration::from_millis(200);
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let mut alive = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    let mut silent = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    // The live client keeps reading (tungstenite answers the pings) for a second.
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match alive.recv(left).await {
            Got::Timeout => break,
            Got::Json(v) => assert_eq!(v["type"], "presence.changed"),
            other => panic!("the answering client was closed: {other:?}"),
        }
    }
    let (code, reason) = silent.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 4000);
    assert!(reason.starts_with("keepalive_timeout"), "{reason}");
    alive.send_json(frame("ping")).await;
    match alive.recv(WAIT).await {
        Got::Json(v) => assert_eq!(v, json!({"type": "pong"})),
        other => panic!("the answering client was closed: {other:?}"),
    }
    s.stop().await;
}

/// A client that goes away frees its connection slot at once (SSE included), so reloads do
/// not run into the per-user limit.
#[tokio::test]
async fn closed_clients_free_their_slots() {
    let mut config = realtime_config();
    config.realtime.max_connections_per_user = 1;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    for _ in 0..5 {
        let sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
        drop(sse);
        let mut freed = false;
        for _ in 0..100 {
            if metric(&s, "chat_realtime_connections{transport=\"sse\"}").await == 0.0 {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(freed, "the dropped SSE client's slot was not freed");
        let ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
        drop(ws);
        for _ in 0..100 {
            if metric(&s, "chat_realtime_connections{transport=\"ws\"}").await == 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"ws\"}").await,
        0.0
    );
    s.stop().await;
}

/// Creates a team room as `creator` with these members (all provisioned already).
async fn team_room(chat: &Chat, creator: &Actor, name: &str, members: &[i64]) -> Room {
    let input = NewRoom {
        kind: RoomType::Room,
        name: Some(name.into()),
        member_ids: members.iter().copied().map(UserId).collect(),
    };
    chat.create_room(creator, input).await.unwrap().0
}
