//! The per-request pipeline: request id → route match → authentication → body → admission →
//! rate limit → handler → response headers, one log line, metrics. Transport-agnostic: the
//! accept loop ([`super::serve`]) feeds it hyper's requests, and [`super::ChatService`] a
//! host's (any body type).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::{AccountId, Chat, ChatError};
use http::{Method, Request, Response};
use http_body::Body;

use crate::app::{admit, same_account, App, Seen};
use crate::auth::{self, Grant};
use crate::config::Config;
use crate::http::{
    cors, read_body, request_id, ApiError, Query, Reply, ResponseBody, MAX_BODY_BYTES,
};
use crate::ops::log::ACCESS_TARGET;
use crate::realtime;
use crate::routes::{Handler, Router, ServiceCall, UserCall, WebCall};

/// How long a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The state and the route table of one server: everything a request needs.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) app: Arc<App>,
    router: Router,
}

impl Pipeline {
    /// The state and router for a library and a configuration; `InvalidInput` when the
    /// configuration is invalid (see [`crate::Config::validate`]).
    pub(crate) fn start(chat: Chat, config: Config) -> std::io::Result<Self> {
        config
            .validate()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(Self {
            app: Arc::new(App::new(chat, config)),
            router: Router::new().map_err(std::io::Error::other)?,
        })
    }

    /// Answers one request, whatever happens: failures become their JSON error; each request
    /// logs one access line and counts in the metrics.
    pub(crate) async fn handle<B>(&self, req: Request<B>) -> Response<ResponseBody>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let start = Instant::now();
        let request_id = request_id::from_headers(req.headers());
        let method = req.method().clone();
        let mut seen = Seen::default();
        let origin = cors::allowed_origin(
            &self.app.config.cors_origins,
            req.uri().path(),
            req.headers(),
        );
        let reply = match origin.as_deref() {
            Some(origin) if cors::is_preflight(&method, req.headers()) => {
                self.preflight(req.uri().path(), origin, &request_id, &mut seen)
            }
            _ => match self.dispatch(req, &request_id, &mut seen).await {
                Ok(reply) => reply,
                Err(e) => e.into_reply(&request_id),
            },
        };
        let reply = match origin.as_deref() {
            Some(origin) => cors::with_headers(reply, origin),
            None => reply,
        };
        let status = reply.status.as_u16();
        let elapsed = start.elapsed();
        let method_label = method_label(&method);
        self.app
            .metrics
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
        reply.into_response(&request_id)
    }

    /// A preflight from an allowed origin: `204` naming the path's methods, or the path's
    /// usual refusal (`404`) when no route has it.
    fn preflight(&self, path: &str, origin: &str, request_id: &str, seen: &mut Seen) -> Reply {
        match self.router.at(path) {
            Ok(matched) => {
                seen.route = matched.path;
                let methods: Vec<&str> = matched.routes.iter().map(|r| r.method.as_str()).collect();
                cors::preflight(origin, &methods.join(", "))
            }
            Err(e) => ApiError::from(e).into_reply(request_id),
        }
    }

    async fn dispatch<B>(
        &self,
        req: Request<B>,
        request_id: &str,
        seen: &mut Seen,
    ) -> Result<Reply, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let app = &self.app;
        let (mut parts, body) = req.into_parts();
        let matched = self.router.at(parts.uri.path())?;
        seen.route = matched.path;
        let params = matched.params;
        let routes = matched.routes;
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
            Handler::Web(h) => {
                let body = body_of(&parts.method, &parts.headers, body).await?;
                h(WebCall {
                    app: Arc::clone(app),
                    params,
                    headers: std::mem::take(&mut parts.headers),
                    body,
                })
                .await?
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

async fn body_of<B>(method: &Method, headers: &http::HeaderMap, body: B) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if !has_body(method) {
        return Ok(Bytes::new());
    }
    tokio::time::timeout(BODY_TIMEOUT, read_body(headers, body, MAX_BODY_BYTES))
        .await
        .map_err(|_| ChatError::invalid("body", "the body was not received in time"))?
}
