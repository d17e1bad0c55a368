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

/// Refuses a request whose `Origin` is not allowed. No `Origin` header (clients that are not
/// browsers send none): allowed. One `Origin`: allowed when it is in the configured list, or —
/// with no list — when it is the request's own origin ([`same_origin`]). `null` (sandboxed
/// frames, `file:` pages, some redirects), several `Origin` headers, or one that is not
/// text: refused.
fn check_origin(cfg: &RealtimeConfig, headers: &HeaderMap) -> Result<(), ChatError> {
    let refused = Err(ChatError::Forbidden("origin not allowed"));
    let mut origins = headers.get_all(http::header::ORIGIN).iter();
    let origin = match (origins.next(), origins.next()) {
        (None, _) => return Ok(()),
        (Some(o), None) => match o.to_str() {
            Ok(o) => o.trim(),
            Err(_) => return refused,
        },
        _ => return refused,
    };
    let allowed = match &cfg.allowed_origins {
        _ if origin.eq_ignore_ascii_case("null") => false,
        Some(list) => list.iter().any(|a| a == origin),
        None => headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| same_origin(origin, host)),
    };
    if allowed {
        Ok(())
    } else {
        refused
    }
}

/// Whether `origin` (`scheme://host[:port]`) is this server as the client addressed it: its
/// host and port equal the `Host` header (case-insensitive; a default port, 80 for `http`
/// and 443 for `https`, may be left out on either side). Either scheme is accepted: behind a
/// TLS-terminating proxy a browser says `https` to a server that only sees plain HTTP; what
/// matters is that the page came from the host the browser is connecting to (the browser
/// sets both headers; a page cannot forge them).
fn same_origin(origin: &str, host: &str) -> bool {
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => "80",
        "https" => "443",
        _ => return false,
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return false;
    }
    let with_port = |a: &str| {
        let a = a.trim().to_ascii_lowercase();
        // `[::1]` and `[::1]:8080`: the port is after the closing bracket.
        let has_port = a.rsplit_once(':').is_some_and(|(_, p)| !p.contains(']'));
        if has_port {
            a
        } else {
            format!("{a}:{default_port}")
        }
    };
    !host.trim().is_empty() && with_port(authority) == with_port(host)
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
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(*k, http::HeaderValue::from_static(v));
            }
            h
        };
        // No list: same origin only.
        for (pairs, ok) in [
            (vec![("host", "chat.example")], true),
            (
                vec![("host", "chat.example"), ("origin", "https://chat.example")],
                true,
            ),
            (
                vec![
                    ("host", "chat.example:443"),
                    ("origin", "https://chat.example"),
                ],
                true,
            ),
            (
                vec![
                    ("host", "Chat.Example:8080"),
                    ("origin", "http://chat.example:8080"),
                ],
                true,
            ),
            (
                vec![("host", "[::1]:8080"), ("origin", "http://[::1]:8080")],
                true,
            ),
            (
                vec![("host", "chat.example"), ("origin", "https://evil.example")],
                false,
            ),
            (
                vec![
                    ("host", "chat.example"),
                    ("origin", "https://chat.example:8443"),
                ],
                false,
            ),
            (
                vec![
                    ("host", "chat.example:8080"),
                    ("origin", "http://chat.example"),
                ],
                false,
            ),
            (
                vec![
                    ("host", "chat.example"),
                    ("origin", "https://chat.example.evil"),
                ],
                false,
            ),
            (
                vec![("host", "chat.example"), ("origin", "ftp://chat.example")],
                false,
            ),
            (
                vec![
                    ("host", "chat.example"),
                    ("origin", "https://x@chat.example"),
                ],
                false,
            ),
            (vec![("host", "chat.example"), ("origin", "null")], false),
            (vec![("origin", "https://chat.example")], false),
            (
                vec![
                    ("host", "chat.example"),
                    ("origin", "https://chat.example"),
                    ("origin", "https://chat.example"),
                ],
                false,
            ),
        ] {
            assert_eq!(
                check_origin(&cfg, &headers(&pairs)).is_ok(),
                ok,
                "{pairs:?}"
            );
        }
        let mut h = headers(&[("origin", "https://evil.example")]);
        cfg.allowed_origins = Some(vec!["https://hub.example".into(), "null".into()]);
        assert!(check_origin(&cfg, &h).is_err());
        assert!(check_origin(&cfg, &HeaderMap::new()).is_ok(), "no header");
        assert!(check_origin(&cfg, &headers(&[("origin", "null")])).is_err());
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
