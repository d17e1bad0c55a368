//! `/audit` (admins).

use chat_core::store::AuditFilter;
use chat_core::{AuditAction, ChatError, Timestamp, UserId};
use http::StatusCode;

use super::{HandlerResult, UserCall};
use crate::http::Reply;

/// An RFC 3339 time parameter.
fn time(c: &UserCall, name: &str) -> Result<Option<Timestamp>, ChatError> {
    c.query
        .get(name)?
        .map(|v| {
            Timestamp::parse_rfc3339(v)
                .ok_or_else(|| ChatError::invalid(name, "must be an RFC 3339 time"))
        })
        .transpose()
}

/// The filters shared by the listing and the export: `action`, `actor_id`, `target_id`,
/// `from` (inclusive), `to` (exclusive).
pub(super) fn filter(c: &UserCall) -> Result<AuditFilter, ChatError> {
    let action = c
        .query
        .get("action")?
        .map(|a| {
            AuditAction::parse(a).ok_or_else(|| ChatError::invalid("action", "unknown action"))
        })
        .transpose()?;
    Ok(AuditFilter {
        action,
        actor_id: c.query.int("actor_id")?.map(UserId),
        target_id: c.query.get("target_id")?.map(str::to_owned),
        from: time(c, "from")?,
        to: time(c, "to")?,
    })
}

/// `GET /audit?action&actor_id&target_id&from&to&limit&cursor`: newest first; `from`
/// inclusive, `to` exclusive.
pub async fn list(c: UserCall) -> HandlerResult {
    let filter = filter(&c)?;
    let page = c
        .app
        .chat
        .list_audit(&c.actor, &filter, c.query.cursor()?, c.query.limit()?)
        .await?;
    Ok(Reply::json(StatusCode::OK, &page))
}
