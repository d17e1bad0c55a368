//! The REST side of realtime: connection tickets, presence, notifications. (`/ws` and
//! `/events` themselves are in [`crate::realtime`].)

use chat_core::{ChatError, NotificationId};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{HandlerResult, UserCall};
use crate::auth::token_deadline;
use crate::http::{decode_json, Reply};

/// `POST /realtime/ticket`: a single-use ticket for `/ws?ticket=` or `/events?ticket=`,
/// bound to the caller's account, user, role, name and token expiry.
pub async fn ticket(c: UserCall) -> HandlerResult {
    let deadline = token_deadline(c.grant.token_exp, c.app.config.jwt_leeway_secs);
    let (ticket, expires_at) = c.app.realtime.tickets.issue(c.grant.clone(), deadline)?;
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"ticket": ticket, "expires_at": expires_at}),
    ))
}

/// `GET /presence`: every user of the account this server has seen connected.
pub async fn presence(c: UserCall) -> HandlerResult {
    let items = c.app.chat.presence().list(c.actor.account());
    Ok(Reply::json(
        StatusCode::OK,
        &json!({"items": items, "next_cursor": null}),
    ))
}

/// `GET /notifications?unread_only&limit&cursor`: the caller's, newest first.
pub async fn list_notifications(c: UserCall) -> HandlerResult {
    let unread_only = match c.query.get("unread_only")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ChatError::invalid("unread_only", "must be true or false").into()),
    };
    let page = c
        .app
        .chat
        .list_notifications(&c.actor, unread_only, c.query.cursor()?, c.query.limit()?)
        .await?;
    Ok(Reply::json(StatusCode::OK, &page))
}

/// Body of `POST /notifications/read`: exactly one of `ids` and `all: true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReadNotifications {
    #[serde(default)]
    pub(super) ids: Option<Vec<NotificationId>>,
    #[serde(default)]
    pub(super) all: Option<bool>,
}

/// `POST /notifications/read` `{ids:[..]}` or `{all:true}` → `{updated}`.
pub async fn read_notifications(c: UserCall) -> HandlerResult {
    let body: ReadNotifications = decode_json(&c.body)?;
    let ids = body.which()?;
    let updated = c
        .app
        .chat
        .read_notifications(&c.actor, ids.as_deref())
        .await?;
    Ok(Reply::json(StatusCode::OK, &json!({"updated": updated})))
}

impl ReadNotifications {
    /// The ids to mark read, `None` for all: exactly one of `ids` and `all: true`.
    pub(super) fn which(self) -> Result<Option<Vec<NotificationId>>, ChatError> {
        match (self.ids, self.all) {
            (Some(ids), None) => Ok(Some(ids)),
            (None, Some(true)) => Ok(None),
            (None, Some(false)) => Err(ChatError::invalid(
                "all",
                "must be true (or send ids instead)",
            )),
            _ => Err(ChatError::invalid(
                "body",
                "send exactly one of ids and all",
            )),
        }
    }
}
