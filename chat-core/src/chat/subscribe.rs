//! Realtime for embedders: `Chat::subscribe(actor, since)` → a [`Subscription`] yielding every
//! event the actor may see, replayed from the log after `since`, then live — in order, each
//! once, with no gap at the seam. Transports (WebSocket, SSE) are thin adapters over it.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use super::{Actor, Chat};
use crate::error::{ChatError, Result};
use crate::events::{ephemeral, Audience, Event, EventType};
use crate::hub::FeedItem;

/// Events read from the log per store call while replaying or filling a gap.
const PAGE: u32 = 256;

/// A resume further behind than this many events of the account is answered with
/// `resync_required` instead of a replay: it bounds the work one reconnect can cause (a
/// client that far behind refetches state faster than it replays it anyway).
pub const MAX_REPLAY_EVENTS: i64 = 50_000;

/// `resync_required` for `actor`, who asked to resume after `since`; `available` is the
/// oldest id they could have resumed from.
fn resync(actor: &Actor, since: i64, available: i64) -> Event {
    ephemeral(
        EventType::ResyncRequired,
        actor.account,
        None,
        serde_json::json!({ "since": since, "oldest_available": available.max(0) }),
        Audience::users(vec![actor.user]),
    )
}

/// Why a subscription ended.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionEnd {
    /// The user was deactivated.
    #[error("user deactivated")]
    Deactivated,
    /// The account's chat was disabled (entitlements).
    #[error("chat disabled for the account")]
    ChatDisabled,
    /// The bus shut down.
    #[error("event bus closed")]
    Closed,
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] ChatError),
}

/// A live view of the events one actor may see. Pull with [`Subscription::next`].
///
/// It never makes a publisher wait: when it falls behind the in-memory bus, it reads the
/// missed events from the log instead, so a slow reader costs store reads, not memory.
/// Transports that cannot keep up with their socket should close the connection and let the
/// client resume with the last id it saw.
pub struct Subscription {
    chat: Chat,
    actor: Actor,
    rx: broadcast::Receiver<FeedItem>,
    ready: VecDeque<Arc<Event>>,
    /// Highest event id accounted for (delivered or filtered out).
    last: i64,
    /// Whether events after `last` must be read from the log before following the bus.
    behind: bool,
    /// What became of the `since` asked for.
    resume: Option<ResumeOutcome>,
}

/// What a subscription did with the resume point it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeOutcome {
    /// The missed events are replayed from the log.
    Replayed,
    /// The log could not serve it: the first event is `resync_required`.
    ResyncRequired,
}

impl From<crate::store::StoreError> for SubscriptionEnd {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(e.into())
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("actor", &self.actor)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Chat {
    /// Subscribes `actor` to their events. With `since = Some(n)`, first replays every
    /// visible event after `n`; if `n` is older than the log keeps (or unknown), the first
    /// event is `resync_required` and the subscription follows live events from now.
    pub async fn subscribe(&self, actor: &Actor, since: Option<i64>) -> Result<Subscription> {
        // Subscribe to the bus before reading the log, so nothing falls between the two.
        let rx = self.seq.bus().subscribe(actor.account);
        let head = self.store.events_after(actor.account, i64::MAX, 1).await?;
        let mut sub = Subscription {
            chat: self.clone(),
            actor: actor.clone(),
            rx,
            ready: VecDeque::new(),
            last: head.last_id,
            behind: false,
            resume: None,
        };
        if let Some(n) = since {
            let too_far = head.last_id.saturating_sub(n) > MAX_REPLAY_EVENTS;
            if n < 0 || n > head.last_id || n < head.pruned_through || too_far {
                sub.ready.push_back(Arc::new(resync(
                    actor,
                    n,
                    head.pruned_through.max(head.last_id - MAX_REPLAY_EVENTS),
                )));
                sub.resume = Some(ResumeOutcome::ResyncRequired);
            } else {
                sub.last = n;
                sub.behind = true;
                sub.resume = Some(ResumeOutcome::Replayed);
            }
        }
        Ok(sub)
    }
}

impl Subscription {
    /// The actor this subscription serves.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// What became of the `since` given to [`Chat::subscribe`] (`None` without one).
    pub fn resume_outcome(&self) -> Option<ResumeOutcome> {
        self.resume
    }

