//! # chat-sqlite
//!
//! The embedded default backend of `chat-core`: one SQLite file in WAL mode, a dedicated
//! writer thread (`BEGIN IMMEDIATE` transactions: one per write, or one per batch of concurrent
//! writes with group commit, where a failing write still rolls back alone), reader threads with
//! read-only connections, and numbered migrations embedded at compile time.
//!
//! ```no_run
//! # async fn demo() -> chat_core::Result<()> {
//! use std::sync::Arc;
//! let store = chat_sqlite::SqliteStore::open("chat.db")?;
//! let chat = chat_core::Chat::new(Arc::new(store));
//! # Ok(()) }
//! ```
//!
//! All SQL is written as constant statements with bound parameters; every statement names the
//! account in its `WHERE` clause.
//!
//! ## Modules
//!
//! Dependencies run one way, from the store down to the rows (`tests/module_graph.rs` fails
//! on any cycle between these modules):
//!
//! * `lib`: [`SqliteStore`], the `ChatStore` trait over the modules below.
//! * `open`: opens the database — the writer's, the checkpointer's and the readers'
//!   connections, their pragmas, the migrations — and starts the threads that own them.
//! * `options`: [`Options`] and [`Retention`].
//! * `writer`: the writer thread — the write queue, group commit, WAL rewinds between batches.
//! * `checkpoint`: the checkpointer thread, which folds the WAL back into the database file.
//! * `reader_pool`: the reader threads and their connections, and reads on the calling task.
//! * `reads`: the SQL of every read.
//! * `writes`: the SQL of a write in its transaction — `preconditions`, `apply` (the op),
//!   `pointers` (read pointers and counters), then its audit, notification and event rows.
//! * `event_log`: appending, replaying and pruning the event log.
//! * `audiences`: who an event goes to, and the writer's memo of each room's members.
//! * `stats`: the statistics reads (activity by time bucket, totals); nothing is kept for
//!   them on writes.
//! * `directory`: the directory's search index (folded sort key and search keys), kept by
//!   directory writes, read by the listing and search.
//! * `identity`: whether a file is this store's database (`application_id`, schema,
//!   `quick_check`), checked before the migrations touch it.
//! * `rows`: rows to domain values; `migrate` and `migrations/`: the schema; `error`: SQLite's
//!   errors as the store's.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod audiences;
mod checkpoint;
mod directory;
mod error;
mod event_log;
mod identity;
mod migrate;
mod open;
mod options;
mod reader_pool;
mod reads;
mod rows;
mod stats;
mod writer;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Result;
use async_trait::async_trait;
use chat_core::events::{LogSlice, Payload};
use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::model::{
    AuditEntry, DirectoryEntry, Entitlements, Message, Notification, RoomDetail, RoomOverview,
    RoomSummary, RoomUnread,
};
use chat_core::stats::{Activity, BucketUnit, StatsTotals};
use chat_core::store::{
    AccountRoomsScope, AuditFilter, AuditPosition, AuditScope, ChatStore, Committed, DecideMember,
    DecideRoom, DirectoryPosition, DirectoryScope, DirectorySearch, MemberScope, MessageAccess,
    NotificationPosition, RoomAccess, RoomPosition, RoomScope, StatsScope, UserScope, Window,
    Write,
};

pub use migrate::SCHEMA_VERSION;
pub use options::{Options, Retention};

/// The SQLite store. Cheap to share: wrap it in an `Arc` (as `Arc<dyn ChatStore>`).
pub struct SqliteStore {
    db: Arc<open::Db>,
    path: PathBuf,
    // Keeps a temporary database's directory alive as long as the store.
    _temp: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Reads `user`'s access to `room`, runs `decide` on it and, if it grants a scope, `read`
    /// with that scope — in one snapshot on one reader thread. The scope `read` gets can only
    /// come from `decide`; a refusal is returned as is.
    async fn decided<S, T>(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: Box<dyn FnOnce(Option<RoomAccess>) -> chat_core::Result<S> + Send>,
        read: impl FnOnce(&rusqlite::Connection, S) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T>
    where
        S: 'static,
        T: Send + 'static,
    {
        self.db
            .readers
            .read(move |c| {
                let tx = c.unchecked_transaction()?;
                let access = reads::room_access(&tx, account, room, user)?;
                let out = match decide(access) {
                    Ok(scope) => Ok(read(&tx, scope)?),
                    Err(refused) => Err(chat_core::store::StoreError::Refused(refused)),
                };
                tx.commit()?;
                Ok(out)
            })
            .await?
    }
    /// Opens or creates the database at `path` with default [`Options`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &Options::default())
    }

