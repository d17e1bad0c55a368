//! The storage contract every backend implements.
//!
//! Design (see README "Architecture"):
//!
//! * **Tenant-scoped by construction.** Every method takes the [`AccountId`] (directly or in a
//!   scope); a backend must put it in the `WHERE` clause of every statement, so a row of
//!   another account can never be read or changed. A foreign id is simply "not found".
//! * **Capability narrowing.** Reads of room content take a [`MemberScope`] or [`RoomScope`],
//!   reads of a user's own lists a [`UserScope`], reads of the audit log an [`AuditScope`],
//!   and the only write takes a [`Write`]. None of
//!   these can be built outside `chat-core`: only the facade ([`crate::Chat`]) makes them, after
//!   the policy engine allowed the action. A backend can read them but not forge them.
//! * **A write is one value.** [`Write`] = preconditions + one [`Op`] + audit entries +
//!   events + notifications. The backend applies it in one transaction: check every
//!   [`Precondition`] (the facts the policy decision relied on — they may have changed since
//!   they were read), apply the op, insert the audit rows, append the events to the log (the
//!   realtime outbox), insert the notifications, commit. A failed precondition is
//!   [`StoreError::Conflict`] with nothing written; the facade then re-reads the facts and
//!   decides again. No transaction handle ever crosses the trait, so a PostgreSQL backend
//!   implements the same contract with `SELECT … FOR UPDATE` or serializable transactions.
//! * **Errors keep their source.** A backend's failure is [`StoreError::Backend`] with the
//!   driver's error as its source, for the logs; the facade turns store errors into its own
//!   [`ChatError`](crate::ChatError) (see [`StoreError`]).
//! * **Derived counters.** Each op documents how a member's `unread_count` / `mention_count`
//!   change (the values reads must return). Backends keep them so that reading all of a
//!   user's unread counts costs one indexed lookup per room, independent of history length
//!   and backlog — how is theirs: SQLite derives the unread count from the room's `last_seq`
//!   and a per-member count of skipped messages, so a send writes no other member's row.

mod error;

use async_trait::async_trait;

pub use error::{BackendError, StorageFault, StoreError, StoreResult};

use crate::error::Result;
use crate::events::{Event, EventDraft, LogSlice};
use crate::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use crate::model::{
    AuditAction, AuditEntry, DirectoryEntry, Entitlements, Message, Notification, ReadState, Room,
    RoomDetail, RoomOverview, RoomRole, RoomSummary, RoomUnread,
};
use crate::stats::{Activity, BucketUnit, StatsTotals};

/// A room as seen by one user: the facts the policy engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomAccess {
    /// The live (not archived) room.
    pub room: Room,
    /// The user's role in it, if a member.
    pub membership: Option<RoomRole>,
}

/// A live message with its room as seen by one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAccess {
    /// The message (possibly soft-deleted).
    pub message: Message,
    /// Its room and the user's membership.
    pub room: RoomAccess,
}

/// Permission to read a room's metadata and members. Built only by the facade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomScope {
    account: AccountId,
    room: RoomId,
}

impl RoomScope {
    pub(crate) fn new(account: AccountId, room: RoomId) -> Self {
        Self { account, room }
    }
    /// The account (tenant): every row read or written under it belongs to it.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The room it grants.
    pub fn room(&self) -> RoomId {
        self.room
    }
}

/// Permission for one member to read a room's messages. Built only by the facade.
///
/// Backends must also require the membership in the query itself, so that a membership
/// removed between the decision and the read fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberScope {
    account: AccountId,
    room: RoomId,
    user: UserId,
}

impl MemberScope {
    pub(crate) fn new(account: AccountId, room: RoomId, user: UserId) -> Self {
        Self {
            account,
            room,
            user,
        }
    }
    /// The account (tenant): every row read or written under it belongs to it.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The room it grants.
    pub fn room(&self) -> RoomId {
        self.room
    }
    /// The member reading.
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// Permission for one user to read their own lists (rooms, unread counters, notifications).
/// Built only by the facade, from an admitted [`Actor`](crate::Actor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserScope {
    account: AccountId,
    user: UserId,
}

