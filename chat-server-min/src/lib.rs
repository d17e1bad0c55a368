//! # chat-server-min
//!
//! The HTTP API v1 (`shared/spec/chat-api-v1.md`) over [`chat_core::Chat`] will live here
//! (issue #3). Until then the crate only re-exports the library so that the workspace layout
//! is the final one; it serves nothing.

pub use chat_core;
