//! The PostgreSQL engine: one database shared by every host that runs the core.
//!
//! Concurrency and durability (docs/scale-out.md):
//! - Every write transaction starts by taking one transaction-level advisory lock, the same
//!   for every host of the store (its key is derived from the store's schema, so stores in other
//!   schemas of the database take other locks), before it reads anything it decides on; it is
//!   released by the commit. The writes of all hosts are therefore serialized as SQLite
//!   serializes the writers of one file (`BEGIN IMMEDIATE`), and each runs at READ COMMITTED,
//!   where every statement sees every write committed before the lock was granted. That is
//!   what keeps each rule exact across hosts: the audit chain has one head, the rate limit and
//!   failure counters count every call, a code is spent once, the last owner stays. No two
//!   writers wait on each other's row locks, so neither a serialization failure nor a deadlock
//!   can occur.
//! - A write commits without waiting for its WAL flush, which releases the lock at once, then
//!   waits for the flush outside the lock (see [`FLUSH`]): a call returns only once its write
//!   is durable, and hosts share flushes. Under [`crate::Durability::Normal`] it does not wait.
//! - Reads run in `REPEATABLE READ READ ONLY` transactions (one snapshot) and take no lock.
//! - Each handle keeps a small pool of connections; a connection the server dropped is
//!   discarded with the pool's other idle ones. A call that finds its connection closed
//!   before it began anything goes on with a new one; a call in flight fails with `storage`,
//!   and the next call connects again.

mod conn;
mod rows;
mod schema;
mod tls;
mod url;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use self::conn::Conn;
use self::rows::begin_write_sql;
pub(crate) use self::url::is_postgres_url;
use super::batch::{Batch, MAX_BATCH};
use super::rows::Rows;
use super::{CURRENT_VERSION, Tx, key_rotated, lock, run_caught, undoes_writes};
use crate::crypto::{Keys, RowKey};
use crate::error::{Error, Result};
use crate::model::{Durability, OpenOptions};

/// The advisory lock every write transaction takes first (and schema creation too), by the two
/// keys of `pg_advisory_xact_lock(int, int)`: this one, "mfa-" in ASCII, recognisable in
/// `pg_locks` (as `classid`), and [`WRITE_LOCK_SCHEMA`].
const WRITE_LOCK_CLASS: i32 = 0x6d66_612d;
/// The write lock's second key, computed by the server: a hash of the name of the store's
/// schema, the first existing one of the connection's `search_path` (where [`inspect`] looks
/// for the store and the migrations create it). Every host of a store takes the same lock;
/// stores in other schemas of the database take others (two schemas whose names hash alike
/// share one, which only makes their writes wait for each other).
const WRITE_LOCK_SCHEMA: &str = "hashtext(coalesce(current_schema(), ''))";
/// How long a write waits for another host's write, or a migration, before `storage` (as
/// SQLite's busy timeout).
const LOCK_TIMEOUT: &str = "30s";

/// An open store on a PostgreSQL server.
pub(crate) struct Store {
    /// Writes: one connection, shared by the calls of a batch (group commit).
    writer: Mutex<Writer>,
    /// Calls blocked on `writer`; a batch is left open only while this is non-zero.
    waiting: AtomicUsize,
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    pool: Pool,
    durability: Durability,
    row_key: RowKey,
    /// The key check of the key this handle was opened with (see the SQLite engine).
    key_check: [u8; 32],
    /// Set once this handle rotated the store's key.
    rotated: AtomicBool,
}

/// The handle's connection for writes, and the write transaction other calls may join.
struct Writer {
    conn: Option<Conn>,
    batch: Option<Arc<Batch>>,
}

impl Writer {
    /// Rolls the open transaction back; a connection that cannot is dropped.
    fn rollback(&mut self) {
        if self.conn.as_ref().is_some_and(|c| c.batch("ROLLBACK").is_err()) {
            self.conn = None;
        }
    }

