//! Realtime, black-box: the real server on 127.0.0.1:0, real WebSocket and SSE clients.
//! Refusals before the upgrade, resume without gaps or duplicates, resync, removal and
//! deactivation, slow consumers, presence, typing, token expiry, notifications.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../common/mod.rs"]
mod common;

mod cutoffs;
mod lifecycle;
mod model;
mod notifications;
mod oversize;
mod presence_typing;
mod refusals;
mod resume;

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

/// The value of one metric line (`name{labels}`), 0 when absent.
async fn metric(s: &Server, series: &str) -> f64 {
    let text = s.get("/metrics", None).await.text();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

fn text(content: &str) -> NewMessage {
    NewMessage {
        content: content.into(),
        ..Default::default()
    }
}

fn ws_of(c: &mut Client) -> &mut common::live::Ws {
    match c {
        Client::Ws(ws) => ws,
        Client::Sse(_) => panic!("not a WebSocket"),
    }
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
