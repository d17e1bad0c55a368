//! Examples live in `embed.rs` and friends; run `cargo run -p chat-examples --example embed`.
