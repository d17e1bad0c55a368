//! What a client may send over the WebSocket — typing, presence, ping — parsed strictly,
//! limited to [`MAX_FRAMES_PER_SEC`], and answered (or not) with one frame.

use std::time::{Duration, Instant};

use chat_core::{Actor, RoomId};
use serde::Deserialize;

use super::super::error_frame;
use super::super::session::Session;

/// Client frames per second a connection may send; more get an error frame and are ignored.
pub const MAX_FRAMES_PER_SEC: u32 = 20;

/// A client frame.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum ClientFrame {
    /// The user is typing in a room.
    Typing { room_id: RoomId },
    /// The user sets their presence.
    Presence { status: PresenceStatus },
    /// Liveness check; answered by `{"type":"pong"}`. (A struct variant, so that unknown
    /// fields are refused as for the others.)
    Ping {},
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum PresenceStatus {
    Online,
    Away,
}

/// Counts client frames per one-second window.
pub(super) struct FrameBudget {
    window: Instant,
    used: u32,
}

impl FrameBudget {
    /// A fresh one-second window.
    pub(super) fn new() -> Self {
        Self {
            window: Instant::now(),
            used: 0,
        }
    }

    fn allow(&mut self) -> bool {
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = Instant::now();
            self.used = 0;
        }
        self.used += 1;
        self.used <= MAX_FRAMES_PER_SEC
    }
}

/// What a client text frame asks for; the reply frame, if any.
pub(super) async fn handle_text(
    session: &Session,
    budget: &mut FrameBudget,
    text: &str,
) -> Option<String> {
    if !budget.allow() {
        return Some(error_frame(
            "rate_limited",
            "more than 20 frames per second; frame ignored",
        ));
    }
    let frame = match parse(text) {
        Ok(f) => f,
        Err(refusal) => return Some(refusal),
    };
    session.presence.touch();
    match frame {
        ClientFrame::Ping {} => Some(r#"{"type":"pong"}"#.to_owned()),
        ClientFrame::Presence { status } => {
            session
                .presence
                .set_away(matches!(status, PresenceStatus::Away));
            None
        }
        ClientFrame::Typing { room_id } => typing(&session.app.chat, &session.actor, room_id).await,
    }
}

/// A client text frame, or the error frame that refuses it.
pub(super) fn parse(text: &str) -> Result<ClientFrame, String> {
    serde_json::from_str(text).map_err(|e| {
        let message = format!("invalid frame: {}", without_position(&e));
        error_frame("validation_failed", &message)
    })
}

async fn typing(chat: &chat_core::Chat, actor: &Actor, room: RoomId) -> Option<String> {
    match chat.typing(actor, room).await {
        // Throttled or sent: nothing to say.
        Ok(_) => None,
        Err(e) => Some(error_frame(e.code(), &e.public_message())),
    }
}

/// serde_json's message without " at line L column C".
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_strictly() {
        let ok = [
            r#"{"type":"ping"}"#,
            r#"{"type":"presence","status":"away"}"#,
            r#"{"type":"typing","room_id":"01a221ec-16c7-75d7-afe3-2230c81e0bbe"}"#,
        ];
        for f in ok {
            assert!(serde_json::from_str::<ClientFrame>(f).is_ok(), "{f}");
        }
        let bad = [
            r#"{"type":"ping","x":1}"#,
            r#"{"type":"presence","status":"busy"}"#,
            r#"{"type":"typing"}"#,
            r#"{"type":"PING"}"#,
            r#"{}"#,
            r#"[]"#,
        ];
        for f in bad {
            assert!(serde_json::from_str::<ClientFrame>(f).is_err(), "{f}");
        }
    }
}