impl UserScope {
    pub(crate) fn new(account: AccountId, user: UserId) -> Self {
        Self { account, user }
    }
    /// Tenant: every row read is of this account.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The user whose own lists are read.
    pub fn user(&self) -> UserId {
        self.user
    }
}

/// Permission to read one account's audit log. Built only by the facade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditScope {
    account: AccountId,
}

impl AuditScope {
    pub(crate) fn new(account: AccountId) -> Self {
        Self { account }
    }
    /// The account (tenant): every row read or written under it belongs to it.
    pub fn account(&self) -> AccountId {
        self.account
    }
}

/// Filters of the audit listing; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only entries by this actor.
    pub actor_id: Option<UserId>,
    /// Only entries about this target.
    pub target_id: Option<String>,
    /// Only entries created at or after this time (inclusive).
    pub from: Option<Timestamp>,
    /// Only entries created before this time (exclusive).
    pub to: Option<Timestamp>,
}

/// Permission to read one account's directory, with or without its inactive users. Built
/// only by the facade, after the policy engine allowed inactive users (managers only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryScope {
    account: AccountId,
    include_inactive: bool,
}

impl DirectoryScope {
    pub(crate) fn new(account: AccountId, include_inactive: bool) -> Self {
        Self {
            account,
            include_inactive,
        }
    }
    /// Tenant.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// Whether inactive users are listed too.
    pub fn include_inactive(&self) -> bool {
        self.include_inactive
    }
}

/// A directory search: entries whose name has a word starting with `prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySearch {
    /// The folded query ([`crate::fold::fold`]); never empty.
    pub prefix: String,
}

/// Keyset position in the directory: entries strictly after this one by (sort key, user id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPosition {
    /// [`crate::fold::sort_key`] of the last entry seen.
    pub sort_key: String,
    /// Its user id, breaking ties.
    pub user: UserId,
}

/// Permission to list every team room of one account (managers). Built only by the facade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRoomsScope {
    account: AccountId,
}

impl AccountRoomsScope {
    pub(crate) fn new(account: AccountId) -> Self {
        Self { account }
    }
    /// Tenant.
    pub fn account(&self) -> AccountId {
        self.account
    }
}

/// Permission to read one account's activity statistics (managers). Built only by the facade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsScope {
    account: AccountId,
}

impl StatsScope {
    pub(crate) fn new(account: AccountId) -> Self {
        Self { account }
    }
    /// Tenant.
    pub fn account(&self) -> AccountId {
        self.account
    }
}

/// Which messages of a room a page holds, by `seq`. Both return the page newest first.
///
/// A room's `seq`s are 1, 2, 3… without gaps (messages are only ever soft-deleted), so a
/// window is one range of the `(room, seq)` index, and its ends tell whether older or newer
/// messages exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The newest `limit` messages with `seq` below this one (`None`: the room's newest).
    Before(Option<i64>),
    /// The oldest `limit` messages with `seq` above this one.
    After(i64),
}

/// Keyset position in the room list: rooms strictly "older" than this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomPosition {
    /// Activity time (newest message, or creation) of the last room seen.
    pub activity_at: Timestamp,
    /// Its id, breaking ties.
    pub room: RoomId,
}

/// Keyset position in the audit log: entries strictly older than this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPosition {
    /// `created_at` of the last entry seen.
    pub created_at: Timestamp,
    /// Its id, breaking ties.
    pub id: crate::ids::AuditId,
}

