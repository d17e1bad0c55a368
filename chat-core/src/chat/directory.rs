//! v1.1 reads for the web client and the admin console: the account's directory (everyone)
//! and every team room of the account (managers).

use super::{Actor, Chat};
use crate::cursor::{checksum, Pager};
use crate::error::{ChatError, Result};
use crate::fold;
use crate::ids::UserId;
use crate::model::{DirectoryEntry, Page, RoomOverview};
use crate::policy::{decide, Action, Subject};
use crate::store::{
    AccountRoomsScope, DirectoryPosition, DirectoryScope, DirectorySearch, RoomPosition,
};
use crate::validate;

/// Default page size of the directory.
pub const DIRECTORY_DEFAULT_LIMIT: u32 = 20;
/// Longest directory query, in characters.
pub const MAX_QUERY_CHARS: usize = 80;

impl Chat {
    /// The actor's account directory, by name (accent- and case-insensitively) then user id.
    /// `q` (1–80 characters) keeps the users with a word of their name starting with it,
    /// accent- and case-insensitively. Inactive users are listed only with
    /// `include_inactive`, which only admins and supervisors may ask for.
    pub async fn list_users(
        &self,
        actor: &Actor,
        q: Option<&str>,
        include_inactive: bool,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<DirectoryEntry>> {
        let limit = match limit {
            None => DIRECTORY_DEFAULT_LIMIT,
            some => validate::limit(some)?,
        };
        let search = q
            .map(|q| {
                let n = q.chars().count();
                if n == 0 || n > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
                    return Err(ChatError::invalid(
                        "q",
                        format!("1 to {MAX_QUERY_CHARS} characters, no control characters"),
                    ));
                }
                Ok(fold::fold(q))
            })
            .transpose()?;
        if include_inactive {
            decide(Action::ViewInactiveUsers, &Subject::account(actor.role)).into_result()?;
        }
        // A cursor pages the list it came from: same account, filter and query.
        let scope_key = format!(
            "{}:{}:{:08x}",
            actor.account,
            u8::from(include_inactive),
            checksum(search.as_deref().unwrap_or("\u{0}"))
        );
        let pager = Pager::new("users", scope_key, limit);
        let after: Option<DirectoryPosition> = pager.after(cursor)?;
        if search.as_deref() == Some("") {
            // Only separators: no word can start with nothing, so nothing matches.
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let scope = DirectoryScope::new(actor.account, include_inactive);
        let search = search.map(|prefix| DirectorySearch { prefix });
        let items = self
            .store
            .list_directory(&scope, search.as_ref(), after, pager.fetch())
            .await?;
        Ok(pager.page(items, |e| DirectoryPosition {
            sort_key: fold::sort_key(e.name.as_deref()),
            user: e.user_id,
        }))
    }

    /// One entry of the actor's account directory (active or not); `NotFound` when the user
    /// is not known in that account.
    pub async fn get_user(&self, actor: &Actor, user: UserId) -> Result<DirectoryEntry> {
        if user.0 <= 0 {
            return Err(ChatError::NotFound);
        }
        self.store
            .directory(actor.account, &[user])
            .await?
            .pop()
            .ok_or(ChatError::NotFound)
    }

    /// Every live team room of the actor's account, member or not, most recent activity
    /// first, with member counts (admins and supervisors).
    pub async fn list_account_rooms(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<RoomOverview>> {
        let limit = validate::limit(limit)?;
        decide(Action::ViewAccountRooms, &Subject::account(actor.role)).into_result()?;
        let pager = Pager::new("account_rooms", actor.account.to_string(), limit);
        let after = pager.after(cursor)?;
        let items = self
            .store
            .list_account_rooms(&AccountRoomsScope::new(actor.account), after, pager.fetch())
            .await?;
        Ok(pager.page(items, |r| RoomPosition {
            activity_at: r.room.last_message_at.unwrap_or(r.room.created_at),
            room: r.room.id,
        }))
    }
}
