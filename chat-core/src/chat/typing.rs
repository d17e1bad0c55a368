//! Typing indicators: ephemeral (never stored), for the room's other members only,
//! throttled per user and room, each carrying the time it expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{decide_room, Actor, Chat, TypingLog};
use crate::error::Result;
use crate::events::{ephemeral, Audience, EventType};
use crate::hub::FeedItem;
use crate::ids::{RoomId, Timestamp};
use crate::policy::Action;
use crate::store::RoomScope;

/// At most one typing event per user and room in this interval; clients repeat while typing.
pub const TYPING_THROTTLE: Duration = Duration::from_secs(3);
/// A typing indicator is shown until `expires_at` (= sent + this) unless renewed.
pub const TYPING_TTL: Duration = Duration::from_secs(6);

impl Chat {
    /// Tells the room's other members that the actor is typing. Needs the right to send in
    /// the room. Returns `false` when throttled (nothing sent).
    ///
    /// The throttle is checked first, so repeated typing frames cost no store reads; a key is
    /// only recorded after an allowed send, so it cannot be used to probe rooms.
    pub async fn typing(&self, actor: &Actor, room: RoomId) -> Result<bool> {
        let key = (actor.account, actor.user, room);
        let recent = |log: &TypingLog, now: Instant| {
            log.get(&key)
                .is_some_and(|t| now.duration_since(*t) < TYPING_THROTTLE)
        };
        if recent(
            &self.typing.lock().unwrap_or_else(|p| p.into_inner()),
            Instant::now(),
        ) {
            return Ok(false);
        }
        let access = self.access(actor, room).await?;
        decide_room(actor, &access, |s| s, Action::SendMessage)?;
        {
            // Checked again: another frame may have been allowed while this one was deciding.
            let now = Instant::now();
            let mut log = self.typing.lock().unwrap_or_else(|p| p.into_inner());
            if recent(&log, now) {
                return Ok(false);
            }
            if log.len() > 10_000 {
                log.retain(|_, t| now.duration_since(*t) < TYPING_THROTTLE);
            }
            log.insert(key, now);
        }
        let detail = self
            .store
            .room_detail(&RoomScope::new(actor.account, room))
            .await?;
        let others = detail
            .map(|d| {
                d.members
                    .into_iter()
                    .map(|m| m.user_id)
                    .filter(|u| *u != actor.user)
                    .collect()
            })
            .unwrap_or_default();
        let ttl_ms = i64::try_from(TYPING_TTL.as_millis()).unwrap_or(i64::MAX);
        let data = json!({
            "room_id": room,
            "user_id": actor.user,
            "expires_at": Timestamp(Timestamp::now().0 + ttl_ms),
        });
        let event = ephemeral(
            EventType::Typing,
            actor.account,
            Some(room),
            data,
            Audience::users(others),
        );
        self.bus()
            .publish(actor.account, FeedItem::Event(Arc::new(event)));
        Ok(true)
    }
}
