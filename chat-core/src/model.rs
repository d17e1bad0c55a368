//! Domain types: what the chat stores and returns.
//!
//! These are the shapes of the HTTP contract (`chat-api-v1.md`) too, so that the server can
//! serialize them without a second set of types.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, AuditId, MessageId, RoomId, Timestamp, UserId};

macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// Parses the wire and storage spelling.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // On the wire exactly as stored (`as_str`): `"room.created"`, `"admin"`.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&s).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&s, &[$($s),+])
                })
            }
        }
    };
}

str_enum!(
    /// A user's role in the account, as the host platform's token says.
    AccountRole {
        /// Manages everything in the account, reads the audit log.
        Admin => "admin",
        /// Manages rooms and members.
        Supervisor => "supervisor",
        /// Chats; creates DMs only.
        Agent => "agent",
    }
);

impl AccountRole {
    /// Admins and supervisors manage every room of their account without being members.
    pub fn is_manager(self) -> bool {
        matches!(self, AccountRole::Admin | AccountRole::Supervisor)
    }
}

str_enum!(
    /// A member's role inside one room.
    RoomRole {
        /// The creator; full control of the room.
        Owner => "owner",
        /// Renames, manages plain members, deletes others' messages.
        Moderator => "moderator",
        /// Reads and writes.
        Member => "member",
    }
);

str_enum!(
    /// Team room or direct message.
    RoomType {
        /// A direct message between exactly two users; membership is fixed.
        Dm => "dm",
        /// A named team room.
        Room => "room",
    }
);

str_enum!(
    /// What kind of message.
    MessageType {
        /// Plain text.
        Text => "text",
        /// Written by the system; clients may not send it.
        System => "system",
        /// A message that mentions users.
        Mention => "mention",
    }
);

str_enum!(
    /// Audited actions.
    AuditAction {
        /// A room or DM was created.
        RoomCreated => "room.created",
        /// A room was renamed.
        RoomUpdated => "room.updated",
        /// A room was archived.
        RoomDeleted => "room.deleted",
        /// A user joined a room.
        MemberAdded => "member.added",
        /// A user left or was removed from a room.
        MemberRemoved => "member.removed",
        /// A message's content changed.
        MessageEdited => "message.edited",
        /// A message was soft-deleted.
        MessageDeleted => "message.deleted",
        /// An admin or supervisor who is not a member read a room's detail (the contract's
        /// manager exception is audited, reads included).
        RoomViewed => "room.viewed",
        /// The service API created a directory entry.
        UserProvisioned => "user.provisioned",
        /// The service API changed a directory entry's name or role.
        UserUpdated => "user.updated",
        /// The service API deactivated a user.
        UserDeactivated => "user.deactivated",
        /// The service API reactivated a user.
        UserReactivated => "user.reactivated",
        /// The service API changed the account's entitlements.
        EntitlementsUpdated => "entitlements.updated",
        /// An admin exported the audit log (`GET /audit/export`); the filters and format are
        /// in the metadata.
        AuditExported => "audit.exported",
    }
);

str_enum!(
    /// Why a user was notified.
    NotificationKind {
        /// A message mentioned them.
        Mention => "mention",
        /// A message in one of their DMs.
        Dm => "dm",
    }
);

/// An in-app notification: one per mention and per DM message, for the recipient only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its id.
    pub id: crate::ids::NotificationId,
    /// Recipient.
    pub user_id: UserId,
    /// `mention` or `dm` (a DM message that mentions the recipient is one `mention`).
    pub kind: NotificationKind,
    /// The room of the message.
    pub room_id: RoomId,
    /// The message.
    pub message_id: MessageId,
    /// When the message was sent.
    pub created_at: Timestamp,
    /// When the recipient marked it read.
    pub read_at: Option<Timestamp>,
}

/// A room or DM. Archived rooms are never returned by reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// Its id.
    pub id: RoomId,
    /// Owning tenant.
    pub account_id: AccountId,
    /// `dm` or `room`.
    #[serde(rename = "type")]
    pub kind: RoomType,
    /// Display name; `None` for DMs.
    pub name: Option<String>,
    /// Creator.
    pub created_by: UserId,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change of the room itself (rename) — not of its messages.
    pub updated_at: Timestamp,
    /// Time of the newest message, if any.
    pub last_message_at: Option<Timestamp>,
    /// `seq` of the newest message; 0 for an empty room.
    pub last_seq: i64,
}

/// A user's membership in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The member.
    pub user_id: UserId,
    /// Role in this room.
    pub role: RoomRole,
    /// When the member last moved their read pointer (`None`: never).
    pub last_read_at: Option<Timestamp>,
    /// `seq` of the newest message the member has read.
    pub last_read_seq: i64,
    /// When the member joined.
    pub joined_at: Timestamp,
}

/// A room together with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDetail {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// Its members, by user id.
    pub members: Vec<Member>,
}

