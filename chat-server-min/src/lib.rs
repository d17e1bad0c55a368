//! # chat-server-min
//!
//! The HTTP API v1 of the internal team chat (routes and errors in `README.md` and the
//! OpenAPI document `openapi.json` served at `/api/v1/openapi.json`; realtime — WebSocket and
//! SSE — in `REALTIME.md`), a thin hyper server over the
//! [`chat_core::Chat`] facade. Every business rule lives in `chat-core`; this crate
//! authenticates, decodes, calls the facade and renders its result or its
//! [`chat_core::ChatError`] (mapped to HTTP in one place, [`http::ApiError`]).
//!
//! Embed it with [`serve`]:
//!
//! ```no_run
//! # async fn run(chat: chat_core::Chat) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let config = chat_server_min::Config::new(std::env::var("CHAT_JWT_SECRET").unwrap_or_default())
//!     .map_err(std::io::Error::other)?;
//! chat_server_min::serve(listener, chat, config, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```
//!
//! Or mount the whole API — REST, WebSocket and SSE — in a host's own router, with the
//! host's listener, TLS and middleware: [`ChatService`] is a `hyper` and `tower` service
//! (`examples/axum_host.rs` nests it under `/chat` of an axum router):
//!
//! ```no_run
//! # async fn run(chat: chat_core::Chat, config: chat_server_min::Config) -> std::io::Result<()> {
//! let chat_api = chat_server_min::ChatService::new(chat, config)?;
//! // axum: Router::new().nest_service("/chat", chat_api.clone())
//! // hyper: serve_connection(io, chat_api.clone().with_prefix("/chat")).with_upgrades()
//! // and when the host stops: chat_api.shutdown().await (realtime clients get `going_away`)
//! # Ok(()) }
//! ```
//!
//! The library takes a plain [`Config`]; the command line (clap) belongs to the binary, behind
//! the default `cli` feature: depend with `default-features = false` to leave it out.
//!
//! It also serves the browser side from `web/` ([`web`]: the chat `/embed`, the admin console
//! `/embed/admin`, the host helper `/embed.js`, content-hashed assets; `/dev` in dev mode).
//!
//! Modules depend one way: [`server`] (accept loop, pipeline, [`ChatService`]) → [`routes`]
//! (the table and every handler) → [`realtime`] (transports) → [`app`] (shared state,
//! admission), [`web`] (the browser side's files and page policy), [`auth`], [`http`],
//! [`ratelimit`], [`config`], [`ops`]. A test (`tools/module-graph`) fails on any cycle.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod auth;
pub mod config;
pub mod dev;
pub mod http;
pub mod ops;
pub mod ratelimit;
pub mod realtime;
pub mod routes;
pub mod server;
pub mod web;

pub use chat_core;
pub use config::{Config, ConfigError, RateConfig, RealtimeConfig};
pub use server::{serve, ChatService};
