//! The operations a generated sequence is made of, and their strategies.
//!
//! Everything is a small index resolved when the step runs: `actor` into `state::USERS`,
//! `UserRef` into the users of the actor's account or, when `foreign`, of the other account,
//! and `room` / `msg` into the model's list of ids ever created in either account:
//! below [`ANY`] among those the actor can currently reach (rooms they are a member of,
//! messages of those rooms; for `MarkRead::to`, messages of the room being marked), falling
//! back to all ids when there are none; from [`ANY`] among every id of both accounts (live,
//! archived, foreign); from [`GHOST`] an id that never existed. So shrinking never makes a
//! sequence invalid, and printed failing sequences stay readable.

use crate::RoomRole;
use proptest::prelude::*;

/// `actor` values from here on, in operations on a room or a message, pick the room (the
/// message) first, among all live rooms (messages of live rooms) of both accounts, and then
/// the actor among the room's members (for `Edit`: the message's sender), so that members
/// act on their rooms often.
pub const MEMBER: u8 = 128;
/// Room and message indices from here on pick among all ids of both accounts.
pub const ANY: u8 = 140;
/// Room and message indices from here on name an id that was never created.
pub const GHOST: u8 = 240;

/// Message contents; some are invalid (blank, NUL).
pub const CONTENTS: &[&str] = &["hello", "  padded  ", "olá 😀", "   ", "nul\0byte", "again"];
/// Room names; some are invalid (blank, control character).
pub const NAMES: &[&str] = &["general", "  ops  ", " ", "Suporte Interno", "bell\u{7}"];

/// A user relative to the acting user's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRef {
    /// A user of the other account.
    pub foreign: bool,
    /// Index among that account's users.
    pub idx: u8,
}

/// What an audit listing filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditBy {
    Action,
    Actor,
    Target,
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateRoom {
        actor: u8,
        name: u8,
        members: Vec<UserRef>,
    },
    /// `with` usually names one user; zero, two or oneself are validation errors.
    CreateDm {
        actor: u8,
        with: Vec<UserRef>,
    },
    Rename {
        actor: u8,
        room: u8,
        name: u8,
    },
    Archive {
        actor: u8,
        room: u8,
    },
    AddMembers {
        actor: u8,
        room: u8,
        users: Vec<UserRef>,
        role: Option<RoomRole>,
    },
    /// `user: None` is leaving (removing oneself).
    Remove {
        actor: u8,
        room: u8,
        user: Option<UserRef>,
    },
    /// `client_id: Some(n)`: key `c{n}` (n < 3) or an invalid key (n = 3).
    Send {
        actor: u8,
        room: u8,
        content: u8,
        mentions: Vec<UserRef>,
        client_id: Option<u8>,
    },
    /// `Op::Send`s (without client ids) that run at once, so that a backend's write
    /// batching really forms; their effects are checked in the order the store gave them.
    Burst(Vec<Op>),
    Edit {
        actor: u8,
        msg: u8,
        content: u8,
    },
    Delete {
        actor: u8,
        msg: u8,
    },
    /// `to: None` marks up to the newest message.
    MarkRead {
        actor: u8,
        room: u8,
        to: Option<u8>,
    },
    GetRoom {
        actor: u8,
        room: u8,
    },
    /// Walks every page; `limit` 50 is sent as none (the default).
    ListMessages {
        actor: u8,
        room: u8,
        limit: u8,
    },
    /// Walks every page; `limit` 50 is sent as none (the default).
    ListRooms {
        actor: u8,
        limit: u8,
    },
    Unread {
        actor: u8,
    },
    /// `filter`: none, by action, by actor, or by target (a room), and what to pick.
    ListAudit {
        actor: u8,
        filter: Option<(AuditBy, u8)>,
    },
    /// Cursors used where they do not belong: `other`'s room-list cursor by `actor`, a
    /// tampered one, and a message cursor of one room on another room.
    CursorMisuse {
        actor: u8,
        other: u8,
        room: u8,
        other_room: u8,
    },
    /// The host platform changes an account's plan (`account` 0 or 1).
    SetEntitlements {
        account: u8,
        enabled: bool,
        max_rooms: Option<u32>,
        max_members: Option<u32>,
    },
    /// The host platform (de)activates a user's directory entry.
    SetActive {
        user: u8,
        active: bool,
    },
}

