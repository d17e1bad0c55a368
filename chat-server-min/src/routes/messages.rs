//! `/rooms/{room_id}/messages` and `/messages/{message_id}`.

use chat_core::{MessageId, MessageType, NewMessage, RoomId, UserId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, UserCall};
use crate::http::{decode_json, Reply};

/// Body of `POST /rooms/{room_id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendMessage {
    content: String,
    #[serde(default)]
    message_type: Option<MessageType>,
    #[serde(default)]
    mentions: Vec<UserId>,
    #[serde(default)]
    client_id: Option<String>,
}

/// Body of `PATCH /messages/{message_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditMessage {
    content: String,
}

/// `GET /rooms/{room_id}/messages?limit&cursor`: newest first.
pub async fn list(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let page = c
        .app
        .chat
        .list_messages(&c.actor, room, c.query.cursor()?, c.query.limit()?)
        .await?;
    Ok(Reply::json(StatusCode::OK, &page))
}

/// `POST /rooms/{room_id}/messages`: `201` stored, `200` an idempotent replay.
pub async fn send(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let body: SendMessage = decode_json(&c.body)?;
    let input = NewMessage {
        content: body.content,
        message_type: body.message_type,
        mentions: body.mentions,
        client_id: body.client_id,
    };
    let (message, created) = c.app.chat.send_message(&c.actor, room, input).await?;
    if created {
        c.app.metrics.messages.inc();
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Reply::json(status, &message))
}

/// `PATCH /messages/{message_id}` `{content}`: the sender only.
pub async fn edit(c: UserCall) -> HandlerResult {
    let message: MessageId = c.params.id("message_id")?;
    let body: EditMessage = decode_json(&c.body)?;
    let edited = c
        .app
        .chat
        .edit_message(&c.actor, message, &body.content)
        .await?;
    Ok(Reply::json(StatusCode::OK, &edited))
}

/// `DELETE /messages/{message_id}`: soft delete, `204`.
pub async fn delete(c: UserCall) -> HandlerResult {
    let message: MessageId = c.params.id("message_id")?;
    c.app.chat.delete_message(&c.actor, message).await?;
    Ok(Reply::no_content())
}
