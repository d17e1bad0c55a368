//! The facade embedders and the server call: validation → policy → store.
//!
//! Every operation takes an [`Actor`], which only [`Chat::enter`] can make after checking the
//! account's entitlements and the user's directory entry. Each operation validates its input,
//! loads the facts the decision needs (always scoped to the actor's account), asks
//! [`crate::policy::decide`], and then either reads through a scope or applies one
//! [`crate::store::Write`] carrying the facts as preconditions plus its audit entries, events
//! and notifications. When a
//! precondition no longer holds (someone changed the room meanwhile) the whole operation is
//! decided again, a bounded number of times.

mod access;
mod admin;
mod admission;
mod directory;
mod export;
mod history;
mod members;
mod messages;
mod notifications;
mod read;
mod rooms;
mod stats;
mod subscribe;
mod typing;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::json;

pub use directory::{DIRECTORY_DEFAULT_LIMIT, MAX_QUERY_CHARS};
pub use export::{AuditExport, EXPORT_PAGE, EXPORT_RETRY_AFTER_SECS};
pub use history::Anchor;
pub use messages::NewMessage;
pub use rooms::NewRoom;
pub use stats::STATS_GRACE_MS;
pub use subscribe::{ResumeOutcome, Subscription, SubscriptionEnd, MAX_REPLAY_EVENTS};
pub use typing::{TYPING_THROTTLE, TYPING_TTL};

pub use crate::actor::{Actor, Identity};

use crate::error::{ChatError, Result};
use crate::hub::{EventBus, LocalBus, Sequencer};
use crate::ids::{AccountId, AuditId, Timestamp, UserId};
use crate::model::{AuditAction, AuditEntry};
use crate::policy::{decide, Action, Subject};
use crate::presence::{Presence, PresenceConfig};
use crate::store::{ChatStore, Committed, Precondition, RoomAccess, Write};

/// How often an operation is decided again when its preconditions changed under it.
const ATTEMPTS: usize = 4;

/// When each (account, user, room) last sent a typing event (for the throttle).
type TypingLog = HashMap<(AccountId, UserId, crate::ids::RoomId), Instant>;

/// The chat library's entry point. Cheap to clone.
#[derive(Clone)]
pub struct Chat {
    store: Arc<dyn ChatStore>,
    seq: Arc<Sequencer>,
    presence: Presence,
    typing: Arc<Mutex<TypingLog>>,
    admission: Arc<admission::Admission>,
    access_cache: Arc<access::AccessCache>,
    stats_cache: Arc<stats::StatsCache>,
    exports: Arc<export::ExportSlots>,
}

impl std::fmt::Debug for Chat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chat").finish_non_exhaustive()
    }
}

impl Chat {
    /// Wraps a store, with an in-process event bus ([`LocalBus`]).
    pub fn new(store: Arc<dyn ChatStore>) -> Self {
        Self::with_bus(store, Arc::new(LocalBus::default()))
    }

    /// Wraps a store, publishing committed events on `bus`.
    pub fn with_bus(store: Arc<dyn ChatStore>, bus: Arc<dyn EventBus>) -> Self {
        Self::with_options(store, bus, PresenceConfig::default())
    }

    /// Wraps a store with a bus and presence timings.
    pub fn with_options(
        store: Arc<dyn ChatStore>,
        bus: Arc<dyn EventBus>,
        presence: PresenceConfig,
    ) -> Self {
        Self {
            store,
            presence: Presence::new(bus.clone(), presence),
            seq: Arc::new(Sequencer::new(bus)),
            typing: Arc::default(),
            admission: Arc::default(),
            access_cache: Arc::default(),
            stats_cache: Arc::default(),
            exports: Arc::default(),
        }
    }

    /// The presence tracker: transports open a [`crate::presence::Connection`] per client.
    pub fn presence(&self) -> &Presence {
        &self.presence
    }

    /// The event bus (for hosts that publish ephemeral events or bridge nodes).
    pub fn bus(&self) -> &Arc<dyn EventBus> {
        self.seq.bus()
    }

    /// Applies a write and publishes its events. Runs as its own task so that a caller who
    /// goes away mid-write (a dropped request) cannot leave a committed event unpublished.
    async fn commit(&self, write: Write) -> Result<Committed> {
        let store = self.store.clone();
        let seq = self.seq.clone();
        let account = write.account();
        let task = tokio::spawn(async move {
            let committed = store.apply(write).await?;
            seq.push(account, committed.events.clone());
            Ok(committed)
        });
        task.await
            .map_err(|e| ChatError::internal(format!("write task failed: {e}")))?
    }

    /// `Ok` when the store can read and write ([`ChatStore::health`]); a storage fault
    /// comes back as [`ChatError::Storage`] naming it.
    pub async fn health(&self) -> Result<()> {
        self.store.health().await?;
        Ok(())
    }

    /// Loads a live room as the actor sees it, `NotFound` if it is not live in their account.
    async fn access(&self, actor: &Actor, room: crate::ids::RoomId) -> Result<RoomAccess> {
        self.store
            .room_access(actor.account, room, actor.user)
            .await?
            .ok_or(ChatError::NotFound)
    }
}

/// Runs `attempt` again while it fails with `Conflict` (a precondition changed), up to
/// [`ATTEMPTS`] times; each attempt re-reads its facts and decides again.
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Err(ChatError::Conflict(why)) => last = Some(why),
            other => return other,
        }
    }
    Err(ChatError::Conflict(last.unwrap_or_default()))
}

/// Decides a room-level action for the actor from the loaded facts.
fn decide_room(
    actor: &Actor,
    access: &RoomAccess,
    subject: impl FnOnce(Subject) -> Subject,
    action: Action,
) -> Result<()> {
    let s = subject(Subject::room(
        actor.role,
        access.room.kind,
        access.membership,
    ));
    decide(action, &s).into_result()
}

/// The precondition that the actor's membership is still what the decision saw.
fn same_membership(actor: &Actor, access: &RoomAccess) -> Precondition {
    Precondition::Membership {
        room: access.room.id,
        user: actor.user,
        role: access.membership,
    }
}

/// An audit entry by the actor, noting whether they acted as a room member or through their
/// account role (managers may act on rooms they are not members of).
fn audit(
    actor: &Actor,
    action: AuditAction,
    target: String,
    access: Option<&RoomAccess>,
    mut metadata: serde_json::Value,
    at: Timestamp,
) -> AuditEntry {
    if let Some(obj) = metadata.as_object_mut() {
        obj.insert("account_role".into(), json!(actor.role.as_str()));
        if let Some(id) = &actor.request_id {
            obj.insert("request_id".into(), json!(&**id));
        }
        if let Some(a) = access {
            obj.insert("room_id".into(), json!(a.room.id.to_string()));
            obj.insert("room_role".into(), json!(a.membership.map(|r| r.as_str())));
        }
    }
    AuditEntry {
        id: AuditId::new(),
        account_id: actor.account,
        actor_id: Some(actor.user),
        action,
        target_id: target,
        metadata,
        created_at: at,
    }
}
