//! Reading a room's history: pages newest first, older and newer from any position, and a
//! page centred on a message or on the reader's first unread one.
//!
//! A room's `seq`s run 1, 2, 3… without gaps (messages are only soft-deleted), so every page
//! is one range of the `(room, seq)` index and its ends say whether more exist on either
//! side. Cursors are positions by `seq`: messages arriving while a client pages in either
//! direction are never skipped nor repeated.

use super::{decide_room, Actor, Chat};
use crate::cursor::Pager;
use crate::error::{ChatError, Result};
use crate::ids::{MessageId, RoomId};
use crate::model::{Message, MessagePage};
use crate::policy::Action;
use crate::store::{DecideMember, MemberScope, Window};
use crate::validate;

/// Where [`Chat::messages_around`] centres its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// This message (of the room asked for).
    Message(MessageId),
    /// The reader's first unread message; the newest page when nothing is unread.
    FirstUnread,
}

impl Chat {
    /// Messages of a room, newest first, for members: the newest page, or the older or newer
    /// page a cursor of an earlier page names. Deleted messages keep their place with no
    /// content.
    pub async fn list_messages(
        &self,
        actor: &Actor,
        room: RoomId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let limit = validate::limit(limit)?;
        let pager = pager(actor, room, limit);
        let window = pager.after(cursor)?.unwrap_or(Window::Before(None));
        // The access read, the decision and the page in one trip to the store.
        let who = actor.clone();
        let decide: DecideMember = Box::new(move |access| {
            // Only the room asked for, in the caller's account, may grant a scope for it.
            let access = access
                .filter(|a| a.room.id == room && a.room.account_id == who.account)
                .ok_or(ChatError::NotFound)?;
            decide_room(&who, &access, |s| s, Action::ReadMessages)?;
            Ok(MemberScope::new(who.account, room, who.user))
        });
        let fetched = self
            .store
            .list_messages_decided(
                actor.account,
                room,
                actor.user,
                decide,
                window,
                pager.fetch(),
            )
            .await?;
        Ok(page(&pager, window, fetched, limit))
    }

    /// Up to `limit` messages of a room with the anchor in the middle (fewer newer ones when
    /// the room has fewer), newest first, with cursors both ways and the anchor's id. A
    /// message of another room or account is `NotFound`.
    pub async fn messages_around(
        &self,
        actor: &Actor,
        room: RoomId,
        anchor: Anchor,
        limit: Option<u32>,
    ) -> Result<MessagePage> {
        let limit = validate::limit(limit)?;
        let access = self.access(actor, room).await?;
        decide_room(actor, &access, |s| s, Action::ReadMessages)?;
        let scope = MemberScope::new(actor.account, room, actor.user);
        let newest = access.room.last_seq;
        let centre = match anchor {
            Anchor::Message(id) => {
                let found = self
                    .store
                    .message_access(actor.account, id, actor.user)
                    .await?
                    .filter(|m| m.message.room_id == room)
                    .ok_or(ChatError::NotFound)?;
                Some(found.message.seq)
            }
            Anchor::FirstUnread => {
                let read = self
                    .store
                    .read_pointer(&scope)
                    .await?
                    .ok_or(ChatError::NotFound)?;
                (read < newest).then_some(read + 1)
            }
        };
        let Some(centre) = centre else {
            let mut newest_page = self.list_messages(actor, room, None, Some(limit)).await?;
            newest_page.anchor_id = Some(None);
            return Ok(newest_page);
        };
        // `limit` messages below a bound half a page above the centre: near the newest end
        // the page fills with older ones, so it is always full when the room is.
        let bound = centre + i64::from(limit / 2) + 1;
        let items = self
            .store
            .list_messages(&scope, Window::Before(Some(bound)), limit)
            .await?;
        let pager = pager(actor, room, limit);
        let (top, low) = match (items.first(), items.last()) {
            (Some(first), Some(last)) => (first.seq, last.seq),
            _ => (centre, centre),
        };
        Ok(MessagePage {
            anchor_id: Some(items.iter().find(|m| m.seq == centre).map(|m| m.id)),
            next_cursor: (low > 1).then(|| pager.cursor(&Window::Before(Some(low)))),
            prev_cursor: (top < newest).then(|| pager.cursor(&Window::After(top))),
            items,
        })
    }
}

/// Message cursors name a position in one room of one account.
fn pager(actor: &Actor, room: RoomId, limit: u32) -> Pager {
    Pager::new("messages", format!("{}:{}", actor.account, room), limit)
}

/// The page of `fetched` (at most `limit + 1` messages of `window`, newest first) with its
/// cursors: the extra message, if any, says more follow in the window's direction; the other
/// direction is known from the window and the gapless `seq`s.
fn page(pager: &Pager, window: Window, mut fetched: Vec<Message>, limit: u32) -> MessagePage {
    let more = fetched.len() > limit as usize;
    let (next, prev) = match window {
        Window::Before(before) => {
            fetched.truncate(limit as usize);
            let next = more
                .then(|| fetched.last().map(|m| Window::Before(Some(m.seq))))
                .flatten();
            // A page below a cursor has newer messages: at least the one the cursor names.
            let top = fetched
                .first()
                .map_or(before.map(|b| b - 1), |m| Some(m.seq));
            (next, before.and(top).map(Window::After))
        }
        Window::After(after) => {
            if more {
                // Oldest first above `after`, then reversed: the extra one is the newest.
                fetched.remove(0);
            }
            let prev = more
                .then(|| fetched.first().map(|m| Window::After(m.seq)))
                .flatten();
            let bottom = fetched.last().map_or(after + 1, |m| m.seq);
            ((bottom > 1).then_some(Window::Before(Some(bottom))), prev)
        }
    };
    MessagePage {
        items: fetched,
        next_cursor: next.map(|w| pager.cursor(&w)),
        prev_cursor: prev.map(|w| pager.cursor(&w)),
        anchor_id: None,
    }
}
