//! # chat-postgres
//!
//! The PostgreSQL backend of `chat-core`, for hubs that outgrow one machine: several chat
//! nodes on one database (PostgreSQL 15 or newer). `tokio-postgres` connections in a
//! `deadpool-postgres` pool, TLS with rustls (`sslmode=require|verify-ca|verify-full`, none on
//! loopback), numbered migrations embedded at compile time, statement, lock and
//! idle-in-transaction timeouts on every connection.
//!
//! ```no_run
//! # async fn demo() -> chat_core::Result<()> {
//! use std::sync::Arc;
//! use chat_postgres::{Options, PgStore};
//! let url = "postgres://chat_owner@db.internal/chat?sslmode=verify-full";
//! // Once per deployment, as the owner of the schema, granting the application's role:
//! PgStore::migrate(url, &Options::default(), Some("chat_app")).await?;
//! // On every node, as that role (neither superuser nor BYPASSRLS):
//! let store = PgStore::connect("postgres://chat_app@db.internal/chat?sslmode=verify-full",
//!     &Options::default()).await?;
//! let chat = chat_core::Chat::new(Arc::new(store));
//! # Ok(()) }
//! ```
//!
//! ## Tenant isolation, twice
//!
//! Every statement names the account in its `WHERE` clause, as on SQLite; and every table has
//! a row-level security policy keyed by the account of the running transaction
//! (`SET LOCAL app.account_id`, set by `tx` at the start of each), so a statement that forgot
//! its filter still sees one account only — and outside the store's transactions none. The
//! policies bind only roles that are neither superuser nor `BYPASSRLS`:
//! [`PgStore::rls_enforced`] tells whether the store's role is one.
//!
//! ## The event log
//!
//! Gap-free and in commit order, per account, without sequences: see `event_log` (and
//! `docs/postgres.md`). Writes run under READ COMMITTED, taking row and advisory locks for
//! the facts their preconditions check (`writes::locks`).
//!
//! ## Modules
//!
//! * `lib`: [`PgStore`], the `ChatStore` trait over the modules below.
//! * `connect` and `tls`: the connection string, TLS, the pool. `options`: [`Options`].
//! * `tx`: the store's transactions, each with its account set for row-level security.
//! * `reads`, `directory`: the SQL of every read. `rows`: rows to domain values.
//! * `writes`: a write in its transaction — `locks`, `preconditions`, `apply` (the op),
//!   `pointers` (read pointers and counters), then its audit and notification rows.
//! * `event_log`: appending (last in each write), replaying and pruning the log.
//! * `migrate` and `migrations/`: the schema. `error`: PostgreSQL's errors as the store's.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod bus;
mod connect;
mod directory;
mod error;
mod event_log;
mod migrate;
mod options;
mod reads;
mod rows;
mod stats;
mod tls;
mod tx;
mod writes;

use async_trait::async_trait;
use chat_core::events::LogSlice;
use chat_core::ids::{AccountId, MessageId, RoomId, Timestamp, UserId};
use chat_core::model::{
    AuditEntry, DirectoryEntry, Entitlements, Message, Notification, RoomDetail, RoomOverview,
    RoomSummary, RoomUnread,
};
use chat_core::stats::{Activity, BucketUnit, StatsTotals};
use chat_core::store::{
    AccountRoomsScope, AuditFilter, AuditPosition, AuditScope, ChatStore, Committed, DecideMember,
    DecideRoom, DirectoryPosition, DirectoryScope, DirectorySearch, MemberScope, MessageAccess,
    NotificationPosition, RoomAccess, RoomPosition, RoomScope, StatsScope, StoreError, UserScope,
    Window, Write,
};
use deadpool_postgres::Pool;
use futures::FutureExt;

use crate::error::{db, internal, Result};
use crate::tx::{Mode, Tx};

pub use bus::PgBus;
pub use migrate::SCHEMA_VERSION;
pub use options::{Options, Retention};
pub use tls::SslMode;

