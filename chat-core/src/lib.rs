//! # chat-core
//!
//! The domain of an embeddable, multi-tenant internal team chat: types, the [`ChatStore`]
//! storage trait, the policy engine, validation, and the [`Chat`] facade through which every
//! operation goes (validation → policy → one atomic store write with its audit entries, events
//! and notifications).
//!
//! This crate has no database driver; `chat-sqlite` is the embedded default backend. Every
//! backend runs the conformance suite in `testing` (feature `testing`).
//!
//! Realtime lives here too: every write appends its events to the store's log in the same
//! transaction, [`Chat::subscribe`] replays and follows them, [`presence`] tracks who is
//! connected, and [`Chat::typing`] sends ephemeral typing indicators.
//!
//! `Chat` must be used from within a Tokio runtime: writes are applied and published on a
//! spawned task (so a caller that goes away cannot leave a committed event unpublished), and
//! presence runs a timer.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod actor;
mod chat;
pub mod cursor;
pub mod error;
pub mod events;
pub mod fold;
pub mod hub;
pub mod ids;
pub mod model;
pub mod policy;
pub mod presence;
pub mod stats;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod validate;

pub use chat::{
    Actor, Anchor, AuditExport, Chat, Identity, NewMessage, NewRoom, ResumeOutcome, Subscription,
    SubscriptionEnd, DIRECTORY_DEFAULT_LIMIT, EXPORT_PAGE, EXPORT_RETRY_AFTER_SECS,
    MAX_QUERY_CHARS, MAX_REPLAY_EVENTS, STATS_GRACE_MS, TYPING_THROTTLE, TYPING_TTL,
};
pub use error::{ChatError, FieldError, Result, StorageFault};
pub use ids::{AccountId, AuditId, MessageId, NotificationId, RoomId, Timestamp, UserId};
pub use model::*;
pub use store::ChatStore;