/// A row of the caller's room list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// Messages after the caller's read pointer, not sent by the caller, not deleted.
    pub unread_count: i64,
    /// Of those, how many mention the caller.
    pub mention_count: i64,
}

/// A row of the account-wide room list (managers): the room and how many members it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOverview {
    /// The room.
    #[serde(flatten)]
    pub room: Room,
    /// Its members.
    pub member_count: i64,
}

/// A message. Deleted messages keep their place with `content: None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// The room it concerns.
    pub room_id: RoomId,
    /// The account (tenant) it belongs to.
    pub account_id: AccountId,
    /// Author.
    pub sender_id: UserId,
    /// Text; `None` once deleted.
    pub content: Option<String>,
    /// `text`, `mention` (it mentions someone) or `system`.
    pub message_type: MessageType,
    /// Mentioned users (members of the room when sent).
    pub mentions: Vec<UserId>,
    /// Sender-chosen idempotency key.
    pub client_id: Option<String>,
    /// Per-room position: 1, 2, 3… in commit order.
    pub seq: i64,
    /// Send time.
    pub created_at: Timestamp,
    /// Last edit time.
    pub edited_at: Option<Timestamp>,
    /// Soft-delete time.
    pub deleted_at: Option<Timestamp>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id.
    pub id: AuditId,
    /// The account (tenant) it belongs to.
    pub account_id: AccountId,
    /// Who acted; `None` for the host platform's service API (`metadata.actor: "service"`).
    pub actor_id: Option<UserId>,
    /// What was done.
    pub action: AuditAction,
    /// The room, message or user acted upon, as a string id.
    pub target_id: String,
    /// Action-specific details (room id, previous name, role, acting role…).
    pub metadata: serde_json::Value,
    /// When.
    pub created_at: Timestamp,
}

/// A user known to an account: recorded on every authenticated request and by provisioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The account (tenant) it belongs to.
    pub account_id: AccountId,
    /// The user it concerns.
    pub user_id: UserId,
    /// Display name, if the platform gave one.
    pub name: Option<String>,
    /// Last known account role.
    pub role: AccountRole,
    /// Inactive users cannot act nor be added to rooms.
    pub active: bool,
    /// Last authenticated request.
    pub last_seen_at: Timestamp,
}

/// What an account has bought. Defaults: enabled, no limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlements {
    /// When false, every user operation of the account is refused.
    pub chat_enabled: bool,
    /// Maximum number of live team rooms. DMs are not counted: limiting them would stop
    /// people talking to each other (`docs/behaviour.md`).
    pub max_rooms: Option<u32>,
    /// Maximum members of any one room.
    pub max_members_per_room: Option<u32>,
}

impl Default for Entitlements {
    fn default() -> Self {
        Self {
            chat_enabled: true,
            max_rooms: None,
            max_members_per_room: None,
        }
    }
}

/// Unread state of one room for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomUnread {
    /// The room it concerns.
    pub room_id: RoomId,
    /// Unread messages.
    pub unread_count: i64,
    /// Unread messages that mention the user.
    pub mention_count: i64,
}

/// Unread state of all of a user's rooms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// Sum of `rooms[].unread_count`.
    pub total: i64,
    /// Rooms with their counts (every live room the user is a member of).
    pub rooms: Vec<RoomUnread>,
}

/// The caller's read position after marking a room read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadState {
    /// The room it concerns.
    pub room_id: RoomId,
    /// When the pointer moved (or last moved, if it did not move now).
    pub last_read_at: Option<Timestamp>,
    /// `seq` of the newest read message.
    pub last_read_seq: i64,
    /// Unread messages left in the room.
    pub unread_count: i64,
    /// Unread mentions left in the room.
    pub mention_count: i64,
}

/// A page of a room's messages, newest first, with cursors both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePage {
    /// Messages, newest first.
    pub items: Vec<Message>,
    /// Pass back as `cursor` for the page of older messages; `None` at the room's oldest.
    pub next_cursor: Option<String>,
    /// Pass back as `cursor` for the page of newer messages; `None` when the page holds the
    /// room's newest message.
    pub prev_cursor: Option<String>,
    /// Only on a page read around an anchor: the id it is centred on, `Some(None)` when
    /// there was nothing unread to centre on (the newest page). `None` (absent on the
    /// wire) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_id: Option<Option<MessageId>>,
}

/// One page of a list, newest first, with an opaque cursor to the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

pub(crate) use str_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_use_their_wire_spelling() {
        assert_eq!(serde_json::json!(AuditAction::RoomCreated), "room.created");
        assert_eq!(serde_json::json!(AccountRole::Supervisor), "supervisor");
        let parsed: AuditAction = serde_json::from_str("\"message.deleted\"").unwrap();
        assert_eq!(parsed, AuditAction::MessageDeleted);
        assert!(serde_json::from_str::<RoomRole>("\"boss\"").is_err());
        assert!(serde_json::from_str::<RoomRole>("3").is_err());
    }
}
