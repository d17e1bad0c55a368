//! Read pointers: `/rooms/{room_id}/read` and `/unread`.

use chat_core::{MessageId, RoomId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, UserCall};
use crate::http::body::decode_optional_json;
use crate::http::Reply;

/// Body of `POST /rooms/{room_id}/read` (may be empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MarkRead {
    #[serde(default)]
    pub(super) message_id: Option<MessageId>,
}

/// `POST /rooms/{room_id}/read` `{message_id?}`.
pub async fn mark(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let body: MarkRead = decode_optional_json(&c.body)?;
    let state = c
        .app
        .chat
        .mark_read(&c.actor, room, body.message_id)
        .await?;
    Ok(Reply::json(StatusCode::OK, &state))
}

/// `GET /unread`: `{total, rooms}`.
pub async fn unread(c: UserCall) -> HandlerResult {
    let unread = c.app.chat.unread(&c.actor).await?;
    Ok(Reply::json(StatusCode::OK, &unread))
}
