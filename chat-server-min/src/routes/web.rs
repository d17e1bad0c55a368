//! The web client's routes: the pages, `/embed.js`, the hashed assets, and the dev mode's
//! demo host and token minting. What is served and with which policy is [`crate::web`]'s
//! business; this adapts requests to it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chat_core::{AccountRole, ChatError, Timestamp};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::HandlerResult;
use crate::app::App;
use crate::auth;
use crate::http::{cors, decode_json, Params, Reply};
use crate::web::pages::{self, Page, PageContext};
use crate::web::{accepts_gzip, Asset, Bundle};

/// Hashed names never change content: cache for a year, never revalidate.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `/embed.js` keeps its URL across releases: revalidate every time (cheap with `ETag`).
const REVALIDATE: &str = "no-cache";
/// Default lifetime of a dev token: short, so the demo exercises token refresh.
const DEV_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// Longest dev token.
const DEV_TOKEN_MAX_SECS: u64 = 12 * 3600;

/// A request for a web route: what the pages and assets need of it.
pub struct WebCall {
    /// Server state.
    pub app: Arc<App>,
    /// Path parameters.
    pub params: Params,
    /// Request headers (`Host`, `Accept-Encoding`, `If-None-Match`).
    pub headers: HeaderMap,
    /// Body (`POST /dev/token`).
    pub body: Bytes,
}

/// `GET /embed`.
pub async fn chat(c: WebCall) -> HandlerResult {
    page(&c, Page::Chat)
}

/// `GET /embed/admin`.
pub async fn admin(c: WebCall) -> HandlerResult {
    page(&c, Page::Admin)
}

/// `GET /dev`: dev mode only (`404` otherwise, like any unknown path).
pub async fn dev(c: WebCall) -> HandlerResult {
    if !c.app.config.dev {
        return Err(ChatError::NotFound.into());
    }
    page(&c, Page::Dev)
}

/// `GET /embed.js`: the host helper, importable cross-origin as a module (public code, no
/// credentials).
pub async fn embed_js(c: WebCall) -> HandlerResult {
    let bundle = bundle(&c.app)?;
    let asset = bundle.embed_js().ok_or(ChatError::NotFound)?;
    Ok(serve(asset, &c.headers, REVALIDATE))
}

/// `GET /assets/{*path}`.
pub async fn asset(c: WebCall) -> HandlerResult {
    let path = c.params.raw("path").unwrap_or_default();
    // An asset request names a file of the bundle whose page named it; in debug builds the
    // files may have changed since, so look at them again before saying 404.
    let cached = c.app.web.cached();
    let found = cached.as_ref().and_then(|b| b.asset(path).cloned());
    let found = match found {
        Some(a) => Some(a),
        None => bundle(&c.app)?.asset(path).cloned(),
    };
    let asset = found.ok_or(ChatError::NotFound)?;
    Ok(serve(&asset, &c.headers, IMMUTABLE))
}

/// Body of `POST /dev/token`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DevTokenRequest {
    account_id: i64,
    user_id: i64,
    role: String,
    #[serde(default)]
    name: Option<String>,
    /// Lifetime in seconds (default 15 minutes, at most 12 hours).
    #[serde(default)]
    ttl_secs: Option<u64>,
}

/// `POST /dev/token {account_id, user_id, role, name?, ttl_secs?}`: a user token for the demo
/// host page — dev mode only (`404` otherwise). `--dev` listens on loopback only and makes its
/// own secret, so this never mints tokens a real deployment would accept.
pub async fn dev_token(c: WebCall) -> HandlerResult {
    if !c.app.config.dev {
        return Err(ChatError::NotFound.into());
    }
    let req: DevTokenRequest = decode_json(&c.body)?;
    let role = AccountRole::parse(&req.role)
        .ok_or_else(|| ChatError::invalid("role", "must be admin, supervisor or agent"))?;
    if req.account_id <= 0 {
        return Err(ChatError::invalid("account_id", "must be a positive integer").into());
    }
    if req.user_id <= 0 {
        return Err(ChatError::invalid("user_id", "must be a positive integer").into());
    }
    let name = req.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 80) {
        return Err(ChatError::invalid("name", "must be 1 to 80 characters").into());
    }
    let ttl = match req.ttl_secs {
        None => DEV_TOKEN_TTL,
        Some(s) if (1..=DEV_TOKEN_MAX_SECS).contains(&s) => Duration::from_secs(s),
        Some(_) => {
            return Err(ChatError::invalid("ttl_secs", "must be 1 to 43200 seconds").into());
        }
    };
    let config = &c.app.config;
    let mut claims = auth::claims_for(req.account_id, req.user_id, role, name, ttl)?;
    claims.iss = config.jwt_issuer.clone();
    claims.aud = config.jwt_audience.clone().map(serde_json::Value::String);
    let token = auth::mint_claims(&config.jwt_secret, &claims)?;
    let exp_ms = i64::try_from(claims.exp)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000);
    Ok(Reply::json_value(
        StatusCode::OK,
        json!({ "token": token, "expires_at": Timestamp(exp_ms).to_rfc3339() }),
    ))
}

fn bundle(app: &App) -> Result<Arc<Bundle>, ChatError> {
    app.web
        .bundle()
        .map_err(|e| ChatError::Internal(format!("web bundle: {e}")))
}

fn page(c: &WebCall, page: Page) -> HandlerResult {
    let bundle = bundle(&c.app)?;
    let html = bundle.page(page.file()).ok_or(ChatError::NotFound)?;
    let ctx = PageContext {
        embed_origins: &c.app.config.embed_origins,
        own_origin: c.app.config.dev.then(|| own_origin(&c.headers)).flatten(),
    };
    Ok(pages::reply(page, html, &ctx))
}

/// `http://{Host}` when the `Host` header makes a valid origin (dev mode listens on loopback
/// over plain HTTP).
fn own_origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let origin = format!("http://{host}");
    cors::valid_origin(&origin).then_some(origin)
}

fn serve(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Reply {
    let not_modified = headers
        .get_all(http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    let reply = if not_modified {
        Reply::empty(StatusCode::NOT_MODIFIED)
    } else {
        match asset.gzip.as_ref().filter(|_| accepts_gzip(headers)) {
            Some(z) => Reply::raw(StatusCode::OK, asset.content_type, z.clone())
                .header("content-encoding", "gzip"),
            None => Reply::raw(StatusCode::OK, asset.content_type, asset.body.clone()),
        }
    };
    reply
        .header("cache-control", cache)
        .header("etag", asset.etag.clone())
        .header("vary", "Accept-Encoding")
        // Public code that host pages on other origins import as modules; no credentials.
        .header("access-control-allow-origin", "*")
}
