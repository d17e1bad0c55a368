//! The store's transactions: every statement runs in one, on a pooled connection, with the
//! account set for row-level security (`SET LOCAL app.account_id`, migration 003) — so the
//! tenant a connection serves ends with the transaction, and a statement outside one sees
//! nothing.
//!
//! `BEGIN` and the setting are sent together (tokio-postgres pipelines requests polled
//! together): one round trip. A transaction dropped before its end (the caller's future
//! cancelled, a panic) takes its connection out of the pool and closes it, so no connection
//! goes back with an open transaction or locks in it.

use chat_core::ids::AccountId;
use deadpool_postgres::{Object, Pool};
use futures::future::BoxFuture;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::error::{db, pool as pool_error, Result};

/// A connection in a transaction of one account. See the module docs.
pub(crate) struct Tx {
    conn: Option<Object>,
}

/// How a transaction reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// A read-only snapshot for the whole transaction: reads of several statements agree.
    Snapshot,
    /// READ COMMITTED, writable: each statement sees what committed before it began, and a
    /// statement that waited for a row lock sees the row as its holder left it — what the
    /// writes' locking (`writes::locks`) and the event log's counter rely on.
    Write,
}

/// The client of a transaction, for the statements run in it.
pub(crate) type Conn = deadpool_postgres::ClientWrapper;

impl Tx {
    /// Begins a transaction of `account` on a connection from `pool`.
    pub(crate) async fn begin(pool: &Pool, account: AccountId, mode: Mode) -> Result<Self> {
        let conn = pool.get().await.map_err(pool_error)?;
        let tx = Self { conn: Some(conn) };
        let c = tx.conn();
        let set = c
            .prepare_cached("SELECT set_config('app.account_id', $1, true)")
            .await
            .map_err(db)?;
        let begin = match mode {
            Mode::Snapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            Mode::Write => "BEGIN ISOLATION LEVEL READ COMMITTED",
        };
        let account = account.0.to_string();
        let params: [&(dyn ToSql + Sync); 1] = [&account];
        futures::try_join!(c.batch_execute(begin), c.execute(&set, &params)).map_err(db)?;
        Ok(tx)
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &Conn {
        match &self.conn {
            Some(c) => c,
            // `conn` is only taken by `end`, which consumes the transaction.
            None => unreachable!("transaction used after its end"),
        }
    }

    async fn end(mut self, sql: &str) -> Result<()> {
        let outcome = self.conn().batch_execute(sql).await.map_err(db);
        if outcome.is_ok() {
            // Back to the pool, outside any transaction.
            self.conn.take();
        }
        outcome
    }

    /// Commits.
    pub(crate) async fn commit(self) -> Result<()> {
        self.end("COMMIT").await
    }

    /// Rolls back.
    pub(crate) async fn rollback(self) -> Result<()> {
        self.end("ROLLBACK").await
    }

    /// Runs `f` in a transaction of `account`: commits what it returns `Ok`, rolls back
    /// otherwise.
    pub(crate) async fn run<T, F>(pool: &Pool, account: AccountId, mode: Mode, f: F) -> Result<T>
    where
        F: for<'c> FnOnce(&'c Conn) -> BoxFuture<'c, Result<T>>,
    {
        let tx = Self::begin(pool, account, mode).await?;
        match f(tx.conn()).await {
            Ok(v) => {
                tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                // The error is the caller's answer; a failed rollback only costs the
                // connection (dropped, not pooled).
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Detached from the pool and dropped: the server ends the session, rolling back.
            drop(Object::take(conn));
        }
    }
}

/// The rows of a (cached, prepared) statement.
pub(crate) async fn rows(c: &Conn, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query(&stmt, params).await.map_err(db)
}

/// At most one row.
pub(crate) async fn opt(
    c: &Conn,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query_opt(&stmt, params).await.map_err(db)
}

/// Exactly one row.
pub(crate) async fn one(c: &Conn, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.query_one(&stmt, params).await.map_err(db)
}

/// Runs a statement; the number of rows it changed.
pub(crate) async fn exec(c: &Conn, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
    let stmt = c.prepare_cached(sql).await.map_err(db)?;
    c.execute(&stmt, params).await.map_err(db)
}

/// A column of a row, a conversion failure as the store's error.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
) -> Result<T> {
    row.try_get(idx).map_err(db)
}
