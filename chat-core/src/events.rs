//! Events: what changed, for whom, in commit order.
//!
//! Every write that changes something a client shows carries [`EventDraft`]s; the backend
//! stores them in the account's event log **in the same transaction** as the change (an
//! outbox), giving each a per-account id that grows in commit order, and resolves its
//! audience to the concrete users allowed to see it at that moment (e.g. the room's members
//! after the change). Subscribers replay the log from any id they saw, then follow live
//! events, filtering by that recorded audience — so what a client receives after a reconnect
//! is exactly what it would have received live.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, RoomId, Timestamp, UserId};
use crate::model::str_enum;

str_enum!(
    /// The kind of an event (the `type` field on the wire).
    EventType {
        /// A message was sent; `data` is the message.
        MessageCreated => "message.created",
        /// A message was edited; `data` is the message.
        MessageUpdated => "message.updated",
        /// A message was soft-deleted; `data` is the message (content null).
        MessageDeleted => "message.deleted",
        /// A room or DM was created; `data` is the room with its members.
        RoomCreated => "room.created",
        /// A room was renamed; `data` is the room.
        RoomUpdated => "room.updated",
        /// A room was archived; `data` is `{id}`.
        RoomDeleted => "room.deleted",
        /// A user joined; `data` is `{room_id, member}`.
        MemberAdded => "member.added",
        /// A user left or was removed; `data` is `{room_id, user_id}`.
        MemberRemoved => "member.removed",
        /// The recipient's read pointer moved; `data` is the read state.
        ReadUpdated => "read.updated",
        /// A notification for the recipient; `data` is the notification.
        NotificationCreated => "notification.created",
        /// Ephemeral: a user's presence changed.
        PresenceChanged => "presence.changed",
        /// Ephemeral: a member is typing.
        Typing => "typing",
        /// The requested resume point is older than the log keeps: refetch state, then follow.
        ResyncRequired => "resync_required",
    }
);

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Audience {
    /// These users (resolved when the event was committed), sorted ascending: build it with
    /// [`Audience::users`].
    Users(Vec<UserId>),
    /// Every user of the account.
    #[default]
    Account,
}

impl Audience {
    /// A sorted, deduplicated user audience.
    pub fn users(mut users: Vec<UserId>) -> Self {
        users.sort_unstable();
        users.dedup();
        Audience::Users(users)
    }

    /// Whether `user` may receive the event. (`Users` lists are sorted: every event is
    /// checked once per subscriber, so this is a binary search, not a scan.)
    pub fn includes(&self, user: UserId) -> bool {
        match self {
            Audience::Users(users) => users.binary_search(&user).is_ok(),
            Audience::Account => true,
        }
    }
}

/// One event, as stored and as sent to clients.
///
/// Treat a published event as immutable: [`Event::to_json`] renders it once and every
/// subscriber's transport reuses that text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Per-account id, strictly increasing in commit order; `None` for ephemeral events.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<i64>,
    /// What kind of event it is (`type` on the wire).
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The account (tenant) it belongs to.
    pub account_id: AccountId,
    /// The room concerned, if any.
    pub room_id: Option<RoomId>,
    /// Commit time.
    pub ts: Timestamp,
    /// The resource, rendered as the REST API renders it.
    pub data: serde_json::Value,
    /// Who may receive it (not sent on the wire).
    #[serde(skip)]
    pub audience: Audience,
    /// The wire form, rendered on first use.
    #[serde(skip)]
    json: OnceLock<Arc<str>>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (
            self.id,
            self.kind,
            self.account_id,
            self.room_id,
            self.ts,
            &self.data,
            &self.audience,
        ) == (
            other.id,
            other.kind,
            other.account_id,
            other.room_id,
            other.ts,
            &other.data,
            &other.audience,
        )
    }
}

impl Eq for Event {}

impl Event {
    /// An event with its wire form not rendered yet.
    pub fn new(
        id: Option<i64>,
        kind: EventType,
        account_id: AccountId,
        room_id: Option<RoomId>,
        ts: Timestamp,
        data: serde_json::Value,
        audience: Audience,
    ) -> Self {
        Self {
            id,
            kind,
            account_id,
            room_id,
            ts,
            data,
            audience,
            json: OnceLock::new(),
        }
    }

    /// The event as one JSON object (the wire form), serialized once however many
    /// subscribers send it.
    pub fn to_json(&self) -> Result<Arc<str>, serde_json::Error> {
        if let Some(json) = self.json.get() {
            return Ok(json.clone());
        }
        let json: Arc<str> = serde_json::to_string(self)?.into();
        Ok(self.json.get_or_init(|| json).clone())
    }
}

/// Who an event drafted by the facade is for; the backend resolves it inside the write's
/// transaction, after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudienceRule {
    /// The room's members after the change, plus these users (e.g. the member just removed).
    RoomMembers {
        /// The room.
        room: RoomId,
        /// Extra recipients.
        plus: Vec<UserId>,
    },
    /// Exactly these users.
    Users(Vec<UserId>),
}

/// What an event's `data` is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// This JSON.
    Json(serde_json::Value),
    /// The JSON of the value the write's op returns ([`crate::store::Applied`]), which only
    /// the backend knows (e.g. a message's `seq`).
    Applied,
}

/// An event to append to the log with a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// What kind of event it is (`type` on the wire).
    pub kind: EventType,
    /// Room concerned.
    pub room_id: Option<RoomId>,
    /// What its `data` is.
    pub payload: Payload,
    /// Who may receive it.
    pub audience: AudienceRule,
    /// The message the event is about, if any. Its data is that message, and a replay from
    /// the log carries the message as it is when replayed (edited text, no text once
    /// deleted): a backend renders it from the message when read, or rewrites it on edit and
    /// delete, so that the log never replays what the API no longer shows.
    pub message_id: Option<crate::ids::MessageId>,
}

impl EventDraft {
    /// Marks the event as being about `message`.
    pub(crate) fn about(mut self, message: crate::ids::MessageId) -> Self {
        self.message_id = Some(message);
        self
    }

    /// An event for the room's members (after the change).
    pub(crate) fn room(kind: EventType, room: RoomId, payload: Payload) -> Self {
        Self {
            kind,
            room_id: Some(room),
            payload,
            audience: AudienceRule::RoomMembers {
                room,
                plus: Vec::new(),
            },
            message_id: None,
        }
    }

    /// An event for one user.
    pub(crate) fn user(
        kind: EventType,
        room: Option<RoomId>,
        user: UserId,
        payload: Payload,
    ) -> Self {
        Self {
            kind,
            room_id: room,
            payload,
            audience: AudienceRule::Users(vec![user]),
            message_id: None,
        }
    }
}

/// A slice of an account's event log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogSlice {
    /// Events with ids after the requested one, ascending.
    pub events: Vec<Event>,
    /// The highest id dropped by retention (0: none). Ids after it are all in the log except
    /// those deliberately forgotten (an archived room's history), so resuming from an id at
    /// or after it loses nothing a client may still see.
    pub pruned_through: i64,
    /// The newest id ever assigned in the account (0: none).
    pub last_id: i64,
}

/// Build an ephemeral or control event (no id).
pub(crate) fn ephemeral(
    kind: EventType,
    account: AccountId,
    room: Option<RoomId>,
    data: serde_json::Value,
    audience: Audience,
) -> Event {
    Event::new(None, kind, account, room, Timestamp::now(), data, audience)
}
