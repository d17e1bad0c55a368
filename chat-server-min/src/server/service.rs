//! The whole API as a service a host mounts in its own server: its router (axum, hyper or
//! any tower stack) under a prefix of its choosing, with its own listener, TLS and
//! middleware. The same pipeline as [`super::serve`], realtime included: the WebSocket
//! upgrade goes through the host's hyper connection (hyper's `OnUpgrade` request extension,
//! which axum and hyper-util servers provide), and SSE is a streamed response body.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chat_core::Chat;
use http::{Request, Response, Uri};
use http_body::Body;

use super::pipeline::Pipeline;
use super::spawn_evictor;
use crate::app::App;
use crate::config::Config;
use crate::http::ResponseBody;

/// The chat API as a `hyper` and `tower` service.
///
/// Implements [`hyper::service::Service`] and [`tower_service::Service`] for requests with
/// any body type, answering every request (errors are JSON responses: `Error` is
/// [`Infallible`]). Clones share one state (rate limits, tickets, connection counts, metrics).
///
/// ```no_run
/// # async fn run(chat: chat_core::Chat, config: chat_server_min::Config) -> std::io::Result<()> {
/// // axum strips the prefix of a nested service; a plain hyper host uses `with_prefix`.
/// let chat_api = chat_server_min::ChatService::new(chat, config)?;
/// // axum::Router::new().nest_service("/chat", chat_api.clone())
/// # Ok(()) }
/// ```
///
/// Differences from [`super::serve`]: request head timeouts, TLS, HTTP/2 and graceful
/// shutdown of plain requests are the host's; the slow-consumer cut-off of an SSE stream
/// whose socket no longer drains ends the stream but cannot drop the host's connection.
/// Call [`ChatService::shutdown`] when the host stops, so realtime clients get `going_away`.
#[derive(Debug, Clone)]
pub struct ChatService {
    pipeline: Arc<Pipeline>,
    prefix: Option<Arc<str>>,
}

impl ChatService {
    /// The service for this library and configuration. Must be called inside a tokio
    /// runtime (it starts the periodic clean-up of rate-limit keys and tickets, which ends
    /// with the last clone). `InvalidInput` when the configuration is invalid (see
    /// [`Config::validate`]).
    pub fn new(chat: Chat, config: Config) -> std::io::Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(std::io::Error::other(
                "ChatService::new must be called inside a tokio runtime",
            ));
        }
        let pipeline = Arc::new(Pipeline::start(chat, config)?);
        drop(spawn_evictor(Arc::downgrade(&pipeline)));
        Ok(Self {
            pipeline,
            prefix: None,
        })
    }

    /// Strips `prefix` (e.g. `/chat`) from request paths before routing, for hosts whose
    /// router hands over the full path (hyper, `tower` stacks). Not needed with axum's
    /// `nest_service`, which strips it already. A path outside the prefix is `404`.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        let prefix = prefix.trim_end_matches('/');
        self.prefix = (!prefix.is_empty()).then(|| Arc::from(prefix));
        self
    }

    /// The shared state: the library, configuration, metrics, realtime state.
    pub fn app(&self) -> &Arc<App> {
        &self.pipeline.app
    }

    /// Closes every realtime connection (`going_away`, so clients resume elsewhere) and
    /// completes when all are gone. Bound it with the host's own grace period.
    pub async fn shutdown(&self) {
        let realtime = &self.pipeline.app.realtime;
        realtime.begin_shutdown();
        realtime.drained().await;
    }

    fn call_inner<B>(&self, mut req: Request<B>) -> ServiceFuture
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Some(prefix) = &self.prefix {
            match strip_prefix(req.uri(), prefix) {
                Some(uri) => *req.uri_mut() = uri,
                // Routed by a path the table cannot have: 404 from the pipeline as usual.
                None => *req.uri_mut() = Uri::from_static("/-/outside-the-chat-prefix"),
            }
        }
        let pipeline = Arc::clone(&self.pipeline);
        Box::pin(async move { Ok(pipeline.handle(req).await) })
    }
}

/// `uri` without `prefix` at the start of its path (query kept); `None` when the path is not
/// under the prefix (`/chatter` is not under `/chat`).
fn strip_prefix(uri: &Uri, prefix: &str) -> Option<Uri> {
    let rest = uri.path().strip_prefix(prefix)?;
    let path = match rest {
        "" => "/",
        r if r.starts_with('/') => r,
        _ => return None,
    };
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    Uri::builder().path_and_query(path_and_query).build().ok()
}

/// The future of one call.
pub type ServiceFuture =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

impl<B> hyper::service::Service<Request<B>> for ChatService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    fn call(&self, req: Request<B>) -> Self::Future {
        self.call_inner(req)
    }
}

impl<B> tower_service::Service<Request<B>> for ChatService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = ServiceFuture;

    /// Always ready: admission and rate limits answer per request, with `429`.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        self.call_inner(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_whole_segments() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(
            strip_prefix(&uri("/chat/api/v1/openapi.json?x=1"), "/chat").unwrap(),
            uri("/api/v1/openapi.json?x=1")
        );
        assert_eq!(strip_prefix(&uri("/chat"), "/chat").unwrap(), uri("/"));
        assert!(strip_prefix(&uri("/chatter/healthz"), "/chat").is_none());
        assert!(strip_prefix(&uri("/other"), "/chat").is_none());
    }
}
