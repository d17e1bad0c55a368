//! The realtime transports: WebSocket (`/ws`) and Server-Sent Events (`/events`), thin
//! adapters over [`chat_core::Chat::subscribe`] and the presence tracker. The protocol,
//! limits and close codes are documented in `REALTIME.md`.
//!
//! Every connection goes through `open`, which refuses **before** any upgrade or stream
//! starts, with the usual JSON error: a foreign `Origin` (403), a malformed handshake (426),
//! a bad `since` (422), no/invalid token or ticket (401), another account (403), a disabled
//! account or deactivated user (403), too many connections of the user (429). Then it
//! subscribes (so nothing committed after the handshake is missed), registers presence and
//! hands the session to the transport.
//!
//! Each connection has a **pump** task: it pulls events from the subscription and puts them
//! on a bounded queue ([`crate::RealtimeConfig::queue_capacity`]) that the socket writer
//! drains. The pump is the only thing that ever waits on a slow socket: publishers and other
//! subscribers never do (the library's bus does not wait, and a subscription that falls behind
//! reads the log instead of buffering). When the queue stays full, or one socket write stalls,
//! longer than [`crate::RealtimeConfig::slow_consumer_after`], the connection is closed as a
//! slow consumer and the client resumes with `since`.
//!
//! One file per concern: [`end`] (why a connection ends, close codes), `open` (the checks
//! and the hand-over), `slots` (the per-user connection limit), `session`, `pump`, and
//! the transports [`ws`] and [`sse`]. The shared state (tickets, counts, the shutdown signal)
//! is [`crate::app::Realtime`]; this module uses `app`, `http` and `auth` and never the
//! route table or the server above it.

pub mod end;
pub(crate) mod open;
pub(crate) mod pump;
pub(crate) mod session;
pub(crate) mod slots;
pub mod sse;
pub mod ws;

pub use end::{error_frame, End};
pub(crate) use open::open;

/// A realtime transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET /ws`.
    Ws,
    /// `GET /events`.
    Sse,
}

impl Transport {
    /// The `transport` metric label.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Sse => "sse",
        }
    }
}
