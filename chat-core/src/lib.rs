//! # chat-core
//!
//! The domain of an embeddable, multi-tenant internal team chat: types, the [`ChatStore`]
//! storage trait, the policy engine, validation, and the [`Chat`] facade through which every
//! operation goes (validation → policy → one atomic store write with its audit entries).
//!
//! This crate has no database driver; `chat-sqlite` is the embedded default backend. Every
//! backend runs the conformance suite in [`testing`] (feature `testing`).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod chat;
pub mod cursor;
pub mod error;
pub mod events;
pub mod hub;
pub mod ids;
pub mod model;
pub mod policy;
pub mod presence;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod validate;

pub use chat::{
    Actor, Chat, Identity, NewMessage, NewRoom, Subscription, SubscriptionEnd, TYPING_THROTTLE,
    TYPING_TTL,
};
pub use error::{ChatError, FieldError, Result};
pub use ids::{AccountId, AuditId, MessageId, NotificationId, RoomId, Timestamp, UserId};
pub use model::*;
pub use store::ChatStore;