    /// Commits without waiting for the flush, which releases the write lock at once. The
    /// writes the connection held back go with the `COMMIT`: when one of them fails, the
    /// server ends the transaction with a rollback and nothing of it is in the store.
    fn commit(&mut self) -> Result<()> {
        let Some(conn) = &self.conn else {
            return Err(Error::Storage("the write connection is gone".into()));
        };
        if conn.failed() {
            // A held write, sent with a later call's statement, failed: the transaction can
            // only roll back, and every call of the batch learns that it was not made.
            self.rollback();
            return Err(Error::Storage(
                "the write was not made: a statement of its transaction failed".into(),
            ));
        }
        let Err(e) = conn.batch("COMMIT") else { return Ok(()) };
        if conn.is_closed() {
            self.conn = None;
            return Err(Error::Storage(format!(
                "the commit's outcome is unknown (the connection failed while committing; the write \
                 may or may not be in the store): {e}"
            )));
        }
        self.rollback();
        Err(Error::Storage(format!("the write was not made (the server refused it): {e}")))
    }
}

/// At most `size` connections, the idle ones kept for the next call.
struct Pool {
    size: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Conn>,
    open: usize,
}

/// A connection taken from the pool; it goes back when dropped, unless the server closed it.
struct Lease<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("a lease holds its connection until dropped")
    }
}

impl Lease<'_> {
    /// Drops the connection instead of returning it (its session state is unknown).
    fn discard(mut self) {
        self.conn = None;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.pool.state);
        match self.conn.take() {
            Some(conn) if !conn.is_closed() => {
                state.idle.push(conn);
                self.pool.freed.notify_one();
            }
            // A connection the server dropped (or one in an unknown state): the idle ones
            // were opened before the same failure and are most likely gone too (a restart ends
            // every session), so they are dropped with it rather than each failing a later call.
            _ => {
                state.open -= 1 + state.idle.len();
                state.idle.clear();
                self.pool.freed.notify_all();
            }
        }
    }
}

impl Store {
    /// Connects, checks that the database holds an mfa-core store of a known schema with this
    /// key (creating the schema in an empty database when allowed), and keeps the first
    /// connection for the pool. Nothing is written before those checks pass.
    pub(crate) fn open(url: &str, keys: &Keys, options: &OpenOptions) -> Result<Store> {
        let target = url::parse(url)?;
        let store = Store {
            writer: Mutex::new(Writer { conn: None, batch: None }),
            waiting: AtomicUsize::new(0),
            config: target.config,
            tls: target.tls,
            pool: Pool {
                size: target.pool_size,
                state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
                freed: Condvar::new(),
            },
            durability: options.durability,
            row_key: keys.row_key(),
            key_check: keys.check_value(),
            rotated: AtomicBool::new(false),
        };
        {
            let conn = store.lease()?;
            let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
            let version = store.in_transaction(&conn, begin, || inspect(&conn, keys))?;
            if version < CURRENT_VERSION {
                if version == 0 && !options.create_if_missing {
                    return Err(Error::Storage(
                        "the database holds no mfa-core store (and creating one was not asked for)".into(),
                    ));
                }
                store.migrate(&conn, keys)?;
            }
        }
        Ok(store)
    }

    /// Creates or upgrades the schema under the write lock, reading the version again once
    /// the lock is held: when many hosts start at once on an empty database, the first creates
    /// the schema and the others find it done. DDL is transactional, so a failure leaves the
    /// database as it was.
    fn migrate(&self, conn: &Conn, keys: &Keys) -> Result<()> {
        self.in_transaction(conn, &begin_write_sql(), || {
            let version = inspect(conn, keys)?;
            for (from, sql) in schema::MIGRATIONS {
                if version <= from {
                    conn.batch(sql)?;
                }
            }
            if version == 0 {
                conn.put_meta("key_check", &keys.check_value())?;
            }
            if version < CURRENT_VERSION {
                conn.put_meta("schema_version", CURRENT_VERSION.to_string().as_bytes())?;
            }
            Ok(())
        })?;
        // Committed without waiting for its flush, as every write: wait for it here.
        conn.batch(FLUSH)
    }

