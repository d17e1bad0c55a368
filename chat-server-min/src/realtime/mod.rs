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

pub mod sse;
pub mod tickets;
pub mod ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chat_core::events::Event;
use chat_core::presence::Connection as PresenceConnection;
use chat_core::{
    AccountId, Actor, ChatError, ResumeOutcome, Subscription, SubscriptionEnd, UserId,
};
use http::HeaderMap;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use crate::config::RealtimeConfig;
use crate::http::{ApiError, Query, Reply};
use crate::routes::Params;
use crate::server::{App, Seen};

pub use tickets::{Grant, Tickets};

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

/// Drops one HTTP connection on request: the accept loop stops serving it when fired. Used
/// to cut off an SSE consumer whose socket no longer drains (hyper then never polls the
/// response body again, so the body alone cannot end it).
#[derive(Debug, Clone, Default)]
pub struct Kill(Arc<Notify>);

impl Kill {
    /// Asks the accept loop to drop the connection.
    pub fn fire(&self) {
        self.0.notify_one();
    }

    /// Completes once fired.
    pub async fn fired(&self) {
        self.0.notified().await;
    }
}

/// Why a realtime connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed it (or the socket failed).
    Client,
    /// The client did not read fast enough: queue full or a write stalled too long.
    SlowConsumer,
    /// The token (or the ticket's token) expired.
    TokenExpired,
    /// The user was deactivated.
    Deactivated,
    /// The account's chat was disabled (entitlements).
    ChatDisabled,
    /// No frame from the client (not even a pong) for two ping intervals.
    KeepaliveTimeout,
    /// The client broke the WebSocket protocol.
    ProtocolError,
    /// A client frame exceeded the 16 KiB cap.
    TooBig,
    /// The server is shutting down.
    Shutdown,
    /// Reading the event log failed.
    Internal,
}

impl End {
    /// The `reason` metric label (one of [`crate::ops::metrics::CLOSE_REASONS`]).
    pub fn label(self) -> &'static str {
        match self {
            End::Client => "client",
            End::SlowConsumer => "slow_consumer",
            End::TokenExpired => "token_expired",
            End::Deactivated => "user_deactivated",
            End::ChatDisabled => "entitlement_denied",
            End::KeepaliveTimeout => "keepalive_timeout",
            End::ProtocolError | End::TooBig => "protocol_error",
            End::Shutdown => "shutdown",
            End::Internal => "internal",
        }
    }

    /// The machine-readable code sent to the client (WS close reason prefix, SSE error).
    pub fn code(self) -> &'static str {
        match self {
            End::TooBig => "message_too_big",
            End::Shutdown => "going_away",
            other => other.label(),
        }
    }

    /// The WebSocket close code.
    pub fn ws_close_code(self) -> u16 {
        match self {
            End::Client => 1000,
            End::Shutdown => 1001,
            End::ProtocolError => 1002,
            End::TooBig => 1009,
            End::Internal => 1011,
            End::KeepaliveTimeout => 4000,
            End::TokenExpired => 4001,
            End::Deactivated => 4003,
            End::ChatDisabled => 4004,
            End::SlowConsumer => 4008,
        }
    }

    /// Human text for the client (at most 123 bytes with the code: a WS close reason).
    pub fn message(self) -> &'static str {
        match self {
            End::Client => "closed",
            End::SlowConsumer => "too slow to keep up; reconnect with since=<last event id>",
            End::TokenExpired => {
                "token expired; reconnect with a new token or ticket and since=<last event id>"
            }
            End::Deactivated => "the user was deactivated",
            End::ChatDisabled => "the chat was disabled for this account",
            End::KeepaliveTimeout => "no pong or frame for two ping intervals",
            End::ProtocolError => "WebSocket protocol error",
            End::TooBig => "frames and messages are limited to 16 KiB",
            End::Shutdown => "server shutting down; reconnect with since=<last event id>",
            End::Internal => "internal error; reconnect with since=<last event id>",
        }
    }

    /// The error object sent on the wire: `{"type":"error","code","message"}`.
    pub fn error_json(self) -> String {
        error_frame(self.code(), self.message())
    }
}

