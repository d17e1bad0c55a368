//! `/stats` (v1.1): the account's activity for the admin console.

use chat_core::stats::StatsRange;
use chat_core::ChatError;
use http::StatusCode;

use super::{HandlerResult, UserCall};
use crate::http::Reply;

/// `GET /stats?range=hour|day|month` (admins and supervisors); `range` defaults to `day`.
pub async fn get(c: UserCall) -> HandlerResult {
    let range = match c.query.get("range")? {
        None => StatsRange::Day,
        Some(r) => StatsRange::parse(r)
            .ok_or_else(|| ChatError::invalid("range", "must be hour, day or month"))?,
    };
    let stats = c.app.chat.stats(&c.actor, range).await?;
    Ok(Reply::json(StatusCode::OK, &stats))
}
