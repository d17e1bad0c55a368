//! Opening a realtime connection: every check happens here, **before** any upgrade or stream
//! starts, so a refusal is an ordinary JSON error (see the module docs of `realtime`). Then it
//! subscribes, registers presence and hands the session to the transport.

use std::sync::Arc;
use std::time::Instant;

use chat_core::{ChatError, ResumeOutcome};
use http::HeaderMap;

use super::session::Session;
use super::slots::Slot;
use super::{sse, ws, Transport};
use crate::app::{admit, same_account, App, Seen};
use crate::auth::{token_deadline, Grant};
use crate::config::RealtimeConfig;
use crate::http::{ApiError, Kill, Params, Query, Reply};

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
    same_account(&grant.identity, params, seen)?;
    let deadline = token_deadline(grant.token_exp, app.config.jwt_leeway_secs);
    // Opening a stream costs the server like a write (and a resume can replay thousands of
    // events): it spends the caller's write budget, so reconnect loops are throttled too.
    let actor = admit(app, grant.identity, request_id, true).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
