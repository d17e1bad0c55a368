//! `/rooms` and `/rooms/{room_id}`.

use chat_core::{ChatError, NewRoom, RoomId, RoomType, UserId};
use http::StatusCode;
use serde::Deserialize;

use super::{HandlerResult, UserCall};
use crate::http::{decode_json, Reply};

/// Body of `POST /rooms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateRoom {
    #[serde(rename = "type")]
    pub(super) kind: RoomType,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) member_ids: Vec<UserId>,
}

/// Body of `PATCH /rooms/{room_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RenameRoom {
    pub(super) name: String,
}

/// `GET /rooms?scope&limit&cursor`: the caller's rooms (`scope=member`, the default), or every
/// team room of the account (`scope=account`, managers).
pub async fn list(c: UserCall) -> HandlerResult {
    let (cursor, limit) = (c.query.cursor()?, c.query.limit()?);
    match c.query.get("scope")? {
        None | Some("member") => {
            let page = c.app.chat.list_rooms(&c.actor, cursor, limit).await?;
            Ok(Reply::json(StatusCode::OK, &page))
        }
        Some("account") => {
            let page = c
                .app
                .chat
                .list_account_rooms(&c.actor, cursor, limit)
                .await?;
            Ok(Reply::json(StatusCode::OK, &page))
        }
        Some(_) => Err(ChatError::invalid("scope", "must be member or account").into()),
    }
}

/// `POST /rooms`: `201` new room or DM, `200` existing DM.
pub async fn create(c: UserCall) -> HandlerResult {
    let body: CreateRoom = decode_json(&c.body)?;
    let input = NewRoom {
        kind: body.kind,
        name: body.name,
        member_ids: body.member_ids,
    };
    let (room, created) = c.app.chat.create_room(&c.actor, input).await?;
    if created {
        c.app
            .metrics
            .rooms_created
            .with_label_values(&[room.kind.as_str()])
            .inc();
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Reply::json(status, &room))
}

/// `GET /rooms/{room_id}`: the room with its members.
pub async fn get(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let detail = c.app.chat.get_room(&c.actor, room).await?;
    Ok(Reply::json(StatusCode::OK, &detail))
}

/// `PATCH /rooms/{room_id}` `{name}`.
pub async fn rename(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    let body: RenameRoom = decode_json(&c.body)?;
    let updated = c.app.chat.rename_room(&c.actor, room, &body.name).await?;
    Ok(Reply::json(StatusCode::OK, &updated))
}

/// `DELETE /rooms/{room_id}`: archive, `204`.
pub async fn archive(c: UserCall) -> HandlerResult {
    let room: RoomId = c.params.id("room_id")?;
    c.app.chat.archive_room(&c.actor, room).await?;
    Ok(Reply::no_content())
}
