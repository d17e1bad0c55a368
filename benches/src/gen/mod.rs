//! Deterministic generated data, written straight into SQLite (the facade would take hours for
//! a million messages), keeping every invariant the store maintains:
//!
//! - `rooms.last_seq` = the newest `seq` (1, 2, 3… with no gap), `last_message_at` its time;
//! - per member: `last_read_seq`, a `skipped_count` such that `last_seq - last_read_seq -
//!   skipped_count` and a `mention_count` equal the live messages of others (mentions of them)
//!   after that pointer; a sender's pointer is at or past
//!   their own newest message;
//! - mentions rows for every mention, one `mention` notification per mentioned member;
//! - deleted messages: content erased, `deleted_at` set, a `message.deleted` audit entry;
//! - the event log: per-account ids 1, 2, 3… in commit order with the counter at the last id,
//!   the newest `keep_events` rows kept (what count-based retention leaves) and
//!   `pruned_through` just below them; message events carry their `message_id` and no data
//!   (the store renders them from the message row when read);
//! - audit `room.created` / `member.added` for every room, as the facade writes them.
//!
//! The schema comes from `chat_sqlite::SqliteStore` itself (its migrations); [`verify`]
//! recounts every counter from the rows after generation.
//!
//! One concern per submodule, in the order data flows: the random source (`rng`), who is who
//! (`layout`), what gets sent and read (`plan`), the rows written (`write`), the recount
//! (`invariants`) and the cached file (`cache`). Every random stream has its own seed, so the
//! modules cannot perturb each other's draws.

mod cache;
mod invariants;
mod layout;
mod plan;
mod rng;
mod write;

pub use cache::ensure;
pub use invariants::verify;
pub use layout::{Layout, RoomSpec, Size};
pub use rng::Rng;

/// Bump when the generated data changes: cached files of other versions are ignored.
pub const GEN_VERSION: u32 = 4;

/// The two accounts.
pub const ACCOUNTS: [i64; 2] = [1, 2];
/// Start of the generated history (2025-12-01T00:00:00Z) and its span (30 days).
const T_START: i64 = 1_764_547_200_000;
const SPAN_MS: i64 = 30 * 24 * 3600 * 1000;
