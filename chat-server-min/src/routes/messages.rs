//! `/rooms/{room_id}/messages` and `/messages/{message_id}`.

use chat_core::{Anchor, ChatError, MessageId, MessageType, NewMessage, RoomId, UserId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, UserCall};
use crate::http::{decode_json, Reply};

/// Body of `POST /rooms/{room_id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendMessage {
    pub(super) content: String,
    #[serde(default)]
    pub(super) message_type: Option<MessageType>,
    #[serde(default)]
    pub(super) mentions: Vec<UserId>,
    #[serde(default)]
    pub(super) client_id: Option<String>,
}

/// Body of `PATCH /messages/{message_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditMessage {
    pub(super) content: String,
}

/// `GET /rooms/{room_id}/messages?limit&cursor` (newest first, older or newer pages by
/// cursor) or `?around={message_id}|first_unread&limit` (a page centred on it).
pub async fn list(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let (cursor, limit) = (c.query.cursor()?, c.query.limit()?);
    let chat = &c.app.chat;
    let page = match c.query.get("around")? {
        None => chat.list_messages(&c.actor, room, cursor, limit).await?,
        Some(_) if cursor.is_some() => {
            return Err(
                ChatError::invalid("around", "give either around or cursor, not both").into(),
            )
        }
        Some("first_unread") => {
            chat.messages_around(&c.actor, room, Anchor::FirstUnread, limit)
                .await?
        }
        Some(id) => {
            let id: MessageId = id
                .parse()
                .map_err(|_| ChatError::invalid("around", "a message id or first_unread"))?;
            chat.messages_around(&c.actor, room, Anchor::Message(id), limit)
                .await?
        }
    };
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
