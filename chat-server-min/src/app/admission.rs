//! Admission, shared by user routes and realtime streams: the path's account must be the
//! caller's, then `Chat::enter`, then the write budget. It lives below both so that the
//! pipeline (`server`) and the transports (`realtime`) call one definition.

use chat_core::{Actor, Identity};

use super::App;
use crate::http::{ApiError, Params};

/// What the access log and metrics learn while a request is handled.
#[derive(Debug)]
pub struct Seen {
    /// The matched route template (`unmatched` until a route matches).
    pub route: &'static str,
    /// The caller's account, once known.
    pub account: Option<i64>,
    /// The caller's user, once known.
    pub user: Option<i64>,
}

impl Default for Seen {
    fn default() -> Self {
        Self {
            route: "unmatched",
            account: None,
            user: None,
        }
    }
}

/// The path's account must be the caller's (checked before anything is looked up, so a
/// foreign account learns nothing); records who is calling for the log line.
pub fn same_account(identity: &Identity, params: &Params, seen: &mut Seen) -> Result<(), ApiError> {
    seen.account = Some(identity.account.0);
    seen.user = Some(identity.user.0);
    let path_account = params.raw("account_id").and_then(|a| a.parse::<i64>().ok());
    if path_account != Some(identity.account.0) {
        return Err(ApiError::AccountMismatch);
    }
    Ok(())
}

/// Admission for every user route and stream: `Chat::enter` (entitlements, deactivation,
/// directory), the request id for audit entries, and — after admission, so a refused caller
/// spends nobody's budget — the write rate limit when `charge`.
pub async fn admit(
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