/// The PostgreSQL store. Cheap to share: wrap it in an `Arc` (as `Arc<dyn ChatStore>`).
pub struct PgStore {
    pool: Pool,
    retention: Retention,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Migrates the database of `url` to [`SCHEMA_VERSION`], as the role of `url` (the
    /// schema's owner), and grants `app_role` (if given) the rows of every table. Safe to run
    /// from several nodes at once.
    pub async fn migrate(url: &str, options: &Options, app_role: Option<&str>) -> Result<()> {
        let target = connect::Target::parse(url)?;
        let mut client = target.connect(options).await?;
        migrate::migrate(&mut client).await?;
        if let Some(role) = app_role {
            migrate::grant(&client, role).await?;
        }
        Ok(())
    }

    /// A store on the database of `url` without connecting yet (connections are made on
    /// first use). Does not migrate.
    pub fn new(url: &str, options: &Options) -> Result<Self> {
        let target = connect::Target::parse(url)?;
        Ok(Self {
            pool: target.pool(options)?,
            retention: options.retention.clone(),
        })
    }

    /// [`PgStore::new`], then checks that the database is reachable and migrated to this
    /// build's schema, and warns when row-level security does not bind the store's role.
    pub async fn connect(url: &str, options: &Options) -> Result<Self> {
        let store = Self::new(url, options)?;
        let version = store.schema_version().await?;
        if version != SCHEMA_VERSION {
            return Err(internal(format!(
                "database schema is at version {version}, this build needs {SCHEMA_VERSION}: run the migration"
            )));
        }
        if !store.rls_enforced().await? {
            tracing::warn!(
                "chat-postgres: the store's role is a superuser or has BYPASSRLS: row-level security does not apply to it"
            );
        }
        Ok(store)
    }

    /// The schema version of the database (0: not migrated).
    pub async fn schema_version(&self) -> Result<i32> {
        let c = self.pool.get().await.map_err(error::pool)?;
        let exists = c
            .query_one(
                "SELECT to_regclass('internal_chat_schema') IS NOT NULL",
                &[],
            )
            .await
            .map_err(db)?;
        if !exists.try_get::<_, bool>(0).map_err(db)? {
            return Ok(0);
        }
        let row = c
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM internal_chat_schema",
                &[],
            )
            .await
            .map_err(db)?;
        row.try_get(0).map_err(db)
    }

    /// Whether row-level security binds the store's role (neither superuser nor BYPASSRLS).
    pub async fn rls_enforced(&self) -> Result<bool> {
        let c = self.pool.get().await.map_err(error::pool)?;
        let row = c
            .query_one(
                "SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .map_err(db)?;
        row.try_get(0).map_err(db)
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        let c = self.pool.get().await.map_err(error::pool)?;
        c.batch_execute("SELECT 1").await.map_err(db)
    }

    /// A read of `account` in one snapshot.
    async fn read<T, F>(&self, account: AccountId, f: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c tx::Conn) -> futures::future::BoxFuture<'c, Result<T>>,
    {
        Tx::run(&self.pool, account, Mode::Snapshot, f).await
    }

    /// Reads `user`'s access to `room`, runs `decide` on it and, if it grants a scope, `read`
    /// with that scope — in one snapshot. The scope `read` gets can only come from `decide`.
    async fn decided<S, T, R>(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: Box<dyn FnOnce(Option<RoomAccess>) -> chat_core::Result<S> + Send>,
        read: R,
    ) -> Result<T>
    where
        S: Send + 'static,
        T: Send + 'static,
        R: for<'c> FnOnce(&'c tx::Conn, S) -> futures::future::BoxFuture<'c, Result<T>>
            + Send
            + 'static,
    {
        self.read(account, move |c| {
            async move {
                let access = reads::room_access(c, account, room, user).await?;
                match decide(access) {
                    Ok(scope) => read(c, scope).await,
                    Err(refused) => Err(StoreError::Refused(refused)),
                }
            }
            .boxed()
        })
        .await
    }
}

#[async_trait]
impl ChatStore for PgStore {
    async fn room_access(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
    ) -> Result<Option<RoomAccess>> {
        self.read(account, move |c| {
            reads::room_access(c, account, room, user).boxed()
        })
        .await
    }

    async fn message_access(
        &self,
        account: AccountId,
        message: MessageId,
        user: UserId,
    ) -> Result<Option<MessageAccess>> {
        self.read(account, move |c| {
            reads::message_access(c, account, message, user).boxed()
        })
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
        self.read(a, move |c| {
            async move { reads::message_by_client_id(c, a, r, u, &key).await }.boxed()
        })
        .await
    }

    async fn directory(&self, account: AccountId, users: &[UserId]) -> Result<Vec<DirectoryEntry>> {
        let users = users.to_vec();
        self.read(account, move |c| {
            async move { reads::directory(c, account, &users).await }.boxed()
        })
        .await
    }

    async fn entitlements(&self, account: AccountId) -> Result<Entitlements> {
        self.read(account, move |c| reads::entitlements(c, account).boxed())
            .await
    }

    async fn find_dm(&self, account: AccountId, pair: (UserId, UserId)) -> Result<Option<RoomId>> {
        self.read(account, move |c| reads::find_dm(c, account, pair).boxed())
            .await
    }

    async fn live_team_rooms(&self, account: AccountId) -> Result<u64> {
        self.read(account, move |c| reads::live_team_rooms(c, account).boxed())
            .await
    }

    async fn room_detail(&self, scope: &RoomScope) -> Result<Option<RoomDetail>> {
        let (a, r) = (scope.account(), scope.room());
        self.read(a, move |c| reads::room_detail(c, a, r).boxed())
            .await
    }

    async fn list_messages(
        &self,
        scope: &MemberScope,
        window: Window,
        limit: u32,
    ) -> Result<Vec<Message>> {
        let (a, r, u) = (scope.account(), scope.room(), scope.user());
        self.read(a, move |c| {
            reads::list_messages(c, a, r, u, window, limit).boxed()
        })
        .await
    }