    /// A connection from the pool, a new one when none is idle and the pool is not full, or
    /// the next one returned.
    fn lease(&self) -> Result<Lease<'_>> {
        let mut state = lock(&self.pool.state);
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lease { pool: &self.pool, conn: Some(conn) });
            }
            if state.open < self.pool.size {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Lease { pool: &self.pool, conn: Some(conn) }),
                    Err(e) => {
                        lock(&self.pool.state).open -= 1;
                        self.pool.freed.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.pool.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn connect(&self) -> Result<Conn> {
        let conn = match &self.tls {
            Some(tls) => Conn::open(|| self.config.connect(tls.clone()))?,
            None => Conn::open(|| self.config.connect(tokio_postgres::NoTls))?,
        };
        let synchronous_commit = match self.durability {
            Durability::Full => "on",
            Durability::Normal => "off",
        };
        // Session settings the engine relies on, whatever the server's defaults are.
        conn.batch(&format!(
            "SET synchronous_commit = {synchronous_commit}; SET lock_timeout = '{LOCK_TIMEOUT}'; \
             SET TIME ZONE 'UTC'"
        ))?;
        Ok(conn)
    }

    /// A connection from the pool on which `begin` started a transaction, and what it read.
    /// An idle connection may have been ended by the server since its last use (a restart
    /// ends every session): when `begin` finds it closed, nothing of the call has run, so it is dropped (with the other idle
    /// ones, see `Lease`) and the call goes on once with a new connection rather than fail.
    fn begin<T>(&self, begin: impl Fn(&Conn) -> Result<T>) -> Result<(Lease<'_>, T)> {
        let mut conn = self.lease()?;
        let mut started = begin(&conn);
        if started.is_err() && conn.is_closed() {
            drop(conn);
            conn = self.lease()?;
            started = begin(&conn);
        }
        match started {
            Ok(v) => Ok((conn, v)),
            Err(e) => Err(self.end_failed(conn, e)),
        }
    }

    /// Runs `f` between `begin` and `COMMIT`, rolling back when `f` fails.
    fn in_transaction<T>(&self, conn: &Conn, begin: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        conn.batch(begin)?;
        let result = f();
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        conn.batch(end)?;
        result
    }

    /// Runs `f` as one all-or-nothing write (see `Store::write` in `store/mod.rs`), under the
    /// write lock every host takes, with group commit as on SQLite: a call that finds a write
    /// transaction of this handle open joins it in a savepoint; the call that ends the batch
    /// commits for all, and every call of the batch returns once that commit is flushed.
    pub(crate) fn write<T>(&self, users: &[&str], f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut writer = lock(&self.writer);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if self.rotated.load(Ordering::SeqCst) {
            return Err(key_rotated());
        }
        let (batch, outcome) = match writer.batch.clone() {
            Some(batch) => {
                batch.calls.fetch_add(1, Ordering::SeqCst);
                let conn = writer.conn.as_ref().expect("an open batch keeps its connection");
                let tx = Tx::new(conn, &self.row_key);
                (batch, tx.savepoint(|tx| run_caught(|| tx.prefetch_users(users).and_then(|()| f(tx)))))
            }
            None => {
                let stored = self.begin_write(&mut writer, users)?;
                let conn = writer.conn.as_ref().expect("begin_write leaves a connection");
                if let Err(e) = super::key_is_current(stored, &self.key_check) {
                    writer.rollback();
                    return Err(e);
                }
                let outcome = run_caught(|| f(&Tx::new(conn, &self.row_key)));
                if let Err(e) = &outcome
                    && undoes_writes(e)
                {
                    writer.rollback();
                    return outcome;
                }
                let batch = Arc::new(Batch::default());
                batch.calls.store(1, Ordering::SeqCst);
                writer.batch = Some(batch.clone());
                (batch, outcome)
            }
        };
        if writer.conn.as_ref().is_none_or(Conn::is_closed) {
            // The connection went with the transaction: no call of the batch was made.
            writer.conn = None;
            writer.batch = None;
            let lost = Error::Storage(
                "the connection to the PostgreSQL server was lost during the write: it was not made".into(),
            );
            batch.finish(Err(lost.clone()));
            return Err(lost);
        }
        if self.waiting.load(Ordering::SeqCst) > 0 && batch.calls.load(Ordering::SeqCst) < MAX_BATCH {
            // Leave the transaction open for the next call; one of them commits for us.
            drop(writer);
            return batch.wait().and(outcome);
        }
        let committed = writer.commit();
        writer.batch = None;
        drop(writer);
        // The flush is waited for outside the handle's lock too: the next batch runs meanwhile.
        let durable = committed.and_then(|()| self.flush());
        batch.finish(durable.clone());
        durable.and(outcome)
    }

    /// Starts a write transaction on the handle's write connection (connecting when it has
    /// none) and returns the key check it read. A connection the server ended since its last
    /// use (a restart ends every session) is found closed before anything of the call ran: the
    /// call then goes on once with a new connection rather than fail.
    fn begin_write(&self, writer: &mut Writer, users: &[&str]) -> Result<Option<Vec<u8>>> {
        let mut retried = false;
        loop {
            if writer.conn.as_ref().is_none_or(Conn::is_closed) {
                writer.conn = Some(self.connect()?);
            }
            let conn = writer.conn.as_ref().expect("connected above");
            match conn.begin_write(&begin_write_sql(), users) {
                Ok(stored) => return Ok(stored),
                Err(_) if conn.is_closed() && !retried => retried = true,
                Err(e) => {
                    writer.rollback();
                    return Err(e);
                }
            }
        }
    }

    /// Waits until the writes committed so far are flushed (see [`FLUSH`]), on a pooled
    /// connection; a no-op under durability `normal`.
    fn flush(&self) -> Result<()> {
        if self.durability == Durability::Normal {
            return Ok(());
        }
        // A pooled connection the server ended (a restart) is replaced, as for a read.
        let flushed = self.begin(|conn| conn.batch(FLUSH)).map(drop);
        flushed.map_err(|e| {
            Error::Storage(format!(
                "the write was committed, but whether it reached the disk is unknown (waiting for the \
                 flush failed; a server crash now could lose it): {e}"
            ))
        })
    }

    /// Rolls back after an error that undoes the call; a connection that cannot roll back is
    /// dropped rather than reused.
    fn end_failed(&self, conn: Lease<'_>, err: Error) -> Error {
        if conn.batch("ROLLBACK").is_err() {
            conn.discard();
        }
        err
    }

    /// Runs `f` on one snapshot, without locks.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        if self.rotated.load(Ordering::SeqCst) {
            return Err(key_rotated());
        }
        let (conn, ()) = self.begin(|c| c.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))?;
        let result =
            run_caught(|| f(&Tx::new(&*conn, &self.row_key))).and_then(|v| conn.batch("COMMIT").map(|()| v));
        if result.is_err() && conn.batch("ROLLBACK").is_err() {
            conn.discard();
        }
        result
    }

    pub(crate) fn retire_keys(&self) {
        self.rotated.store(true, Ordering::SeqCst);
    }
}