fn actor() -> impl Strategy<Value = u8> {
    0..super::state::USERS.len() as u8
}

/// Any user, or (from [`MEMBER`] on) a member of the target room.
fn room_actor() -> impl Strategy<Value = u8> {
    prop_oneof![actor(), MEMBER..=u8::MAX]
}

/// Mostly admins and supervisors (indices of `state::USERS`), who may create rooms.
fn manager() -> impl Strategy<Value = u8> {
    prop_oneof![3 => prop::sample::select(vec![0u8, 1, 5, 6]), 1 => actor()]
}

/// Mostly an id the actor can reach, often any id, now and then one that never existed.
fn target() -> impl Strategy<Value = u8> {
    prop_oneof![12 => 0..ANY, 8 => ANY..GHOST, 1 => GHOST..=u8::MAX]
}

fn user_ref() -> impl Strategy<Value = UserRef> {
    (prop::bool::weighted(0.1), 0..4u8).prop_map(|(foreign, idx)| UserRef { foreign, idx })
}

fn users(max: usize) -> impl Strategy<Value = Vec<UserRef>> {
    prop::collection::vec(user_ref(), 0..=max)
}

fn role() -> impl Strategy<Value = Option<RoomRole>> {
    prop_oneof![
        3 => Just(None),
        2 => Just(Some(RoomRole::Member)),
        1 => Just(Some(RoomRole::Moderator)),
        1 => Just(Some(RoomRole::Owner)),
    ]
}

/// A small page size, now and then one outside 1–100, or 50: none given (the default).
fn limit() -> impl Strategy<Value = u8> {
    prop_oneof![8 => 1..5u8, 1 => Just(0u8), 1 => Just(101u8), 1 => Just(50u8)]
}

fn content() -> impl Strategy<Value = u8> {
    // Mostly valid text.
    prop_oneof![10 => Just(0u8), 5 => Just(1), 5 => Just(2), 5 => Just(5), 1 => Just(3), 1 => Just(4)]
}

fn name() -> impl Strategy<Value = u8> {
    prop_oneof![10 => Just(0u8), 5 => Just(1), 5 => Just(3), 1 => Just(2), 1 => Just(4)]
}

/// A sequence of at most `max` steps: a few rooms and DMs first, so that most later steps
/// have something to act on, then anything.
pub fn sequence(max: usize) -> impl Strategy<Value = Vec<Op>> {
    (
        prop::collection::vec(create(), 1..=4),
        prop::collection::vec(op(), 1..=max - 4),
    )
        .prop_map(|(mut first, rest)| {
            first.extend(rest);
            first
        })
}

/// Creating a room (mostly by a manager) or a DM.
fn create() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (manager(), name(), users(3))
            .prop_map(|(actor, name, members)| Op::CreateRoom { actor, name, members }),
        1 => (actor(), prop_oneof![8 => prop::collection::vec(user_ref(), 1..=1), 1 => users(2)])
            .prop_map(|(actor, with)| Op::CreateDm { actor, with }),
    ]
}