    /// Opens or creates the database at `path`, migrating it to [`SCHEMA_VERSION`].
    pub fn open_with(path: impl AsRef<Path>, options: &Options) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let db = open::Db::open(&path, options)?;
        Ok(Self {
            db: Arc::new(db),
            path,
            _temp: None,
        })
    }

    /// A fresh database in a temporary directory, deleted when the store is dropped.
    pub fn open_temporary() -> Result<Self> {
        Self::open_temporary_with(&Options::default())
    }

    /// [`SqliteStore::open_temporary`] with options.
    pub fn open_temporary_with(options: &Options) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(error::internal)?;
        let mut store = Self::open_with(dir.path().join("chat.db"), options)?;
        store._temp = Some(dir);
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn room_access(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
    ) -> Result<Option<RoomAccess>> {
        self.db
            .readers
            .read(move |c| reads::room_access(c, account, room, user))
            .await
    }

    async fn message_access(
        &self,
        account: AccountId,
        message: MessageId,
        user: UserId,
    ) -> Result<Option<MessageAccess>> {
        self.db
            .readers
            .read(move |c| reads::message_access(c, account, message, user))
            .await
    }

    async fn message_by_client_id(
        &self,
        scope: &MemberScope,
        client_id: &str,
    ) -> Result<Option<Message>> {
        let (a, r, u, key) = (
            scope.account(),
            scope.room(),
            scope.user(),
            client_id.to_owned(),
        );
        self.db
            .readers
            .read(move |c| reads::message_by_client_id(c, a, r, u, &key))
            .await
    }

    async fn directory(&self, account: AccountId, users: &[UserId]) -> Result<Vec<DirectoryEntry>> {
        let users = users.to_vec();
        self.db
            .readers
            .read(move |c| reads::directory(c, account, &users))
            .await
    }

    async fn entitlements(&self, account: AccountId) -> Result<Entitlements> {
        self.db
            .readers
            .read(move |c| reads::entitlements(c, account))
            .await
    }

    async fn find_dm(&self, account: AccountId, pair: (UserId, UserId)) -> Result<Option<RoomId>> {
        self.db
            .readers
            .read(move |c| reads::find_dm(c, account, pair))
            .await
    }

    async fn live_team_rooms(&self, account: AccountId) -> Result<u64> {
        self.db
            .readers
            .read(move |c| reads::live_team_rooms(c, account))
            .await
    }

    async fn room_detail(&self, scope: &RoomScope) -> Result<Option<RoomDetail>> {
        let (a, r) = (scope.account(), scope.room());
        self.db
            .readers
            .read(move |c| reads::room_detail(c, a, r))
            .await
    }

    async fn list_messages(
        &self,
        scope: &MemberScope,
        window: Window,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let (a, r, u) = (scope.account(), scope.room(), scope.user());
        self.db
            .readers
            .read(move |c| reads::list_messages(c, a, r, u, window, limit))
            .await
    }

    async fn read_pointer(&self, scope: &MemberScope) -> Result<Option<i64>> {
        let (a, r, u) = (scope.account(), scope.room(), scope.user());
        self.db
            .readers
            .read(move |c| reads::read_pointer(c, a, r, u))
            .await
    }

    /// Both reads on one reader thread, in one snapshot: one hand-off instead of two.
    async fn list_messages_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideMember,
        window: Window,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let read = move |tx: &rusqlite::Connection, scope: MemberScope| {
            let (a, r, u) = (scope.account(), scope.room(), scope.user());
            reads::list_messages(tx, a, r, u, window, limit)
        };
        self.decided(account, room, user, decide, read).await
    }

    /// As [`SqliteStore::list_messages_decided`].
    async fn room_detail_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideRoom,
    ) -> Result<Option<RoomDetail>> {
        let read = |tx: &rusqlite::Connection, scope: RoomScope| {
            reads::room_detail(tx, scope.account(), scope.room())
        };
        self.decided(account, room, user, decide, read).await
    }

    async fn list_rooms(
        &self,
        scope: &UserScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomSummary>> {
        let (account, user) = (scope.account(), scope.user());
        self.db
            .readers
            .read(move |c| reads::list_rooms(c, account, user, after, limit))
            .await
    }

    async fn unread(&self, scope: &UserScope) -> Result<Vec<RoomUnread>> {
        let (account, user) = (scope.account(), scope.user());
        self.db
            .readers
            .read(move |c| reads::unread(c, account, user))
            .await
    }

    async fn list_audit(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let (a, f) = (scope.account(), filter.clone());
        self.db
            .readers
            .read(move |c| reads::list_audit(c, a, &f, after.as_ref(), limit))
            .await
    }

    async fn list_audit_ascending(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let (a, f) = (scope.account(), filter.clone());
        self.db
            .readers
            .read(move |c| reads::list_audit_ascending(c, a, &f, after.as_ref(), limit))
            .await
    }

    async fn activity(
        &self,
        scope: &StatsScope,
        from: Timestamp,
        to: Timestamp,
        unit: BucketUnit,
    ) -> Result<Vec<Activity>> {
        let account = scope.account();
        self.db
            .readers
            .read(move |c| stats::activity(c, account, from, to, unit))
            .await
    }

    async fn stats_totals(&self, scope: &StatsScope, since: Timestamp) -> Result<StatsTotals> {
        let account = scope.account();
        self.db
            .readers
            .read(move |c| stats::totals(c, account, since))
            .await
    }

    async fn list_notifications(
        &self,
        scope: &UserScope,
        unread_only: bool,
        after: Option<NotificationPosition>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let (account, user) = (scope.account(), scope.user());
        self.db
            .readers
            .read(move |c| reads::list_notifications(c, account, user, unread_only, after, limit))
            .await
    }

    async fn events_after(&self, account: AccountId, after: i64, limit: u32) -> Result<LogSlice> {
        self.db
            .readers
            .read(move |c| event_log::after(c, account, after, limit))
            .await
    }

    /// A read, then the writer's view: `Storage` while writes fail on a full or read-only
    /// file system (a probe write each time, so recovery shows without client traffic).
    async fn health(&self) -> Result<()> {
        self.db
            .readers
            .read(move |c| reads::entitlements(c, AccountId(0)))
            .await?;
        self.db.writer.health().await
    }

    async fn apply(&self, write: Write) -> Result<Committed> {
        // The writer thread leaves the data of message events that carry the applied message
        // empty (it is never stored: see `event_log::append`); it is rendered here, off that
        // thread, which is the bottleneck of concurrent sends.
        let from_applied: Vec<bool> = write
            .events()
            .iter()
            .map(|d| matches!(d.payload, Payload::Applied) && d.message_id.is_some())
            .collect();
        let mut committed = self.db.writer.apply(write).await?;
        if from_applied.contains(&true) {
            let data = event_log::applied_json(&committed.applied);
            for (e, fill) in committed.events.iter_mut().zip(from_applied) {
                if fill {
                    e.data = data.clone();
                }
            }
        }
        Ok(committed)
    }

    async fn list_directory(
        &self,
        scope: &DirectoryScope,
        search: Option<&DirectorySearch>,
        after: Option<DirectoryPosition>,
        limit: u32,
    ) -> Result<Vec<DirectoryEntry>> {
        let (account, inactive, search) =
            (scope.account(), scope.include_inactive(), search.cloned());
        self.db
            .readers
            .read(move |c| {
                directory::list(c, account, inactive, search.as_ref(), after.as_ref(), limit)
            })
            .await
    }

    async fn list_account_rooms(
        &self,
        scope: &AccountRoomsScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomOverview>> {
        let account = scope.account();
        self.db
            .readers
            .read(move |c| reads::list_account_rooms(c, account, after, limit))
            .await
    }
}