/// Makes the write just committed durable, after its lock is released.
///
/// A transaction-level lock is released only when its commit ends, and a synchronous commit
/// ends after its WAL flush: with the lock held over the flush, the writes of all hosts could
/// never share one. So the write commits asynchronously (its commit record is in the WAL, the
/// lock released, the next host's write can start), and then this statement commits
/// synchronously a transaction of its own that writes one small WAL record (a logical
/// decoding message, which any role may emit and which changes no table): its flush covers
/// every WAL record before it, the write's commit among them, and the flushes of several
/// hosts' calls are shared by the server's group flush. (A transaction that writes no WAL,
/// such as one that only takes a transaction id, commits without any flush.) The call returns
/// only after it, so a call that returned is durable. A crash before the flush loses the write
/// together with every write ordered after it (the WAL is one sequence), so no host is left
/// with a write that depends on a lost one.
const FLUSH: &str = "SELECT pg_logical_emit_message(true, 'mfa-core', 'flush')";

/// The schema version of the database, after checking that it is empty or an mfa-core store
/// of a version this library knows, with this key. Reads only.
fn inspect(conn: &Conn, keys: &Keys) -> Result<i64> {
    let has_meta = conn
        .query_opt(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name = 'meta'",
            &[],
        )?
        .is_some();
    if !has_meta {
        let tables = conn.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            &[],
        )?;
        let tables: i64 = tables[0].try_get(0)?;
        if tables > 0 {
            return Err(Error::Storage(
                "the database's schema holds tables but no mfa-core store: it is left as it is (use an \
                 empty database, or another schema through the URL's `options`)"
                    .into(),
            ));
        }
        return Ok(0);
    }
    let version = conn.schema_version()?;
    if version > CURRENT_VERSION {
        return Err(Error::Storage(format!(
            "the database has schema version {version}, newer than this library's {CURRENT_VERSION}"
        )));
    }
    match conn.meta("key_check")? {
        Some(v) if keys.matches_check_value(&v) => Ok(version),
        Some(_) => Err(Error::InvalidInput("key does not match this store".into())),
        None => Err(Error::Storage("the store has no key check: it is damaged".into())),
    }
}