/// `{"type":"error","code":…,"message":…}`.
pub fn error_frame(code: &str, message: &str) -> String {
    serde_json::json!({"type": "error", "code": code, "message": message}).to_string()
}

/// Realtime state of a server: tickets, connection counts, the shutdown signal.
#[derive(Debug)]
pub struct Realtime {
    /// Outstanding tickets.
    pub tickets: Tickets,
    per_user: Mutex<HashMap<(AccountId, UserId), usize>>,
    shutdown: watch::Sender<bool>,
}

impl Realtime {
    /// Empty state for this configuration.
    pub fn new(cfg: &RealtimeConfig) -> Self {
        Self {
            tickets: Tickets::new(cfg.ticket_ttl, cfg.max_tickets),
            per_user: Mutex::new(HashMap::new()),
            shutdown: watch::channel(false).0,
        }
    }

    /// A receiver that turns `true` when the server shuts down. Every open HTTP connection and
    /// realtime session holds one; shutdown waits until all are dropped.
    pub fn shutdown_watch(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every connection to finish (realtime ones close with `going_away`).
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Completes when every holder of [`Realtime::shutdown_watch`] is gone.
    pub async fn drained(&self) {
        self.shutdown.closed().await;
    }

    /// Open realtime connections of a user.
    pub fn connections_of(&self, account: AccountId, user: UserId) -> usize {
        self.lock().get(&(account, user)).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(AccountId, UserId), usize>> {
        self.per_user.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One open realtime connection: counts toward the user's limit and the gauge until dropped.
pub(crate) struct Slot {
    app: Arc<App>,
    key: (AccountId, UserId),
    transport: Transport,
    _drain: watch::Receiver<bool>,
}

impl Slot {
    fn acquire(app: &Arc<App>, actor: &Actor, transport: Transport) -> Result<Self, ChatError> {
        let key = (actor.account(), actor.user());
        {
            let mut map = app.realtime.lock();
            let n = map.entry(key).or_insert(0);
            if *n >= app.config.realtime.max_connections_per_user {
                return Err(ChatError::RateLimited {
                    retry_after_secs: 5,
                });
            }
            *n += 1;
        }
        app.metrics
            .realtime_connections
            .with_label_values(&[transport.label()])
            .inc();
        Ok(Self {
            app: Arc::clone(app),
            key,
            transport,
            _drain: app.realtime.shutdown_watch(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.app.realtime.lock();
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
        drop(map);
        self.app
            .metrics
            .realtime_connections
            .with_label_values(&[self.transport.label()])
            .dec();
    }
}

/// Everything a transport needs for one admitted connection.
pub(crate) struct Session {
    pub(crate) app: Arc<App>,
    pub(crate) actor: Actor,
    pub(crate) presence: PresenceConnection,
    pub(crate) slot: Slot,
    /// When the token stops being valid.
    pub(crate) deadline: Instant,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) opened: Instant,
}

impl Session {
    /// Counts and logs the end of the connection.
    pub(crate) fn finish(&self, end: End) {
        let transport = self.slot.transport.label();
        self.app
            .metrics
            .realtime_closes
            .with_label_values(&[transport, end.label()])
            .inc();
        tracing::info!(
            transport,
            reason = end.label(),
            account_id = self.actor.account().0,
            user_id = self.actor.user().0,
            seconds = self.opened.elapsed().as_secs_f64(),
            "realtime connection closed"
        );
    }
}

/// Completes once `rx` turns `true` (or its sender is gone).
pub(crate) async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Aborts a task when dropped.
pub(crate) struct AbortOnDrop<T>(pub(crate) JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// When a token with this `exp` stops being accepted (`exp` + leeway), as an `Instant`.
pub fn token_deadline(exp: u64, leeway_secs: u64) -> Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let left = exp.saturating_add(leeway_secs).saturating_sub(now);
    Instant::now() + Duration::from_secs(left.min(10 * 365 * 86_400))
}

/// Refuses a request whose `Origin` is not allowed (when a list is configured and the
/// header is present: clients that are not browsers send none).
fn check_origin(cfg: &RealtimeConfig, headers: &HeaderMap) -> Result<(), ChatError> {
    let Some(allowed) = &cfg.allowed_origins else {
        return Ok(());
    };
    let mut origins = headers.get_all(http::header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => Ok(()),
        (Some(o), None) if o.to_str().is_ok_and(|o| allowed.iter().any(|a| a == o)) => Ok(()),
        _ => Err(ChatError::Forbidden("origin not allowed")),
    }
}

/// The resume point: SSE `Last-Event-ID` (what `EventSource` sends on its own), else
/// `?since=`. A non-negative integer; anything else is `422`.
fn resume_point(
    transport: Transport,
    headers: &HeaderMap,
    query: &Query,
) -> Result<Option<i64>, ChatError> {
    let parse = |field: &str, v: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| ChatError::invalid(field, "must be a non-negative integer event id"))
    };
    if transport == Transport::Sse {
        if let Some(v) = headers.get("last-event-id") {
            let v = v
                .to_str()
                .map_err(|_| ChatError::invalid("Last-Event-ID", "must be an event id"))?;
            if !v.trim().is_empty() {
                return parse("Last-Event-ID", v);
            }
        }
    }
    match query.get("since")? {
        Some(v) => parse("since", v),
        None => Ok(None),
    }
}

/// Who connects: a ticket (`?ticket=`, single use) or a bearer token. Tokens in the URL are
/// refused outright, so they never end up in access logs.
fn authenticate(app: &App, headers: &HeaderMap, query: &Query) -> Result<Grant, ChatError> {
    if query.get("token")?.is_some() || query.get("access_token")?.is_some() {
        return Err(ChatError::Unauthorized);
    }
    if let Some(ticket) = query.get("ticket")? {
        return app
            .realtime
            .tickets
            .redeem(ticket)
            .ok_or(ChatError::Unauthorized);
    }
    let (identity, token_exp) = app.verifier.verify_with_expiry(headers)?;
    Ok(Grant {
        identity,
        token_exp,
    })
}

/// Opens a realtime connection: every check, then the transport (see the module docs).
pub(crate) async fn open(
    app: &Arc<App>,
    transport: Transport,
    parts: &mut http::request::Parts,
    params: &Params,
    request_id: &str,
    seen: &mut Seen,
) -> Result<Reply, ApiError> {
    check_origin(&app.config.realtime, &parts.headers)?;
    let accept_key = match transport {
        Transport::Ws => Some(ws::accept_key(&parts.headers)?),
        Transport::Sse => None,
    };
    let query = Query::parse(parts.uri.query());
    let since = resume_point(transport, &parts.headers, &query)?;
    let grant = authenticate(app, &parts.headers, &query)?;
    crate::server::same_account(&grant.identity, params, seen)?;
    let deadline = token_deadline(grant.token_exp, app.config.jwt_leeway_secs);
    // Opening a stream costs the server like a write (and a resume can replay thousands of
    // events): it spends the caller's write budget, so reconnect loops are throttled too.
    let actor = crate::server::admit(app, grant.identity, request_id, true).await?;
    let slot = Slot::acquire(app, &actor, transport)?;
    // Subscribe before answering: everything committed from now on reaches this client.
    let sub = app.chat.subscribe(&actor, since).await?;
    if let Some(resumed) = sub.resume_outcome() {
        let outcome = match resumed {
            ResumeOutcome::Replayed => "replayed",
            ResumeOutcome::ResyncRequired => "resync_required",
        };
        app.metrics
            .realtime_resumes
            .with_label_values(&[outcome])
            .inc();
    }
    let presence = app.chat.presence().connect(&actor);
    let session = Session {
        app: Arc::clone(app),
        actor,
        presence,
        slot,
        deadline,
        shutdown: app.realtime.shutdown_watch(),
        opened: Instant::now(),
    };
    match (transport, accept_key) {
        (Transport::Ws, Some(key)) => {
            let upgrade = parts
                .extensions
                .remove::<hyper::upgrade::OnUpgrade>()
                .ok_or_else(|| ChatError::internal("connection cannot be upgraded"))?;
            Ok(ws::start(session, sub, &key, upgrade))
        }
        _ => {
            let kill = parts.extensions.remove::<Kill>().unwrap_or_default();
            Ok(sse::start(session, sub, kill))
        }
    }
}

/// Pulls the subscription into the connection's bounded queue until something ends it.
/// `render` turns an event into the transport's frame (`None`: skip it).
pub(crate) async fn pump<T, F>(
    mut sub: Subscription,
    tx: mpsc::Sender<T>,
    render: F,
    slow_after: Duration,
    deadline: Instant,
    mut shutdown: watch::Receiver<bool>,
) -> End
where
    F: Fn(&Event) -> Option<T>,
{
    let expiry = tokio::time::sleep_until(deadline.into());
    // One shutdown wait for the connection's life: a new one per event registered with and
    // deregistered from the watch channel every subscriber shares (a lock taken twice per
    // delivery, ~8% of the server's time in a 1,000-subscriber fan-out).
    let stop = stopping(&mut shutdown);
    tokio::pin!(expiry, stop);
    loop {
        let next = tokio::select! {
            biased;
            () = &mut stop => return End::Shutdown,
            () = &mut expiry => return End::TokenExpired,
            next = sub.next() => next,
        };
        let event = match next {
            Ok(event) => event,
            Err(SubscriptionEnd::Deactivated) => return End::Deactivated,
            Err(SubscriptionEnd::ChatDisabled) => return End::ChatDisabled,
            Err(SubscriptionEnd::Closed) => return End::Shutdown,
            Err(e) => {
                tracing::error!(error = %e, "subscription failed");
                return End::Internal;
            }
        };
        let Some(item) = render(&event) else {
            continue;
        };
        let reserved = tokio::select! {
            biased;
            () = &mut stop => return End::Shutdown,
            () = &mut expiry => return End::TokenExpired,
            r = tokio::time::timeout(slow_after, tx.reserve()) => r,
        };
        match reserved {
            Ok(Ok(permit)) => permit.send(item),
            // The writer is gone: the connection is closing anyway.
            Ok(Err(_)) => return End::Client,
            Err(_) => return End::SlowConsumer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame_and_have_metric_labels() {
        for end in [
            End::Client,
            End::SlowConsumer,
            End::TokenExpired,
            End::Deactivated,
            End::ChatDisabled,
            End::KeepaliveTimeout,
            End::ProtocolError,
            End::TooBig,
            End::Shutdown,
            End::Internal,
        ] {
            let reason = format!("{}: {}", end.code(), end.message());
            assert!(reason.len() <= 123, "{reason}");
            assert!(crate::ops::metrics::CLOSE_REASONS.contains(&end.label()));
        }
    }

    #[test]
    fn origins_and_resume_points() {
        let mut cfg = RealtimeConfig::default();
        let mut h = HeaderMap::new();
        h.insert(
            "origin",
            http::HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&cfg, &h).is_ok(), "no list: any origin");
        cfg.allowed_origins = Some(vec!["https://hub.example".into()]);
        assert!(check_origin(&cfg, &h).is_err());
        assert!(check_origin(&cfg, &HeaderMap::new()).is_ok(), "no header");
        h.insert(
            "origin",
            http::HeaderValue::from_static("https://hub.example"),
        );
        assert!(check_origin(&cfg, &h).is_ok());

        let q = Query::parse(Some("since=5"));
        assert_eq!(resume_point(Transport::Ws, &h, &q).unwrap(), Some(5));
        h.insert("last-event-id", http::HeaderValue::from_static("9"));
        assert_eq!(resume_point(Transport::Sse, &h, &q).unwrap(), Some(9));
        assert_eq!(resume_point(Transport::Ws, &h, &q).unwrap(), Some(5));
        for bad in ["since=-1", "since=x", "since=1&since=2"] {
            let q = Query::parse(Some(bad));
            assert!(resume_point(Transport::Ws, &HeaderMap::new(), &q).is_err());
        }
    }
}
