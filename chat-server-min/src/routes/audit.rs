//! `/audit` (admins).

use chat_core::store::AuditFilter;
use chat_core::{AuditAction, ChatError, UserId};
use http::StatusCode;

use super::{HandlerResult, UserCall};
use crate::http::Reply;

/// `GET /audit?action&actor_id&target_id&limit&cursor`: newest first.
pub async fn list(c: UserCall) -> HandlerResult {
    let action = c
        .query
        .get("action")?
        .map(|a| {
            AuditAction::parse(a).ok_or_else(|| ChatError::invalid("action", "unknown action"))
        })
        .transpose()?;
    let filter = AuditFilter {
        action,
        actor_id: c.query.int("actor_id")?.map(UserId),
        target_id: c.query.get("target_id")?.map(str::to_owned),
        ..AuditFilter::default()
    };
    let page = c
        .app
        .chat
        .list_audit(&c.actor, &filter, c.query.cursor()?, c.query.limit()?)
        .await?;
    Ok(Reply::json(StatusCode::OK, &page))
}
