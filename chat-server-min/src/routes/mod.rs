//! The route table: every method and path the server answers, and the thin adapter behind
//! each. One module per resource; handlers parse input, call the [`chat_core::Chat`] facade and
//! render its result — no business rule lives here.
//!
//! Only the server's pipeline uses this module; it uses the layers below it (`app`, `http`,
//! `auth`, `realtime`, `ops`), none of which looks back up here.

pub mod audit;
pub mod audit_export;
#[doc(hidden)]
pub mod fuzz;
pub mod members;
pub mod messages;
pub mod ops;
pub mod read;
pub mod realtime;
pub mod rooms;
pub mod router;
pub mod service;
pub mod stats;
pub mod users;
pub mod web;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use chat_core::{AccountId, Actor};
use http::Method;

use crate::app::App;
use crate::auth::Grant;
use crate::http::{ApiError, Params, Query, Reply};
use crate::realtime::Transport;

pub use router::Router;
pub use web::WebCall;

/// What every handler returns: a library error converts with `?`.
pub type HandlerResult = Result<Reply, ApiError>;

/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send>>;

/// A request by an admitted user.
pub struct UserCall {
    /// Server state.
    pub app: Arc<App>,
    /// The caller, admitted by `Chat::enter`.
    pub actor: Actor,
    /// The caller's token as verified (identity and expiry).
    pub grant: Grant,
    /// Path parameters.
    pub params: Params,
    /// Query parameters.
    pub query: Query,
    /// Body (empty for GET and DELETE).
    pub body: Bytes,
}

/// A request of the host platform on the service API.
pub struct ServiceCall {
    /// Server state.
    pub app: Arc<App>,
    /// The account of the path.
    pub account: AccountId,
    /// Path parameters.
    pub params: Params,
    /// Body.
    pub body: Bytes,
}

/// Who may call a route, and the handler.
#[derive(Clone, Copy)]
pub enum Handler {
    /// No token needed.
    Public(fn(Arc<App>) -> HandlerFuture),
    /// A user token whose account matches the path.
    User(fn(UserCall) -> HandlerFuture),
    /// The service token.
    Service(fn(ServiceCall) -> HandlerFuture),
    /// A realtime connection: a ticket or a user token, handled by [`crate::realtime`].
    Realtime(Transport),
    /// A web page or asset: no token (pages get theirs from the host over the handshake).
    Web(fn(WebCall) -> HandlerFuture),
}

/// One route.
#[derive(Clone)]
pub struct Route {
    /// Method.
    pub method: Method,
    /// `matchit` path template (also the `route` label of logs and metrics).
    pub path: &'static str,
    /// Handler.
    pub handler: Handler,
}

/// Prefix of the account-scoped API.
pub const BASE: &str = "/api/v1/accounts/{account_id}/chat";

macro_rules! route {
    ($method:ident $path:expr => Public $f:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: Handler::Public(|a| Box::pin($f(a))),
        }
    };
    ($method:ident $path:expr => User $f:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: Handler::User(|c| Box::pin($f(c))),
        }
    };
    ($method:ident $path:expr => Realtime $t:expr) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: Handler::Realtime($t),
        }
    };
    ($method:ident $path:expr => Web $f:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: Handler::Web(|c| Box::pin($f(c))),
        }
    };
    ($method:ident $path:expr => Service $f:path) => {
        Route {
            method: Method::$method,
            path: $path,
            handler: Handler::Service(|c| Box::pin($f(c))),
        }
    };
}

/// Every route of the server.
pub fn table() -> Vec<Route> {
    vec![
        route!(GET "/healthz" => Public ops::healthz),
        route!(GET "/metrics" => Public ops::metrics),
        route!(GET "/api/v1/openapi.json" => Public ops::openapi),
        route!(GET "/api/v1/accounts/{account_id}/chat/rooms" => User rooms::list),
        route!(POST "/api/v1/accounts/{account_id}/chat/rooms" => User rooms::create),
        route!(GET "/api/v1/accounts/{account_id}/chat/rooms/{room_id}" => User rooms::get),
        route!(PATCH "/api/v1/accounts/{account_id}/chat/rooms/{room_id}" => User rooms::rename),
        route!(DELETE "/api/v1/accounts/{account_id}/chat/rooms/{room_id}" => User rooms::archive),
        route!(POST "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/members" => User members::add),
        route!(DELETE "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/members/{user_id}" => User members::remove),
        route!(GET "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/messages" => User messages::list),
        route!(POST "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/messages" => User messages::send),
        route!(PATCH "/api/v1/accounts/{account_id}/chat/messages/{message_id}" => User messages::edit),
        route!(DELETE "/api/v1/accounts/{account_id}/chat/messages/{message_id}" => User messages::delete),
        route!(POST "/api/v1/accounts/{account_id}/chat/rooms/{room_id}/read" => User read::mark),
        route!(GET "/api/v1/accounts/{account_id}/chat/unread" => User read::unread),
        route!(GET "/api/v1/accounts/{account_id}/chat/audit" => User audit::list),
        route!(GET "/api/v1/accounts/{account_id}/chat/audit/export" => User audit_export::export),
        route!(GET "/api/v1/accounts/{account_id}/chat/stats" => User stats::get),
        route!(POST "/api/v1/accounts/{account_id}/chat/realtime/ticket" => User realtime::ticket),
        route!(GET "/api/v1/accounts/{account_id}/chat/ws" => Realtime Transport::Ws),
        route!(GET "/api/v1/accounts/{account_id}/chat/events" => Realtime Transport::Sse),
        route!(GET "/api/v1/accounts/{account_id}/chat/presence" => User realtime::presence),
        route!(GET "/api/v1/accounts/{account_id}/chat/notifications" => User realtime::list_notifications),
        route!(POST "/api/v1/accounts/{account_id}/chat/notifications/read" => User realtime::read_notifications),
        route!(PUT "/api/v1/accounts/{account_id}/chat/users/{user_id}" => Service service::provision_user),
        route!(GET "/api/v1/accounts/{account_id}/chat/users" => User users::list),
        route!(GET "/api/v1/accounts/{account_id}/chat/users/{user_id}" => User users::get),
        route!(PUT "/api/v1/accounts/{account_id}/chat/entitlements" => Service service::set_entitlements),
        route!(GET "/api/v1/accounts/{account_id}/chat/entitlements" => Service service::entitlements),
        route!(GET "/embed" => Web web::chat),
        route!(GET "/embed/admin" => Web web::admin),
        route!(GET "/embed.js" => Web web::embed_js),
        route!(GET "/assets/{*path}" => Web web::asset),
        route!(GET "/dev" => Web web::dev),
        route!(POST "/dev/token" => Web web::dev_token),
    ]
}

/// `(method, path template)` of every route, for documentation checks.
pub fn list() -> Vec<(String, &'static str)> {
    table()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_route_is_listed_twice() {
        let mut all = super::list();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn account_paths_share_the_base() {
        for (_, path) in super::list() {
            if path.starts_with("/api/v1/accounts") {
                assert!(path.starts_with(super::BASE), "{path}");
            }
        }
    }
}
