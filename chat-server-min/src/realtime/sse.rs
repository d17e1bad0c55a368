//! `GET /events`: the Server-Sent Events transport.
//!
//! Each event is `id: <id>` (omitted for ephemeral events), `event: <type>`, `data: <JSON
//! event object>` and a blank line. A comment line (`: heartbeat`) goes out every
//! [`crate::RealtimeConfig::sse_heartbeat`]. When the server ends the stream (slow consumer,
//! token expired, user deactivated, shutdown) it first sends `event: error` with
//! `{"type":"error","code","message"}`. Responses carry `Connection: close`: the HTTP
//! connection ends with the stream.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use chat_core::events::Event;
use chat_core::Subscription;
use http::StatusCode;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::pump::pump;
use super::session::{AbortOnDrop, Session};
use super::End;
use crate::http::{Kill, Reply};

/// How long a slow consumer's connection is left to drain the final `event: error` before it
/// is dropped outright.
const KILL_AFTER: Duration = Duration::from_secs(1);

/// Renders one event as an SSE message.
pub fn render(event: &Event) -> Option<Bytes> {
    // Rendered once per event, shared by every subscriber.
    let json = match event.to_json() {
        Ok(json) => json,
        Err(e) => {
            tracing::error!(error = %e, "event serialization failed");
            return None;
        }
    };
    let mut out = String::with_capacity(json.len() + 64);
    if let Some(id) = event.id {
        out.push_str("id: ");
        out.push_str(&id.to_string());
        out.push('\n');
    }
    out.push_str("event: ");
    out.push_str(event.kind.as_str());
    out.push_str("\ndata: ");
    // serde_json never writes a raw newline, so the JSON is one `data:` line.
    out.push_str(&json);
    out.push_str("\n\n");
    Some(Bytes::from(out))
}

fn error_message(end: End) -> Bytes {
    Bytes::from(format!("event: error\ndata: {}\n\n", end.error_json()))
}

/// Starts the stream: the pump task fills the queue, the body drains it.
pub(crate) fn start(session: Session, sub: Subscription, kill: Kill) -> Reply {
    let cfg = &session.app.config.realtime;
    let (tx, rx) = mpsc::channel(cfg.queue_capacity);
    let (end_tx, end_rx) = oneshot::channel();
    let reason = Arc::new(OnceLock::new());
    let slow_after = cfg.slow_consumer_after;
    let pumping = tokio::spawn(pump(
        sub,
        tx,
        render,
        slow_after,
        session.deadline,
        session.shutdown.clone(),
    ));
    // Waits for the pump, tells the body why it ended, and cuts off a consumer whose socket
    // stays blocked (hyper would never poll the body again to end it).
    let supervisor = tokio::spawn({
        let reason = Arc::clone(&reason);
        async move {
            // Aborting the supervisor drops this guard, which aborts the pump.
            let mut pumping = AbortOnDrop(pumping);
            let end = (&mut pumping.0).await.unwrap_or(End::Internal);
            // Recorded here: the body may never be polled again (a blocked socket).
            let _ = reason.set(end);
            let _ = end_tx.send(end);
            if end == End::SlowConsumer {
                tokio::time::sleep(KILL_AFTER).await;
                kill.fire();
            }
        }
    });
    let every = cfg.sse_heartbeat;
    let mut heartbeat = tokio::time::interval_at(Instant::now() + every, every);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let body = SseBody {
        rx,
        end: end_rx,
        heartbeat,
        greeted: false,
        reason,
        done: false,
        _supervisor: AbortOnDrop(supervisor),
        session,
    };
    let body = body
        .map_err(|never: Infallible| match never {})
        .boxed_unsync();
    Reply::stream(StatusCode::OK, "text/event-stream", body)
        .header("connection", "close")
        .header("x-accel-buffering", "no")
}

/// The response body of one SSE connection.
struct SseBody {
    rx: mpsc::Receiver<Bytes>,
    end: oneshot::Receiver<End>,
    heartbeat: Interval,
    greeted: bool,
    /// Why the pump ended, once it has.
    reason: Arc<OnceLock<End>>,
    done: bool,
    /// Dropping the body (client gone) aborts the pump and its subscription.
    _supervisor: AbortOnDrop<()>,
    session: Session,
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if !this.greeted {
            this.greeted = true;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b": ok\n\n")))));
        }
        if let Poll::Ready(end) = Pin::new(&mut this.end).poll(cx) {
            // Ends at once, dropping what is still queued (the client resumes with its last id).
            let end = end.unwrap_or(End::Internal);
            this.done = true;
            return Poll::Ready(Some(Ok(Frame::data(error_message(end)))));
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(message)) => {
                this.session
                    .app
                    .metrics
                    .realtime_events
                    .with_label_values(&[super::Transport::Sse.label()])
                    .inc();
                return Poll::Ready(Some(Ok(Frame::data(message))));
            }
            // The pump ended; its reason arrives on `end` (already polled, so we are woken).
            Poll::Ready(None) | Poll::Pending => {}
        }
        if this.heartbeat.poll_tick(cx).is_ready() {
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                b": heartbeat\n\n",
            )))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl Drop for SseBody {
    fn drop(&mut self) {
        self.session
            .finish(self.reason.get().copied().unwrap_or(End::Client));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::events::{Audience, EventType};
    use chat_core::{AccountId, Timestamp};

    #[test]
    fn renders_ids_types_and_one_data_line() {
        let event = |id| {
            Event::new(
                id,
                EventType::MessageCreated,
                AccountId(1),
                None,
                Timestamp(0),
                serde_json::json!({"content": "two\nlines"}),
                Audience::Account,
            )
        };
        let text = String::from_utf8(render(&event(Some(7))).unwrap().to_vec()).unwrap();
        assert!(text.starts_with("id: 7\nevent: message.created\ndata: {"));
        assert!(text.ends_with("}\n\n"));
        assert_eq!(text.trim_end().lines().count(), 3, "{text}");
        let text = String::from_utf8(render(&event(None)).unwrap().to_vec()).unwrap();
        assert!(text.starts_with("event: message.created\n"));
    }
}