/// A fact a write relies on, checked by the backend inside the write's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Precondition {
    /// The room exists in the account and is not archived.
    RoomLive(RoomId),
    /// The user's role in the room is exactly this (`None`: not a member).
    Membership {
        /// The room, of the write's account.
        room: RoomId,
        /// The user concerned.
        user: UserId,
        /// Expected role.
        role: Option<RoomRole>,
    },
    /// Every one of these users is in the account's directory and active.
    UsersActive(Vec<UserId>),
    /// No live DM exists between these two users (ordered low, high).
    NoLiveDm(UserId, UserId),
    /// No message with this `client_id` from this sender in this room.
    NoClientId {
        /// The room, of the write's account.
        room: RoomId,
        /// Who sent it.
        sender: UserId,
        /// The sender's idempotency key.
        client_id: String,
    },
    /// The account has fewer than this many live team rooms.
    LiveTeamRoomsBelow(u32),
    /// The room has at most this many members.
    MembersAtMost {
        /// The room, of the write's account.
        room: RoomId,
        /// The largest member count the room may have.
        max: u32,
    },
    /// The message exists in the account and is not deleted.
    MessageLive(MessageId),
    /// The user's directory entry has exactly this name, role and active flag (`None`: the
    /// user is not in the account's directory) — what the service API's audit entry about a
    /// change was decided from.
    DirectoryIs(UserId, Option<DirectoryFacts>),
    /// The account's entitlements are exactly these (defaults when never set).
    EntitlementsAre(Entitlements),
}

/// The parts of a directory entry the service API sets: name, role, active.
pub type DirectoryFacts = (Option<String>, crate::model::AccountRole, bool);

