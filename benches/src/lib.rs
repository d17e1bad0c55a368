//! The store benchmarks' library: deterministic generated data ([`gen`]), raw SQLite
//! operations with the store's pragmas ([`raw`]) and latency statistics ([`stats`]).
//!
//! The harness is `benches/benches/store/main.rs`: `cargo bench -p chat-benches` (full data) or
//! `CHAT_BENCH_QUICK=1 cargo bench -p chat-benches` (tiny data, seconds).

pub mod gen;
pub mod raw;
pub mod stats;
