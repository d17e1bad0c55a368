//! `/rooms/{room_id}/members`.

use chat_core::{RoomId, RoomRole, UserId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, UserCall};
use crate::http::{decode_json, Reply};

/// Body of `POST /rooms/{room_id}/members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AddMembers {
    pub(super) user_ids: Vec<UserId>,
    #[serde(default)]
    pub(super) role: Option<RoomRole>,
}

/// `POST /rooms/{room_id}/members`: `200` with the full member list.
pub async fn add(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let body: AddMembers = decode_json(&c.body)?;
    let members = c
        .app
        .chat
        .add_members(&c.actor, room, &body.user_ids, body.role)
        .await?;
    Ok(Reply::json(StatusCode::OK, &members))
}

/// `DELETE /rooms/{room_id}/members/{user_id}`: remove or leave, `204`.
pub async fn remove(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let user = UserId(c.params.id("user_id")?);
    c.app.chat.remove_member(&c.actor, room, user).await?;
    Ok(Reply::no_content())
}