/// One operation, weighted towards the writes that change counters.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => create(),
        1 => (room_actor(), target(), name()).prop_map(|(actor, room, name)| Op::Rename { actor, room, name }),
        1 => (room_actor(), target()).prop_map(|(actor, room)| Op::Archive { actor, room }),
        3 => (prop_oneof![manager(), MEMBER..=u8::MAX], target(), prop::collection::vec(user_ref(), 1..=2), role())
            .prop_map(|(actor, room, users, role)| Op::AddMembers { actor, room, users, role }),
        2 => (room_actor(), target(), prop::option::weighted(0.6, user_ref()))
            .prop_map(|(actor, room, user)| Op::Remove { actor, room, user }),
        12 => send(prop::option::weighted(0.4, 0..4u8)),
        2 => (room_actor(), target(), content()).prop_map(|(actor, msg, content)| Op::Edit { actor, msg, content }),
        2 => (room_actor(), target()).prop_map(|(actor, msg)| Op::Delete { actor, msg }),
        4 => (room_actor(), target(), prop::option::weighted(0.5, target()))
            .prop_map(|(actor, room, to)| Op::MarkRead { actor, room, to }),
        1 => (room_actor(), target()).prop_map(|(actor, room)| Op::GetRoom { actor, room }),
        1 => (room_actor(), target(), limit()).prop_map(|(actor, room, limit)| Op::ListMessages { actor, room, limit }),
        1 => (actor(), limit()).prop_map(|(actor, limit)| Op::ListRooms { actor, limit }),
        1 => actor().prop_map(|actor| Op::Unread { actor }),
        1 => (actor(), prop::option::of((
                prop_oneof![Just(AuditBy::Action), Just(AuditBy::Actor), Just(AuditBy::Target)],
                any::<u8>(),
            )))
            .prop_map(|(actor, filter)| Op::ListAudit { actor, filter }),
        1 => (actor(), actor(), target(), target())
            .prop_map(|(actor, other, room, other_room)| Op::CursorMisuse { actor, other, room, other_room }),
        1 => (0..2u8, prop::bool::weighted(0.85), prop::option::weighted(0.3, 1..4u32),
              prop::option::weighted(0.3, 2..5u32))
            .prop_map(|(account, enabled, max_rooms, max_members)| Op::SetEntitlements {
                account, enabled, max_rooms, max_members
            }),
        1 => (actor(), prop::bool::weighted(0.4)).prop_map(|(user, active)| Op::SetActive { user, active }),
    ]
}

/// A send, with a client id from `client_id`.
fn send(client_id: impl Strategy<Value = Option<u8>>) -> impl Strategy<Value = Op> {
    (
        room_actor(),
        target(),
        content(),
        prop_oneof![3 => Just(vec![]), 2 => users(2)],
        client_id,
    )
        .prop_map(|(actor, room, content, mentions, client_id)| Op::Send {
            actor,
            room,
            content,
            mentions,
            client_id,
        })
}

/// Like [`sequence`], with bursts of 2 to 12 concurrent sends among the steps.
pub fn concurrent_sequence(max: usize) -> impl Strategy<Value = Vec<Op>> {
    let step = prop_oneof![
        2 => op(),
        1 => prop::collection::vec(send(Just(None)), 2..=12).prop_map(Op::Burst),
    ];
    (
        prop::collection::vec(create(), 1..=4),
        prop::collection::vec(step, 1..=max - 4),
    )
        .prop_map(|(mut first, rest)| {
            first.extend(rest);
            first
        })
}

impl Op {
    /// The room index of an operation on a room.
    pub fn room(&self) -> Option<u8> {
        match self {
            Op::Rename { room, .. }
            | Op::Archive { room, .. }
            | Op::AddMembers { room, .. }
            | Op::Remove { room, .. }
            | Op::Send { room, .. }
            | Op::MarkRead { room, .. }
            | Op::GetRoom { room, .. }
            | Op::ListMessages { room, .. } => Some(*room),
            _ => None,
        }
    }

    /// The message index of an operation on a message.
    pub fn msg(&self) -> Option<u8> {
        match self {
            Op::Edit { msg, .. } | Op::Delete { msg, .. } => Some(*msg),
            _ => None,
        }
    }

    /// The acting user's index, for the operations users make.
    pub fn actor(&self) -> Option<u8> {
        match self {
            Op::CreateRoom { actor, .. }
            | Op::CreateDm { actor, .. }
            | Op::Rename { actor, .. }
            | Op::Archive { actor, .. }
            | Op::AddMembers { actor, .. }
            | Op::Remove { actor, .. }
            | Op::Send { actor, .. }
            | Op::Edit { actor, .. }
            | Op::Delete { actor, .. }
            | Op::MarkRead { actor, .. }
            | Op::GetRoom { actor, .. }
            | Op::ListMessages { actor, .. }
            | Op::ListRooms { actor, .. }
            | Op::Unread { actor }
            | Op::ListAudit { actor, .. }
            | Op::CursorMisuse { actor, .. } => Some(*actor),
            Op::SetEntitlements { .. } | Op::SetActive { .. } | Op::Burst(_) => None,
        }
    }
}