    /// The highest event id this subscription has accounted for (resume from here).
    pub fn last_id(&self) -> i64 {
        self.last
    }

    /// The next event, waiting for one if needed. Shared, not copied: a live event reaches
    /// every subscriber as the same allocation (and [`Event::to_json`] renders it once).
    pub async fn next(&mut self) -> Result<Arc<Event>, SubscriptionEnd> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Ok(e);
            }
            if self.behind {
                self.catch_up().await?;
                continue;
            }
            match self.rx.recv().await {
                Ok(FeedItem::Event(e)) => match e.id {
                    None if e.audience.includes(self.actor.user) => return Ok(e),
                    None => {}
                    Some(id) if id <= self.last => {}
                    Some(id) if id == self.last + 1 => {
                        self.last = id;
                        if e.audience.includes(self.actor.user) {
                            return Ok(e);
                        }
                    }
                    // A gap: the log has everything up to this id.
                    Some(_) => self.behind = true,
                },
                Ok(FeedItem::UserDeactivated(u)) if u == self.actor.user => {
                    return Err(SubscriptionEnd::Deactivated)
                }
                Ok(FeedItem::ChatDisabled) => return Err(SubscriptionEnd::ChatDisabled),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => self.behind = true,
                Err(RecvError::Closed) => return Err(SubscriptionEnd::Closed),
            }
        }
    }

    /// Reads one page of the log after `last` into `ready`; clears `behind` at the end.
    ///
    /// The bus may have dropped a deactivation or chat-disabled signal while this subscriber
    /// was behind, so admission is checked again against the store first.
    async fn catch_up(&mut self) -> Result<(), SubscriptionEnd> {
        let store = &self.chat.store;
        let (account, user) = (self.actor.account, self.actor.user);
        if !store.entitlements(account).await?.chat_enabled {
            return Err(SubscriptionEnd::ChatDisabled);
        }
        let entry = store.directory(account, &[user]).await?.pop();
        if entry.is_some_and(|e| !e.active) {
            return Err(SubscriptionEnd::Deactivated);
        }
        let slice = self
            .chat
            .store
            .events_after(self.actor.account, self.last, PAGE)
            .await?;
        if slice.pruned_through > self.last {
            // Retention overtook a slow reader: it must resync like a late resume.
            self.ready.push_back(Arc::new(resync(
                &self.actor,
                self.last,
                slice.pruned_through,
            )));
            self.last = slice.last_id;
            self.behind = false;
            return Ok(());
        }
        if slice.events.len() < PAGE as usize {
            self.behind = false;
        }
        let member_of = self.rooms_still_readable(&slice.events).await?;
        for e in slice.events {
            if let Some(id) = e.id {
                self.last = self.last.max(id);
            }
            if !e.audience.includes(self.actor.user) {
                continue;
            }
            if is_about_a_message(e.kind) && !e.room_id.is_some_and(|r| member_of.contains(&r)) {
                continue;
            }
            self.ready.push_back(Arc::new(e));
        }
        Ok(())
    }

    /// The rooms whose messages the actor may read now, when `events` holds any message event
    /// (empty otherwise, without a store read).
    ///
    /// The log renders a message event from the message as it is when replayed (so it never
    /// replays text the API no longer shows). For a reader who has since left the room that
    /// would show what they could not see when they lost access — an edit made after their
    /// removal — so a replay leaves out message events of rooms the reader is no longer a
    /// member of, as `GET …/messages` refuses them the room. Their `member.removed` (and
    /// everything else recorded for them) still arrives. Read after the page, so a removal
    /// committed between the two reads leaves the events out rather than in.
    async fn rooms_still_readable(
        &self,
        events: &[Event],
    ) -> Result<std::collections::HashSet<crate::ids::RoomId>, SubscriptionEnd> {
        let user = self.actor.user;
        if !events
            .iter()
            .any(|e| is_about_a_message(e.kind) && e.audience.includes(user))
        {
            return Ok(Default::default());
        }
        let rooms = self.chat.store.unread(&self.actor.own()).await?;
        Ok(rooms.into_iter().map(|r| r.room_id).collect())
    }
}

/// Events whose data is a message rendered from the store when replayed.
fn is_about_a_message(kind: EventType) -> bool {
    matches!(
        kind,
        EventType::MessageCreated | EventType::MessageUpdated | EventType::MessageDeleted
    )
}
