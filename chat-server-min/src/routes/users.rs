//! `/users` and `/users/{user_id}` (v1.1): the caller's account directory.

use chat_core::{ChatError, UserId};
use http::StatusCode;

use super::{HandlerResult, UserCall};
use crate::http::Reply;

/// `GET /users?q&limit&cursor&include_inactive`: by name (accent- and case-insensitively),
/// then user id.
pub async fn list(c: UserCall) -> HandlerResult {
    let include_inactive = match c.query.get("include_inactive")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ChatError::invalid("include_inactive", "must be true or false").into())
        }
    };
    let page = c
        .app
        .chat
        .list_users(
            &c.actor,
            c.query.get("q")?,
            include_inactive,
            c.query.cursor()?,
            c.query.limit()?,
        )
        .await?;
    Ok(Reply::json(StatusCode::OK, &page))
}

/// `GET /users/{user_id}`: one entry of the caller's account, `404` otherwise.
pub async fn get(c: UserCall) -> HandlerResult {
    let user = UserId(c.params.id("user_id")?);
    let entry = c.app.chat.get_user(&c.actor, user).await?;
    Ok(Reply::json(StatusCode::OK, &entry))
}
