//! Random actions over two accounts against a model of who may see what.

use super::*;

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
