//! `GET /ws`: the WebSocket transport (tokio-tungstenite over hyper's upgrade).
//!
//! Server → client: every event as one text frame (the spec's event object), `{"type":"pong"}`
//! for a client ping, `{"type":"error","code","message"}` for a frame it could not use.
//! Client → server: `{"type":"typing","room_id"}`, `{"type":"presence","status"}`,
//! `{"type":"ping"}`. Close codes: see [`super::End::ws_close_code`] and `REALTIME.md`.
//!
//! Here: the connection's loop (events out, client frames in, keepalive, closing); the
//! handshake check and the client frames are in their own files.

mod frames;
#[doc(hidden)]
pub mod fuzz;
mod handshake;

pub use frames::MAX_FRAMES_PER_SEC;
pub(crate) use handshake::accept_key;

use std::time::{Duration, Instant};

use chat_core::events::Event;
use chat_core::Subscription;
use futures_util::{SinkExt, StreamExt};
use http::StatusCode;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::error::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use frames::{handle_text, FrameBudget};

use super::pump::pump;
use super::session::{AbortOnDrop, Session};
use super::{error_frame, End};
use crate::http::Reply;

/// Largest client frame and message: 16 KiB (a larger one closes the connection with 1009).
pub const MAX_CLIENT_MESSAGE: usize = 16 * 1024;
/// Read buffer per connection (allocated up front by tungstenite; grows only for a frame that
/// does not fit, up to [`MAX_CLIENT_MESSAGE`]).
pub const READ_BUFFER: usize = 2 * 1024;
/// Cap of the outgoing buffer: it only fills while the socket does not drain; the writer
/// gives up before (slow consumer).
pub const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// Frames queued for one connection are written together, up to this many bytes per write:
/// under fan-out a socket gets one syscall per wake-up instead of one per event. An idle
/// connection's buffer stays empty (it is only filled while writing).
pub const WRITE_BATCH: usize = 8 * 1024;
/// Most queued events written in one batch.
const BATCH_EVENTS: usize = 64;
/// How long closing waits for the close handshake before dropping the socket.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
/// Most bytes discarded after closing on a frame that could not be read (within
/// [`CLOSE_WAIT`]).
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// The socket type after the upgrade.
type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// The WebSocket configuration: small buffers (idle memory per connection), 16 KiB cap.
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BATCH)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE))
}

/// Answers `101` and runs the session once hyper hands over the connection.
pub(crate) fn start(
    session: Session,
    sub: Subscription,
    accept_key: &str,
    upgrade: OnUpgrade,
) -> Reply {
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config()),
                )
                .await;
                run(session, sub, socket).await;
            }
            Err(e) => {
                tracing::debug!(error = %e, "WebSocket upgrade failed");
                session.finish(End::Client);
            }
        }
    });
    Reply::empty(StatusCode::SWITCHING_PROTOCOLS)
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .header("sec-websocket-accept", accept_key.to_owned())
}

fn render(event: &Event) -> Option<Utf8Bytes> {
    // Rendered once per event, shared by every subscriber; the copy here is a memcpy.
    match event.to_json() {
        Ok(text) => Some(Utf8Bytes::from(&*text)),
        Err(e) => {
            tracing::error!(error = %e, "event serialization failed");
            None
        }
    }
}

/// Sends one frame, giving up (slow consumer) when the socket does not take it in time.
async fn send(socket: &mut Socket, message: Message, within: Duration) -> Result<(), End> {
    match tokio::time::timeout(within, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Client),
        Err(_) => Err(End::SlowConsumer),
    }
}

/// Sends `first` and whatever else is already queued (up to [`BATCH_EVENTS`]) with one flush;
/// returns how many events went out.
async fn send_batch(
    socket: &mut Socket,
    first: Utf8Bytes,
    rx: &mut mpsc::Receiver<Utf8Bytes>,
    within: Duration,
) -> Result<u64, End> {
    let work = async {
        socket.feed(Message::Text(first)).await?;
        let mut n = 1;
        while n < BATCH_EVENTS as u64 {
            match rx.try_recv() {
                Ok(text) => {
                    socket.feed(Message::Text(text)).await?;
                    n += 1;
                }
                Err(_) => break,
            }
        }
        socket.flush().await?;
        Ok::<u64, WsError>(n)
    };
    match tokio::time::timeout(within, work).await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(_)) => Err(End::Client),
        Err(_) => Err(End::SlowConsumer),
    }
}

/// Turns in a row that may serve queued events before the socket's read side and the ping
/// timer are polled first again.
const EVENTS_BEFORE_READ: u32 = 16;

/// What woke the connection's task.
enum Wake {
    Pump(End),
    Frame(Option<Result<Message, WsError>>),
    Tick,
    Queued(Option<Utf8Bytes>),
}