    async fn read_pointer(&self, scope: &MemberScope) -> Result<Option<i64>> {
        let (a, r, u) = (scope.account(), scope.room(), scope.user());
        self.read(a, move |c| reads::read_pointer(c, a, r, u).boxed())
            .await
    }

    /// Both reads in one transaction and snapshot: one connection checkout.
    async fn list_messages_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideMember,
        window: Window,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.decided(account, room, user, decide, move |c, scope: MemberScope| {
            let (a, r, u) = (scope.account(), scope.room(), scope.user());
            reads::list_messages(c, a, r, u, window, limit).boxed()
        })
        .await
    }

    /// As [`PgStore::list_messages_decided`].
    async fn room_detail_decided(
        &self,
        account: AccountId,
        room: RoomId,
        user: UserId,
        decide: DecideRoom,
    ) -> Result<Option<RoomDetail>> {
        self.decided(account, room, user, decide, |c, scope: RoomScope| {
            reads::room_detail(c, scope.account(), scope.room()).boxed()
        })
        .await
    }

    async fn list_rooms(
        &self,
        scope: &UserScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomSummary>> {
        let (a, u) = (scope.account(), scope.user());
        self.read(a, move |c| reads::list_rooms(c, a, u, after, limit).boxed())
            .await
    }

    async fn unread(&self, scope: &UserScope) -> Result<Vec<RoomUnread>> {
        let (a, u) = (scope.account(), scope.user());
        self.read(a, move |c| reads::unread(c, a, u).boxed()).await
    }

    async fn list_audit(
        &self,
        scope: &AuditScope,
        filter: &AuditFilter,
        after: Option<AuditPosition>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let (a, f) = (scope.account(), filter.clone());
        self.read(a, move |c| {
            async move { reads::list_audit(c, a, &f, after.as_ref(), limit).await }.boxed()
        })
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
        self.read(a, move |c| {
            async move { reads::list_audit_ascending(c, a, &f, after.as_ref(), limit).await }
                .boxed()
        })
        .await
    }

    async fn activity(
        &self,
        scope: &StatsScope,
        from: Timestamp,
        to: Timestamp,
        unit: BucketUnit,
    ) -> Result<Vec<Activity>> {
        let a = scope.account();
        self.read(a, move |c| stats::activity(c, a, from, to, unit).boxed())
            .await
    }

    async fn stats_totals(&self, scope: &StatsScope, since: Timestamp) -> Result<StatsTotals> {
        let a = scope.account();
        self.read(a, move |c| stats::totals(c, a, since).boxed())
            .await
    }

    async fn list_notifications(
        &self,
        scope: &UserScope,
        unread_only: bool,
        after: Option<NotificationPosition>,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        let (a, u) = (scope.account(), scope.user());
        self.read(a, move |c| {
            reads::list_notifications(c, a, u, unread_only, after, limit).boxed()
        })
        .await
    }

    async fn events_after(&self, account: AccountId, after: i64, limit: u32) -> Result<LogSlice> {
        self.read(account, move |c| {
            event_log::after(c, account, after, limit).boxed()
        })
        .await
    }

    async fn apply(&self, write: Write) -> Result<Committed> {
        let account = write.account();
        let committed = Tx::run(&self.pool, account, Mode::Write, move |c| {
            async move { writes::apply(c, &write).await }.boxed()
        })
        .await?;
        if let Some(last) = event_log::prune_due(&committed.events) {
            let retention = self.retention.clone();
            let pruned = Tx::run(&self.pool, account, Mode::Write, move |c| {
                async move { event_log::prune(c, account, last, &retention).await }.boxed()
            })
            .await;
            if let Err(e) = pruned {
                // The write committed; retention only catches up at the next prune point.
                tracing::warn!(error = %e, account = account.0, "chat-postgres: pruning the event log failed");
            }
        }
        Ok(committed)
    }

    /// The database answers (`SELECT 1` on a pooled connection): what `/healthz` reflects.
    async fn health(&self) -> Result<()> {
        self.ping().await
    }

    async fn list_directory(
        &self,
        scope: &DirectoryScope,
        search: Option<&DirectorySearch>,
        after: Option<DirectoryPosition>,
        limit: u32,
    ) -> Result<Vec<DirectoryEntry>> {
        let (a, inactive, search) = (scope.account(), scope.include_inactive(), search.cloned());
        self.read(a, move |c| {
            async move {
                directory::list(c, a, inactive, search.as_ref(), after.as_ref(), limit).await
            }
            .boxed()
        })
        .await
    }

    async fn list_account_rooms(
        &self,
        scope: &AccountRoomsScope,
        after: Option<RoomPosition>,
        limit: u32,
    ) -> Result<Vec<RoomOverview>> {
        let a = scope.account();
        self.read(a, move |c| {
            reads::list_account_rooms(c, a, after, limit).boxed()
        })
        .await
    }
}
