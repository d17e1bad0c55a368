//! The hyper server: accept loop with graceful shutdown, and the per-request pipeline
//! (request id → route match → authentication → body → admission → rate limit → handler →
//! response headers, one log line, metrics).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::{AccountId, Actor, Chat, ChatError, Identity};
use http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::auth::{self, Verifier};
use crate::config::Config;
use crate::http::{read_body, request_id, ApiError, Query, Reply, ResponseBody, MAX_BODY_BYTES};
use crate::ops::log::ACCESS_TARGET;
use crate::ops::metrics::Metrics;
use crate::ratelimit::Limits;
use crate::realtime::{self, Grant, Kill, Realtime};
use crate::routes::{self, Handler, Params, Route, ServiceCall, UserCall};

/// How often idle rate-limit keys are evicted.
const EVICT_EVERY: Duration = Duration::from_secs(60);
/// How long a client may take to send its request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared server state.
pub struct App {
    /// The library.
    pub chat: Chat,
    /// Configuration.
    pub config: Config,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Realtime state: tickets, connections per user, the shutdown signal.
    pub realtime: Realtime,
    pub(crate) verifier: Verifier,
    pub(crate) limits: Limits,
    router: matchit::Router<usize>,
    paths: Vec<(&'static str, Vec<Route>)>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Builds the state and the router from [`routes::table`].
    pub fn new(chat: Chat, config: Config) -> Result<Self, matchit::InsertError> {
        let mut paths: Vec<(&'static str, Vec<Route>)> = Vec::new();
        for route in routes::table() {
            match paths.iter_mut().find(|(p, _)| *p == route.path) {
                Some((_, routes)) => routes.push(route),
                None => paths.push((route.path, vec![route])),
            }
        }
        let mut router = matchit::Router::new();
        for (i, (path, _)) in paths.iter().enumerate() {
            router.insert(*path, i)?;
        }
        Ok(Self {
            verifier: Verifier::new(&config.jwt_secret, config.jwt_leeway_secs),
            limits: Limits::new(&config.rate),
            metrics: Metrics::new(),
            realtime: Realtime::new(&config.realtime),
            chat,
            config,
            router,
            paths,
        })
    }
}

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
    config
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let grace = config.shutdown_grace;
    let app = Arc::new(App::new(chat, config).map_err(std::io::Error::other)?);
    let evictor = tokio::spawn({
        let app = Arc::clone(&app);
        async move {
            let mut every = tokio::time::interval(EVICT_EVERY);
            loop {
                every.tick().await;
                app.limits.evict_idle();
                app.realtime.tickets.evict_expired();
            }
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // No Nagle: an event frame or a response must not wait for the peer's
                    // delayed ACK of the previous one (up to 200 ms on Linux: it was the
                    // fan-out's p99).
                    if let Err(e) = stream.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                    let kill = Kill::default();
                    let service = service_fn({
                        let app = Arc::clone(&app);
                        let kill = kill.clone();
                        move |req| handle(Arc::clone(&app), req, kill.clone())
                    });
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades();
                    // Held until the connection ends: shutdown waits for every one.
                    let mut stop = app.realtime.shutdown_watch();
                    tokio::spawn(async move {
                        tokio::pin!(conn);
                        let result = tokio::select! {
                            result = conn.as_mut() => result,
                            () = kill.fired() => return,
                            () = realtime::stopping(&mut stop) => {
                                // Finish in-flight requests, then close.
                                conn.as_mut().graceful_shutdown();
                                tokio::select! {
                                    result = conn.as_mut() => result,
                                    () = kill.fired() => return,
                                }
                            }
                        };
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

/// What the access log and metrics learn while a request is handled.
pub(crate) struct Seen {
    pub(crate) route: &'static str,
    pub(crate) account: Option<i64>,
    pub(crate) user: Option<i64>,
}

async fn handle(
    app: Arc<App>,
    mut req: Request<Incoming>,
    kill: Kill,
) -> Result<Response<ResponseBody>, Infallible> {
    // The SSE transport may need to drop this connection.
    req.extensions_mut().insert(kill);
    let start = Instant::now();
    let request_id = request_id::from_headers(req.headers());
    let method = req.method().clone();
    let mut seen = Seen {
        route: "unmatched",
        account: None,
        user: None,
    };
    let reply = match dispatch(&app, req, &request_id, &mut seen).await {
        Ok(reply) => reply,
        Err(e) => e.into_reply(&request_id),
    };
    let status = reply.status.as_u16();
    let elapsed = start.elapsed();
    let method_label = method_label(&method);
    app.metrics
        .observe(method_label, seen.route, status, elapsed.as_secs_f64());
    tracing::info!(
        target: ACCESS_TARGET,
        request_id = request_id.as_str(),
        method = method_label,
        route = seen.route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        account_id = seen.account,
        user_id = seen.user,
        "request"
    );
    Ok(reply.into_response(&request_id))
}

/// Known methods by name; anything else as `OTHER` so labels stay bounded.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn is_write(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PATCH | Method::DELETE | Method::PUT
    )
}

fn has_body(m: &Method) -> bool {
    matches!(*m, Method::POST | Method::PATCH | Method::PUT)
}

async fn body_of(
    method: &Method,
    headers: &http::HeaderMap,
    body: Incoming,
) -> Result<Bytes, ChatError> {
    if !has_body(method) {
        return Ok(Bytes::new());
    }
    tokio::time::timeout(BODY_TIMEOUT, read_body(headers, body, MAX_BODY_BYTES))
        .await
        .map_err(|_| ChatError::invalid("body", "the body was not received in time"))?
}

/// The path's account must be the caller's (checked before anything is looked up, so a
/// foreign account learns nothing); records who is calling for the log line.
pub(crate) fn same_account(
    identity: &Identity,
    params: &Params,
    seen: &mut Seen,
) -> Result<(), ApiError> {
    seen.account = Some(identity.account.0);
    seen.user = Some(identity.user.0);
    let path_account = params.raw("account_id").and_then(|a| a.parse::<i64>().ok());
    if path_account != Some(identity.account.0) {
        return Err(ChatError::AccountMismatch.into());
    }
    Ok(())
}

/// Admission for every user route and stream: `Chat::enter` (entitlements, deactivation,
/// directory), the request id for audit entries, and — after admission, so a refused caller
/// spends nobody's budget — the write rate limit when `charge`.
pub(crate) async fn admit(
    app: &App,
    identity: Identity,
    request_id: &str,
    charge: bool,
) -> Result<Actor, ApiError> {
    let actor = app.chat.enter(identity).await?.with_request_id(request_id);
    if charge {
        app.limits.check(actor.account(), actor.user())?;
    }
    Ok(actor)
}

async fn dispatch(
    app: &Arc<App>,
    req: Request<Incoming>,
    request_id: &str,
    seen: &mut Seen,
) -> Result<Reply, ApiError> {
    let (mut parts, body) = req.into_parts();
    let matched = app
        .router
        .at(parts.uri.path())
        .map_err(|_| ChatError::NotFound)?;
    let (path, routes) = app.paths.get(*matched.value).ok_or(ChatError::NotFound)?;
    seen.route = path;
    let params = Params(
        matched
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    let Some(route) = routes.iter().find(|r| r.method == parts.method) else {
        let allow: Vec<&str> = routes.iter().map(|r| r.method.as_str()).collect();
        return Err(ApiError::MethodNotAllowed(allow.join(", ")));
    };
    let reply = match route.handler {
        Handler::Public(h) => h(Arc::clone(app)).await?,
        Handler::User(h) => {
            let (identity, token_exp) = app.verifier.verify_with_expiry(&parts.headers)?;
            same_account(&identity, &params, seen)?;
            let body = body_of(&parts.method, &parts.headers, body).await?;
            let grant = Grant {
                identity: identity.clone(),
                token_exp,
            };
            let actor = admit(app, identity, request_id, is_write(&parts.method)).await?;
            let query = Query::parse(parts.uri.query());
            h(UserCall {
                app: Arc::clone(app),
                actor,
                grant,
                params,
                query,
                body,
            })
            .await?
        }
        Handler::Realtime(transport) => {
            realtime::open(app, transport, &mut parts, &params, request_id, seen).await?
        }
        Handler::Service(h) => {
            auth::check_service(app.config.service_token.as_deref(), &parts.headers)?;
            let account = AccountId(params.id("account_id")?);
            seen.account = Some(account.0);
            let body = body_of(&parts.method, &parts.headers, body).await?;
            h(ServiceCall {
                app: Arc::clone(app),
                account,
                params,
                body,
            })
            .await?
        }
    };
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_builds_and_matches_templates() {
        let mut paths: Vec<&str> = routes::table().iter().map(|r| r.path).collect();
        paths.dedup();
        let mut router = matchit::Router::new();
        for (i, p) in paths.iter().enumerate() {
            router.insert(*p, i).unwrap();
        }
        let m = router
            .at("/api/v1/accounts/7/chat/rooms/abc/members/12")
            .unwrap();
        assert_eq!(m.params.get("user_id"), Some("12"));
        assert!(router.at("/api/v1/accounts/7/chat/rooms/").is_err());
    }
}