/// The change a [`Write`] makes. Field semantics are part of the backend contract.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Insert the room (ids and times given; `last_seq` 0) and its members with
    /// `last_read_seq` 0. For a DM, `dm_pair` (low, high) must be unique among live DMs of the
    /// account.
    CreateRoom {
        /// The new room.
        room: Room,
        /// For DMs, the ordered pair.
        dm_pair: Option<(UserId, UserId)>,
        /// Initial members.
        members: Vec<(UserId, RoomRole)>,
    },
    /// Set the room's name and `updated_at`.
    RenameRoom {
        /// The room, of the write's account.
        room: RoomId,
        /// New name.
        name: String,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Mark the room archived: from now on it is not live (not returned, no writes).
    ArchiveRoom {
        /// The room, of the write's account.
        room: RoomId,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Add members who are not members yet. A new member starts with nothing unread:
    /// `last_read_seq` = the room's current `last_seq`, counters 0.
    AddMembers {
        /// The room, of the write's account.
        room: RoomId,
        /// Users and roles.
        members: Vec<(UserId, RoomRole)>,
        /// Join time.
        at: Timestamp,
    },
    /// Delete the membership row.
    RemoveMember {
        /// The room, of the write's account.
        room: RoomId,
        /// The user concerned.
        user: UserId,
    },
    /// Insert the message with `seq` = room's `last_seq` + 1 (the given `seq` is ignored), set
    /// the room's `last_seq` and `last_message_at`; for every other member the unread count
    /// grows by 1, and `mention_count` by 1 if mentioned; for the sender: read pointer = the
    /// new `seq` (never backwards; the sender has read the room), counters 0, and
    /// `last_read_at` = `created_at`. Returns the stored message.
    SendMessage(Message),
    /// Replace the content and set `edited_at`. Counters do not change (mentions are fixed).
    EditMessage {
        /// The message, of the write's account.
        message: MessageId,
        /// New content.
        content: String,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Set `deleted_at`, erase the content. For every member other than the sender whose read
    /// pointer is below the message's `seq` the unread count drops by 1, and `mention_count`
    /// by 1 if mentioned.
    DeleteMessage {
        /// The message, of the write's account.
        message: MessageId,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Move the user's read pointer forward to `up_to` (or the room's `last_seq` when
    /// `None`); never backwards. Counters drop by the non-deleted messages of others (and
    /// mentions) now read. Returns the resulting [`ReadState`].
    MarkRead {
        /// The room, of the write's account.
        room: RoomId,
        /// Reader.
        user: UserId,
        /// Target seq, or the newest.
        up_to: Option<i64>,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Record an authenticated caller: insert (active) or update name, role and
    /// `last_seen_at`. Never changes `active`.
    SeenUser {
        /// The user concerned.
        user: UserId,
        /// Display name, if the token carried one (kept otherwise).
        name: Option<String>,
        /// Role from the token.
        role: crate::model::AccountRole,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
    /// Insert or replace a directory entry (the service API).
    ProvisionUser(DirectoryEntry),
    /// Insert or replace the account's entitlements.
    SetEntitlements(Entitlements),
    /// Change nothing: the write carries only its audit entries (and preconditions), for
    /// actions that must leave a trace without changing state — a manager reading a room
    /// they are not a member of. Returns [`Applied::Done`].
    RecordOnly,
    /// Set `read_at` on the user's unread notifications: these ids (others' ids and unknown
    /// ids are ignored) or, with `None`, all of them. Returns [`Applied::Count`] of rows
    /// changed.
    ReadNotifications {
        /// Recipient.
        user: UserId,
        /// Which ones, or all.
        ids: Option<Vec<crate::ids::NotificationId>>,
        /// When it happens: the time the change records.
        at: Timestamp,
    },
}

/// One atomic change: all of it or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    account: AccountId,
    expect: Vec<Precondition>,
    op: Op,
    audit: Vec<AuditEntry>,
    events: Vec<EventDraft>,
    notifications: Vec<Notification>,
}

impl Write {
    pub(crate) fn new(account: AccountId, op: Op) -> Self {
        Self {
            account,
            expect: Vec::new(),
            op,
            audit: Vec::new(),
            events: Vec::new(),
            notifications: Vec::new(),
        }
    }
    pub(crate) fn notify(mut self, n: Notification) -> Self {
        self.notifications.push(n);
        self
    }
    pub(crate) fn event(mut self, draft: EventDraft) -> Self {
        self.events.push(draft);
        self
    }
    pub(crate) fn expect(mut self, p: Precondition) -> Self {
        self.expect.push(p);
        self
    }
    pub(crate) fn audit(mut self, entry: AuditEntry) -> Self {
        self.audit.push(entry);
        self
    }
    /// Tenant of every row the write touches.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// Facts to check first.
    pub fn preconditions(&self) -> &[Precondition] {
        &self.expect
    }
    /// The change.
    pub fn op(&self) -> &Op {
        &self.op
    }
    /// Audit rows to insert in the same transaction.
    pub fn audit_entries(&self) -> &[AuditEntry] {
        &self.audit
    }
    /// Events to append to the account's log in the same transaction, in this order: each
    /// gets the next per-account id, its audience resolved after the op, and (for
    /// [`crate::events::Payload::Applied`]) the JSON of the op's result as data.
    pub fn events(&self) -> &[EventDraft] {
        &self.events
    }
    /// Notifications to insert in the same transaction (ids and times given).
    pub fn notifications(&self) -> &[Notification] {
        &self.notifications
    }
}

/// A committed write: the op's result and the events appended with it (ids assigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// What the op produced.
    pub applied: Applied,
    /// The logged events, ascending ids.
    pub events: Vec<Event>,
}

/// What a write produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// Nothing to return.
    Done,
    /// The created room.
    Room(Room),
    /// The stored message (with its `seq`).
    Message(Message),
    /// The reader's state after `MarkRead`.
    Read(ReadState),
    /// How many rows changed.
    Count(u64),
}

/// Keyset position in a notification list: entries strictly older than this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPosition {
    /// `created_at` of the last entry seen.
    pub created_at: Timestamp,
    /// Its id, breaking ties.
    pub id: crate::ids::NotificationId,
}

/// The facade's policy decision, handed to a backend that reads the facts it needs and the
/// data they guard in one trip (see [`ChatStore::list_messages_decided`]): given the room access it
/// read (`None`: no live room of that id in the account), the scope the data read may use,
/// or the refusal to return as is. The backend cannot make the scope any other way.
pub type DecideMember = Box<dyn FnOnce(Option<RoomAccess>) -> Result<MemberScope> + Send>;

/// The same kind of decision for reads scoped to a room rather than a member (see
/// [`ChatStore::room_detail_decided`]).
pub type DecideRoom = Box<dyn FnOnce(Option<RoomAccess>) -> Result<RoomScope> + Send>;

/// The storage backend. Object-safe: use it as `Arc<dyn ChatStore>`.
///
/// Run `chat_core::testing` (feature `testing`) against every implementation.
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// The live room and the user's membership, or `None` if the room is not live in this
    /// account.
    async fn room_access(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
    ) -> StoreResult<Option<RoomAccess>>;

    /// The message (in a live room of this account) and the user's access to its room.
    async fn message_access(
        &self,
        account: AccountId,
        message: MessageId,
        user: UserId,
    ) -> StoreResult<Option<MessageAccess>>;

    /// The message sent by `scope.user()` in `scope.room()` with this `client_id`. `None`
    /// when the room is not live or `scope.user()` is no longer a member.
    async fn message_by_client_id(
        &self,
        scope: &MemberScope,
        client_id: &str,
    ) -> StoreResult<Option<Message>>;

    /// Directory entries of these users in this account (unknown users are absent).
    async fn directory(
        &self,
        account: AccountId,
        users: &[UserId],
    ) -> StoreResult<Vec<DirectoryEntry>>;

    /// The account's entitlements (defaults when never set).
    async fn entitlements(&self, account: AccountId) -> StoreResult<Entitlements>;

    /// The live DM between two users (ordered low, high), if any.
    async fn find_dm(
        &self,
        account: AccountId,
        pair: (UserId, UserId),
    ) -> StoreResult<Option<RoomId>>;

    /// Number of live team rooms in the account.
    async fn live_team_rooms(&self, account: AccountId) -> StoreResult<u64>;

    /// The room with its members, by user id.
    async fn room_detail(&self, scope: &RoomScope) -> StoreResult<Option<RoomDetail>>;

    /// Up to `limit` messages of the [`Window`], newest first. Empty when `scope.user()` is
    /// no longer a member.
    async fn list_messages(
        &self,
        scope: &MemberScope,
        window: Window,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;

    /// `seq` of the newest message `scope.user()` has read in the room (0: none), `None`
    /// when they are not a member of the live room.
    async fn read_pointer(&self, scope: &MemberScope) -> StoreResult<Option<i64>>;

    /// [`ChatStore::room_access`], then — if `decide` grants a scope from it —
    /// [`ChatStore::list_messages`] with that scope; `decide`'s refusal is returned as is.
    ///
    /// Provided, so a backend need not implement it. A backend overrides it to run both reads
    /// in one trip (and one snapshot): opening a room is the most frequent read, and each trip
    /// to a reader thread or a database server costs about as much as the read itself.
    async fn list_messages_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideMember,
        window: Window,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let scope =
            decide(self.room_access(account, room, user).await?).map_err(StoreError::Refused)?;
        self.list_messages(&scope, window, limit).await
    }

    /// [`ChatStore::room_access`], then — if `decide` grants a scope from it —
    /// [`ChatStore::room_detail`] with that scope; `decide`'s refusal is returned as is.
    /// Provided; a backend overrides it to read both in one trip, as
    /// [`ChatStore::list_messages_decided`].
    async fn room_detail_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideRoom,
    ) -> StoreResult<Option<RoomDetail>> {
        let scope =
            decide(self.room_access(account, room, user).await?).map_err(StoreError::Refused)?;
        self.room_detail(&scope).await
    }

    /// The user's live rooms by activity (newest message, else creation) descending, then id
    /// descending, strictly after `after`, with the user's counters.
    async fn list_rooms(
        &self,
        scope: &UserScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> StoreResult<Vec<RoomSummary>>;

    /// Counters for every live room the user is a member of.
    async fn unread(&self, scope: &UserScope) -> StoreResult<Vec<RoomUnread>>;

    /// Audit entries matching `filter`, by (`created_at`, `id`) descending, strictly after
    /// `after`.
    async fn list_audit(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;

    /// Audit entries matching `filter`, by (`created_at`, `id`) **ascending**, strictly after
    /// `after` (the export's order, `GET /audit/export`). Like [`ChatStore::list_audit`] it
    /// must be one range read of an index on `(account_id, created_at, id)` — an export pages
    /// through the whole log with it, so a sort or a scan per page would make it quadratic.
    async fn list_audit_ascending(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;

    /// The user's notifications by (`created_at`, `id`) descending, strictly after `after`,
    /// only unread ones if `unread_only`.
    async fn list_notifications(
        &self,
        scope: &UserScope,
        unread_only: bool,
        after: Option<NotificationPosition>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;

    /// Up to `limit` events of the account with ids above `after`, ascending, plus the log's
    /// bounds. Ids are assigned in commit order: a reader never sees id N+1 without N.
    /// Replays never return what the API no longer shows: an event about a message
    /// ([`EventDraft::message_id`]) carries the message as it is now, and events of an
    /// archived room are left out (but its `room.deleted`), leaving gaps in the ids. (The
    /// facade then also leaves out, per reader, message events of rooms the reader is no
    /// longer a member of: see `Subscription`.)
    async fn events_after(
        &self,
        account: AccountId,
        after: i64,
        limit: u32,
    ) -> StoreResult<LogSlice>;

    /// Applies a write atomically (see the module docs).
    async fn apply(&self, write: Write) -> StoreResult<Committed>;

    /// `Ok` when the store can read and write. A backend that knows its writes are failing
    /// (a full disk, a read-only file system) answers [`StoreError::Storage`] even while
    /// reads work, and `Ok` again once a write goes through. The default only reads.
    async fn health(&self) -> StoreResult<()> {
        self.entitlements(AccountId(0)).await.map(|_| ())
    }

    /// Directory entries of the scope's account (inactive ones only if the scope includes
    /// them), matching `search` if given, by ([`crate::fold::sort_key`] of the name, user id)
    /// ascending, strictly after `after`. A search must be served by an index of the
    /// entries' [`crate::fold::search_keys`] (a prefix range), never by reading the whole
    /// directory; both are maintained in the transaction of every directory write
    /// ([`Op::SeenUser`], [`Op::ProvisionUser`]).
    async fn list_directory(
        &self,
        scope: &DirectoryScope,
        search: Option<&DirectorySearch>,
        after: Option<DirectoryPosition>,
        limit: u32,
    ) -> StoreResult<Vec<DirectoryEntry>>;

    /// Every live team room of the scope's account (member or not; DMs never), by activity
    /// (newest message, else creation) descending, then id descending, strictly after
    /// `after`, each with its member count.
    async fn list_account_rooms(
        &self,
        scope: &AccountRoomsScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> StoreResult<Vec<RoomOverview>>;

    /// The scope's account activity in `[from, to)`, by `unit` buckets (a bucket holds the
    /// times `t` with `unit.floor(t) == start`): one [`Activity`] per bucket that has a message
    /// or a created team room, by `start` ascending; empty buckets are left out. Every message
    /// counts — deleted ones and those of since-archived rooms too — by its `created_at`, and
    /// every team room (not DMs) by its `created_at`, archived or not: so a bucket that has
    /// ended never changes once the writes stamped in it have committed, which is what lets
    /// the facade cache ended buckets (`Chat::stats`).
    ///
    /// Cost: one range read of the account's messages by time (an index on
    /// `(account_id, created_at)`), plus one of its team rooms. The facade asks for at most
    /// the buckets it has not cached, and for hour or minute buckets only.
    async fn activity(
        &self,
        scope: &StatsScope,
        from: Timestamp,
        to: Timestamp,
        unit: BucketUnit,
    ) -> StoreResult<Vec<Activity>>;

    /// The scope's account-wide figures ([`StatsTotals`]): live team rooms, live DMs, active
    /// directory users, active users with `last_seen_at >= since`, and messages (any, as in
    /// [`ChatStore::activity`]) with `created_at >= since`.
    async fn stats_totals(&self, scope: &StatsScope, since: Timestamp) -> StoreResult<StatsTotals>;
}
