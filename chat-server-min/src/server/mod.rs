//! The hyper server: the accept loop with graceful shutdown, feeding each connection's
//! requests to the pipeline (`pipeline.rs`). The top of the crate: it uses the route table and everything
//! below; nothing uses it.

pub(crate) mod pipeline;
mod refusals;
pub mod service;

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chat_core::Chat;
use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::stopping;
use crate::app::App;
use crate::config::Config;
use crate::http::Kill;
use crate::ops::log::ACCESS_TARGET;
use pipeline::Pipeline;
use refusals::{Guarded, Open, Refused};
pub use service::ChatService;

/// How often idle rate-limit keys are evicted.
const EVICT_EVERY: Duration = Duration::from_secs(60);
/// Header fields a request may have (hyper's default, stated): more is `431`.
const MAX_HEADERS: usize = 100;

/// Serves the API on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish (up to [`Config::shutdown_grace`]) and returns.
///
/// Fails at once (`InvalidInput`) when the configuration is invalid (see
/// [`Config::validate`]).
pub async fn serve(
    listener: TcpListener,
    chat: Chat,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let grace = config.shutdown_grace;
    let header_read_timeout = config.header_read_timeout;
    // One permit per open connection, held by its socket (so an upgraded WebSocket keeps it).
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let pipeline = Arc::new(Pipeline::start(chat, config)?);
    let app = Arc::clone(&pipeline.app);
    let evictor = spawn_evictor(Arc::downgrade(&pipeline));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_headers(MAX_HEADERS);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        // Full: close at once (an immediate EOF, not a connect that hangs in
                        // the backlog until the client gives up), before any read or task.
                        app.metrics.connections_refused.inc();
                        drop(stream);
                        continue;
                    };
                    // No Nagle: an event frame or a response must not wait for the peer's
                    // delayed ACK of the previous one (up to 200 ms on Linux: it was the
                    // fan-out's p99).
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                    let kill = Kill::default();
                    let service = service_fn({
                        let pipeline = Arc::clone(&pipeline);
                        let kill = kill.clone();
                        move |req| handle(Arc::clone(&pipeline), req, kill.clone())
                    });
                    let refused = Arc::new(OnceLock::new());
                    let io = TokioIo::new(Guarded::new(
                        stream,
                        Arc::clone(&refused),
                        Open::new(permit, app.metrics.connections_open.clone()),
                    ));
                    let conn = builder.serve_connection(io, service).with_upgrades();
                    let app = Arc::clone(&app);
                    // Held until the connection ends: shutdown waits for every one.
                    let mut stop = app.realtime.shutdown_watch();
                    tokio::spawn(async move {
                        tokio::pin!(conn);
                        let result = tokio::select! {
                            result = conn.as_mut() => result,
                            () = kill.fired() => return,
                            () = stopping(&mut stop) => {
                                // Finish in-flight requests, then close.
                                conn.as_mut().graceful_shutdown();
                                tokio::select! {
                                    result = conn.as_mut() => result,
                                    () = kill.fired() => return,
                                }
                            }
                        };
                        if let Some(refused) = refused.get() {
                            log_refused(&app, refused);
                        }
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    drop(listener);
    evictor.abort();
    // In-flight requests finish; realtime connections close with `going_away`.
    app.realtime.begin_shutdown();
    tokio::select! {
        () = app.realtime.drained() => tracing::info!("shut down: all connections drained"),
        () = tokio::time::sleep(grace) => tracing::warn!("shutdown grace period over; dropping connections"),
    }
    Ok(())
}

/// The access line and metrics of a request hyper refused to parse (answered by
/// [`Guarded`]).
fn log_refused(app: &App, refused: &Refused) {
    let status = refused.status.as_u16();
    app.metrics.observe("OTHER", "unparsed", status, 0.0);
    tracing::info!(
        target: ACCESS_TARGET,
        request_id = refused.request_id.as_str(),
        method = "OTHER",
        route = "unparsed",
        status,
        latency_ms = 0.0,
        "request"
    );
}

/// One request of a connection of ours: the SSE transport may need to drop the connection,
/// so it gets the connection's kill switch.
async fn handle(
    pipeline: Arc<Pipeline>,
    mut req: Request<Incoming>,
    kill: Kill,
) -> Result<http::Response<crate::http::ResponseBody>, Infallible> {
    req.extensions_mut().insert(kill);
    Ok(pipeline.handle(req).await)
}

/// Periodic upkeep of a pipeline's state (idle rate-limit keys, expired tickets) until it is
/// gone: holding only a weak reference, the task ends with the last user of the pipeline.
fn spawn_evictor(pipeline: std::sync::Weak<Pipeline>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVICT_EVERY);
        loop {
            every.tick().await;
            match pipeline.upgrade() {
                Some(p) => p.app.evict_idle(),
                None => break,
            }
        }
    })
}
