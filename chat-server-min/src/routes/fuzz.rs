//! Fuzzing entry point of the write bodies (`fuzz/fuzz_targets/write_body.rs`): a body
//! decoded exactly as its handler decodes it, then put through the input rules
//! ([`chat_core::validate`]) that the facade method the handler calls applies before any
//! policy decision or store access. Not API: hidden from the docs, and no store is involved,
//! so the rules are called here in the facade's order (`chat-core/src/chat/*.rs`).

use chat_core::{validate, ChatError, MessageType, RoomType};

use super::{members, messages, read, realtime, rooms, service};
use crate::http::body::{decode_json, decode_optional_json};
use crate::http::ApiError;

/// The routes whose request has a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteBody {
    /// `POST /rooms/{room_id}/messages`.
    SendMessage,
    /// `PATCH /messages/{message_id}`.
    EditMessage,
    /// `POST /rooms`.
    CreateRoom,
    /// `PATCH /rooms/{room_id}`.
    RenameRoom,
    /// `POST /rooms/{room_id}/members`.
    AddMembers,
    /// `POST /rooms/{room_id}/read` (the body may be empty).
    MarkRead,
    /// `POST /notifications/read`.
    ReadNotifications,
    /// `PUT /users/{user_id}` (service API).
    ProvisionUser,
    /// `PUT /entitlements` (service API).
    SetEntitlements,
}

impl WriteBody {
    /// Every route with a body, to pick one from a fuzzer's byte.
    pub const ALL: [Self; 9] = [
        Self::SendMessage,
        Self::EditMessage,
        Self::CreateRoom,
        Self::RenameRoom,
        Self::AddMembers,
        Self::MarkRead,
        Self::ReadNotifications,
        Self::ProvisionUser,
        Self::SetEntitlements,
    ];
}

/// Decodes and validates `body` as `route` would; the refusal is what the client would get.
pub fn check(route: WriteBody, body: &[u8]) -> Result<(), ApiError> {
    match route {
        WriteBody::SendMessage => {
            let b: messages::SendMessage = decode_json(body)?;
            validate::content(&b.content)?;
            validate::user_ids("mentions", &b.mentions)?;
            b.client_id
                .as_deref()
                .map(validate::client_id)
                .transpose()?;
            if b.message_type == Some(MessageType::System) {
                return Err(ChatError::invalid(
                    "message_type",
                    "clients may not send system messages",
                )
                .into());
            }
        }
        WriteBody::EditMessage => {
            let b: messages::EditMessage = decode_json(body)?;
            validate::content(&b.content)?;
        }
        WriteBody::CreateRoom => {
            let b: rooms::CreateRoom = decode_json(body)?;
            validate::user_ids("member_ids", &b.member_ids)?;
            match (b.kind, b.name.as_deref()) {
                (RoomType::Room, Some(name)) => drop(validate::room_name(name)?),
                (RoomType::Room, None) => {
                    return Err(ChatError::invalid("name", "required for rooms").into())
                }
                (RoomType::Dm, Some(_)) => {
                    return Err(ChatError::invalid("name", "DMs have no name").into())
                }
                (RoomType::Dm, None) => {}
            }
        }
        WriteBody::RenameRoom => {
            let b: rooms::RenameRoom = decode_json(body)?;
            validate::room_name(&b.name)?;
        }
        WriteBody::AddMembers => {
            let b: members::AddMembers = decode_json(body)?;
            if validate::user_ids("user_ids", &b.user_ids)?.is_empty() {
                return Err(ChatError::invalid("user_ids", "must not be empty").into());
            }
        }
        WriteBody::MarkRead => {
            let _: read::MarkRead = decode_optional_json(body)?;
        }
        WriteBody::ReadNotifications => {
            let b: realtime::ReadNotifications = decode_json(body)?;
            if b.which()?.is_some_and(|ids| ids.len() > validate::MAX_IDS) {
                return Err(ChatError::invalid("ids", "too many ids").into());
            }
        }
        WriteBody::ProvisionUser => {
            let b: service::ProvisionUser = decode_json(body)?;
            b.name.as_deref().map(validate::room_name).transpose()?;
        }
        WriteBody::SetEntitlements => {
            let _: service::SetEntitlements = decode_json(body)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(route: WriteBody, body: &str) -> u16 {
        match check(route, body.as_bytes()) {
            Ok(()) => 200,
            Err(e) => e.into_reply("t").status.as_u16(),
        }
    }

    #[test]
    fn bodies_are_decoded_and_validated_as_their_routes_do() {
        use WriteBody::*;
        assert_eq!(
            status(SendMessage, r#"{"content":"hi","mentions":[2]}"#),
            200
        );
        assert_eq!(status(SendMessage, r#"{"content":"  "}"#), 422);
        assert_eq!(
            status(SendMessage, r#"{"content":"hi","message_type":"system"}"#),
            422
        );
        assert_eq!(status(CreateRoom, r#"{"type":"room"}"#), 422);
        assert_eq!(
            status(CreateRoom, r#"{"type":"dm","name":"x","member_ids":[2]}"#),
            422
        );
        assert_eq!(status(CreateRoom, r#"{"type":"dm","member_ids":[2]}"#), 200);
        assert_eq!(status(AddMembers, r#"{"user_ids":[]}"#), 422);
        assert_eq!(status(MarkRead, ""), 200);
        assert_eq!(status(ReadNotifications, r#"{"all":false}"#), 422);
        assert_eq!(status(ReadNotifications, r#"{"ids":[],"all":true}"#), 422);
        assert_eq!(status(SetEntitlements, r#"{"chat_enabled":true}"#), 422);
        assert_eq!(
            status(ProvisionUser, r#"{"role":"agent","active":true}"#),
            200
        );
        for route in WriteBody::ALL {
            assert_eq!(status(route, "[1]"), 422, "{route:?}");
        }
    }
}