async fn run(session: Session, sub: Subscription, mut socket: Socket) {
    let app = session.app.clone();
    let cfg = &app.config.realtime;
    let slow_after = cfg.slow_consumer_after;
    let (tx, mut rx) = mpsc::channel(cfg.queue_capacity);
    let mut pumping = AbortOnDrop(tokio::spawn(pump(
        sub,
        tx,
        render,
        slow_after,
        session.deadline,
        session.shutdown.clone(),
    )));
    let ping_every = cfg.ping_interval;
    let mut ping = tokio::time::interval_at((Instant::now() + ping_every).into(), ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut budget = FrameBudget::new();
    let mut queue_open = true;
    let delivered = app
        .metrics
        .realtime_events
        .with_label_values(&[super::Transport::Ws.label()]);
    // Client frames and keepalive must not starve behind a steady stream of events (pongs,
    // the client's close), but polling the socket's read side on every event is ~10% of a
    // fan-out's server time: queued events go first, and at least every
    // `EVENTS_BEFORE_READ`-th turn the socket and the ping timer do.
    let mut events_in_a_row = 0;
    let end = loop {
        let events_first = events_in_a_row < EVENTS_BEFORE_READ;
        let wake = if events_first {
            tokio::select! {
                biased;
                ended = &mut pumping.0 => Wake::Pump(ended.unwrap_or(End::Internal)),
                item = rx.recv(), if queue_open => Wake::Queued(item),
                frame = socket.next() => Wake::Frame(frame),
                _ = ping.tick() => Wake::Tick,
            }
        } else {
            tokio::select! {
                biased;
                ended = &mut pumping.0 => Wake::Pump(ended.unwrap_or(End::Internal)),
                frame = socket.next() => Wake::Frame(frame),
                _ = ping.tick() => Wake::Tick,
                item = rx.recv(), if queue_open => Wake::Queued(item),
            }
        };
        match wake {
            Wake::Queued(_) => events_in_a_row += 1,
            _ => events_in_a_row = 0,
        }
        match wake {
            Wake::Pump(end) => break end,
            Wake::Frame(frame) => {
                last_heard = Instant::now();
                let reply = match frame {
                    None => break End::Client,
                    Some(Err(e)) => break read_error(&e),
                    Some(Ok(Message::Text(text))) => {
                        handle_text(&session, &mut budget, text.as_str()).await
                    }
                    Some(Ok(Message::Binary(_))) => Some(error_frame(
                        "validation_failed",
                        "binary frames are not supported; send JSON text frames",
                    )),
                    // tungstenite answers pings and the closing handshake itself.
                    Some(Ok(_)) => None,
                };
                if let Some(reply) = reply {
                    if let Err(end) = send(&mut socket, Message::text(reply), slow_after).await {
                        break end;
                    }
                }
            }
            Wake::Tick => {
                if last_heard.elapsed() >= ping_every * 2 {
                    break End::KeepaliveTimeout;
                }
                if let Err(end) =
                    send(&mut socket, Message::Ping(Default::default()), slow_after).await
                {
                    break end;
                }
            }
            Wake::Queued(Some(text)) => {
                match send_batch(&mut socket, text, &mut rx, slow_after).await {
                    Ok(n) => delivered.inc_by(n),
                    Err(end) => break end,
                }
            }
            // The pump ended; its reason arrives on the first branch.
            Wake::Queued(None) => queue_open = false,
        }
    };
    // Stop the pump (and its subscription) first: nothing more is delivered.
    drop(pumping);
    session.finish(end);
    if end != End::Client {
        let frame = CloseFrame {
            code: CloseCode::from(end.ws_close_code()),
            reason: Utf8Bytes::from(format!("{}: {}", end.code(), end.message())),
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            if socket.close(Some(frame)).await.is_ok() {
                if matches!(end, End::TooBig | End::ProtocolError) {
                    // tungstenite stopped at the offending frame, whose payload may still be
                    // arriving; it cannot parse past it. Closing a socket with unread bytes
                    // makes the kernel send a reset, which can destroy the close frame before
                    // the client reads it: end our side after the close frame, then discard
                    // what the client still sends until it closes too (bounded).
                    drain(socket.get_mut()).await;
                } else {
                    // Wait for the client's close frame, then the end of the stream.
                    while let Some(Ok(_)) = socket.next().await {}
                }
            }
        })
        .await;
    }
    // Dropping the session ends the presence connection and frees the slot.
    drop(session);
}

/// Why a connection ends when reading the client's next frame fails: over the size limit
/// (1009), not WebSocket or not UTF-8 (1002), anything else is the client going away.
fn read_error(e: &WsError) -> End {
    match e {
        WsError::Capacity(_) => End::TooBig,
        WsError::Protocol(_) | WsError::Utf8(_) => End::ProtocolError,
        _ => End::Client,
    }
}

/// Half-closes `io` (FIN after the close frame already written) and reads and discards what
/// the client still sends, up to [`DRAIN_LIMIT`] bytes or its end.
async fn drain(io: &mut TokioIo<Upgraded>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = io.shutdown().await;
    let mut buf = vec![0u8; 16 * 1024];
    let mut left = DRAIN_LIMIT;
    while left > 0 {
        match io.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}
