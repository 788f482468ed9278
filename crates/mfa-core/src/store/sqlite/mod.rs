//! The SQLite engine: one file, shared by threads and processes on one machine.
//!
//! Durability and concurrency (docs/storage.md, docs/benchmarks.md):
//! - WAL with `synchronous=FULL` (or `NORMAL` when the host chooses [`Durability::Normal`]), a
//!   busy timeout, and `BEGIN IMMEDIATE` for every write, so
//!   threads and processes sharing a file queue for the write lock instead of failing.
//! - Group commit: a call runs inside its own savepoint of a shared transaction. When other
//!   writers of this handle are already waiting, it leaves the transaction open for them and
//!   waits; the last call of the batch commits once (one fsync) and wakes the others. Every call
//!   keeps its own all-or-nothing effects and returns only when they are durable.
//! - Reads use separate connections (WAL readers never wait for the writer). Opening a store
//!   whose schema is current only reads, so it never waits for another process's write either.
//! - A commit whose flush fails leaves its outcome unknown: the handle then refuses every
//!   further write until the store is reopened (see [`Store::write`]).

mod backup;
mod file;
mod rows;
pub(super) mod schema;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use self::rows::SqliteRows;
use self::schema::CURRENT_VERSION;
use super::FileFacts;
use super::batch::{Batch, MAX_BATCH};
use super::rows::Rows;
use super::{Tx, key_rotated, lock, run_caught, undoes_writes};
use crate::crypto::{Keys, RowKey};
use crate::error::{Error, Result};
use crate::model::{Durability, OpenOptions};

/// How long a writer waits for another process's write lock before `storage`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a batch waits for a writer about to arrive before it commits without it.
const GATHER: Duration = Duration::from_micros(100);
/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 64;

/// An open store: one writer connection shared by group commit, and a pool of readers.
pub(crate) struct Store {
    /// Declared before `writer` so it is dropped first: the last connection to close is the
    /// one that checkpoints the WAL into the file and deletes it, and a read-only reader
    /// cannot, which would leave the latest writes only in `-wal` beside the file.
    readers: Option<ReaderPool>,
    writer: Mutex<WriterState>,
    /// Writers blocked on `writer`; a call leaves its batch open only while this is non-zero.
    waiting: AtomicUsize,
    /// Calls in the last batch committed (see [`Store::others_coming`]).
    last_batch: AtomicUsize,
    /// Whether commits flush, so that a batch may wait a moment for more calls.
    gather: bool,
    /// Checks and seals the MAC of every user, org and recovery-code row (`integrity.rs`).
    row_key: RowKey,
    /// Set when a commit failed in a way that leaves its outcome unknown; every later write is
    /// refused until the store is reopened.
    commit_failed: AtomicBool,
    /// The key check of the key this handle was opened with. Each write transaction compares it
    /// with the file's, so that a handle left open on a key another handle rotated away never
    /// writes under that key (docs/key-rotation.md).
    key_check: [u8; 32],
    /// Set once this handle rotated the store's key: its keys are retired, so every later call
    /// is refused until the store is opened again with the new key.
    rotated: AtomicBool,
}

struct WriterState {
    conn: Connection,
    /// The open shared transaction, if a previous call left it for the waiting ones.
    batch: Option<Arc<Batch>>,
}

struct ReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // The query planner stability guarantee: plans never depend on bound values. Without it,
    // SQLite marks a statement whose plan consulted a bound value (the rate limit's
    // `max(n) ... WHERE actor = ?1` does, through the min/max optimization) for re-preparation
    // whenever that value is bound again, so every reuse from the statement cache was a full
    // parse and plan. Turning it off for the connection, rather than rewriting the statements
    // that trip it today, keeps any statement added later from silently paying the same cost;
    // no plan here gains from seeing values (the store keeps no statistics: no ANALYZE).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Runs a statement that returns no rows through the statement cache: the transaction control
/// statements run on every call, and `execute_batch` would parse them every time.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Reads what must be checked before anything is written: the schema version, and that the
/// file is either empty or an mfa-core store.
fn inspect(conn: &Connection) -> Result<i64> {
    let damaged = |e: rusqlite::Error| Error::Storage(format!("the file is not a usable database: {e}"));
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(damaged)?;
    let objects: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(damaged)?;
    if version > CURRENT_VERSION {
        return Err(Error::Storage(format!(
            "the file has schema version {version}, newer than this library's {CURRENT_VERSION}"
        )));
    }
    if version == 0 && objects > 0 {
        return Err(Error::Storage("the file is an SQLite database but not an mfa-core store".into()));
    }
    Ok(version)
}

fn check_key(conn: &Connection, keys: &Keys) -> Result<()> {
    let stored: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| r.get(0)).optional()?;
    match stored {
        Some(v) if keys.matches_check_value(&v) => Ok(()),
        Some(_) => Err(Error::InvalidInput("key does not match this store".into())),
        None => Err(Error::Storage("the store has no key check: it is damaged".into())),
    }
}

/// Brings the schema to [`CURRENT_VERSION`] in one transaction. The version is read again
/// under the write lock, because another process may have migrated the file meanwhile.
fn migrate(conn: &mut Connection, keys: &Keys) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version = inspect(&tx)?;
    if version >= 1 {
        check_key(&tx, keys)?;
    }
    for (from, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        match from {
            0 => {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                    [keys.check_value().to_vec()],
                )?;
            }
            // Version 3 adds the row MACs: compute them for the rows already there.
            2 => rows::seal_every_row(&tx, &keys.row_key())?,
            _ => {}
        }
    }
    if version < CURRENT_VERSION {
        tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// Builds a new store in the fresh, empty file at `path`: the schema, the key check, and WAL
/// mode (kept in the file, so later opens need no write to switch to it).
fn initialize(path: &Path, keys: &Keys) -> Result<()> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::Storage(format!("cannot create the store: {e}")))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    migrate(&mut conn, keys)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Storage(format!("cannot switch to WAL (journal mode is {mode})")));
    }
    conn.close().map_err(|(_, e)| Error::Storage(format!("cannot finish creating the store: {e}")))
}

impl Store {
    /// Opens the store at `path` (creating it if allowed and nothing is there), or a private
    /// in-memory store. Files that are not SQLite, are empty, are corrupt, or come from a newer
    /// schema are refused with `storage` and left untouched; a wrong key is refused with
    /// `invalid_input` before anything changes. A store whose schema is current is opened
    /// with reads only: no write lock is taken, so opening never waits for another writer.
    pub(crate) fn open(path: Option<&Path>, keys: &Keys, options: &OpenOptions) -> Result<Store> {
        let mut conn = match path {
            Some(path) => {
                if !file::exists(path)? {
                    if !options.create_if_missing {
                        return Err(Error::Storage(format!(
                            "no store at {} (and creating one was not asked for)",
                            path.display()
                        )));
                    }
                    file::create(path, |new| initialize(new, keys))?;
                }
                // No SQLITE_OPEN_URI: a path is a file name, never `file:...?mode=...`. No
                // SQLITE_OPEN_CREATE: only `file::create` makes a store.
                Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            }
            None => Connection::open_in_memory(),
        }
        .map_err(|e| Error::Storage(format!("cannot open the store: {e}")))?;
        configure(&conn)?;

        // Nothing is written until the file has proven to be ours and the key right.
        let row_key = keys.row_key();
        let version = in_transaction(&conn, "BEGIN", || {
            let version = inspect(&conn)?;
            if version >= 1 {
                check_key(&conn, keys)?;
            }
            Ok(version)
        })?;
        if path.is_some() {
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
                if !mode.eq_ignore_ascii_case("wal") {
                    return Err(Error::Storage(format!("cannot switch to WAL (journal mode is {mode})")));
                }
            }
        }
        let synchronous = match options.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        if version < CURRENT_VERSION {
            migrate(&mut conn, keys)?;
        }

        let readers = path.map(|p| ReaderPool { path: p.to_path_buf(), idle: Mutex::new(Vec::new()) });
        Ok(Store {
            writer: Mutex::new(WriterState { conn, batch: None }),
            waiting: AtomicUsize::new(0),
            last_batch: AtomicUsize::new(1),
            gather: path.is_some() && options.durability == Durability::Full,
            row_key,
            commit_failed: AtomicBool::new(false),
            key_check: keys.check_value(),
            rotated: AtomicBool::new(false),
            readers,
        })
    }

    /// The file's path, permission bits, whether others may read it, and its size; all `None`
    /// (and false) for an in-memory store.
    pub(crate) fn file_facts(&self) -> Result<FileFacts> {
        let Some(pool) = &self.readers else { return Ok(FileFacts::default()) };
        let (mode, readable_by_others) = file::permissions(&pool.path)?;
        let size = std::fs::metadata(&pool.path)
            .map_err(|e| Error::Storage(format!("cannot read the store file's size: {e}")))?
            .len();
        Ok(FileFacts { path: Some(pool.path.clone()), mode, readable_by_others, size: Some(size) })
    }

    /// Runs `f` as one all-or-nothing write and returns once its effects are durable.
    ///
    /// Refusals (any error but `storage` and `internal`) keep what `f` wrote before refusing:
    /// that is how denied attempts are audited and failure counters survive. `storage` and
    /// `internal` errors raised while `f` runs, and panics, undo everything `f` wrote.
    ///
    /// The commit itself can fail too (an I/O error while flushing). Its outcome is then
    /// unknown: the error says so, and from then on this store refuses every write with
    /// `storage` until it is reopened, as PostgreSQL does after a failed fsync. Reads keep
    /// working.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut state = lock(&self.writer);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if self.commit_failed.load(Ordering::SeqCst) {
            return Err(Error::Storage(
                "an earlier commit of this handle failed with its outcome unknown: it refuses writes \
                 until the store is reopened (reopen the store)"
                    .into(),
            ));
        }
        if self.rotated.load(Ordering::SeqCst) {
            return Err(key_rotated());
        }

        // The first call of a batch is alone in its transaction, so it needs no savepoint: an
        // error that undoes its writes rolls the whole transaction back. Calls that join an
        // open batch run in a savepoint, so their errors undo only their own writes.
        let (batch, outcome) = match &state.batch {
            Some(batch) => {
                let batch = batch.clone();
                batch.calls.fetch_add(1, Ordering::SeqCst);
                let rows = SqliteRows(&state.conn);
                let outcome = Tx::new(&rows, &self.row_key).savepoint(|tx| run_caught(|| f(tx)));
                (batch, outcome)
            }
            None => {
                if let Err(e) = run(&state.conn, "BEGIN IMMEDIATE") {
                    return Err(Error::Storage(format!("cannot start a write: {e}")));
                }
                if let Err(e) = self.key_is_current(&state.conn) {
                    run(&state.conn, "ROLLBACK")?;
                    return Err(e);
                }
                let outcome = run_caught(|| f(&Tx::new(&SqliteRows(&state.conn), &self.row_key)));
                if let Err(e) = &outcome
                    && undoes_writes(e)
                {
                    if !state.conn.is_autocommit() {
                        run(&state.conn, "ROLLBACK")?;
                    }
                    return outcome;
                }
                let batch = Arc::new(Batch::default());
                batch.calls.store(1, Ordering::SeqCst);
                state.batch = Some(batch.clone());
                (batch, outcome)
            }
        };
        if let Err(e) = &outcome
            && matches!(e, Error::Storage(_))
            && state.conn.is_autocommit()
        {
            // SQLite rolled the whole transaction back (disk full, I/O error): the batch is lost.
            state.batch = None;
            batch.finish(Err(e.clone()));
            return Err(e.clone());
        }

        let calls = batch.calls.load(Ordering::SeqCst);
        if calls < MAX_BATCH && (self.waiting.load(Ordering::SeqCst) > 0 || self.others_coming(calls)) {
            // Leave the transaction open for the next writer; one of them commits for us.
            drop(state);
            return batch.wait().and(outcome);
        }

        self.last_batch.store(calls, Ordering::SeqCst);
        let committed = run(&state.conn, "COMMIT").map_err(|e| {
            // The commit may have reached the write-ahead log before the failure (a failed
            // fsync): SQLite then hides it from this process, yet a restart may find it whole.
            // Neither "done" nor "undone" would be true, so say so, and write nothing more
            // through a connection whose view of the file may be wrong.
            self.commit_failed.store(true, Ordering::SeqCst);
            Error::Storage(format!(
                "the commit failed and its outcome is unknown (the write may or may not be in the \
                 store, also after a restart); this handle refuses further writes: reopen the \
                 store. Cause: {e}"
            ))
        });
        if committed.is_err() && !state.conn.is_autocommit() {
            let _ = run(&state.conn, "ROLLBACK");
        }
        state.batch = None;
        drop(state);
        batch.finish(committed.clone());
        committed.and(outcome)
    }

    /// Runs `f` in a read transaction (a consistent snapshot) on a reader connection; an
    /// in-memory store reads through its only connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        if self.rotated.load(Ordering::SeqCst) {
            return Err(key_rotated());
        }
        let Some(pool) = &self.readers else {
            let state = lock(&self.writer);
            let rows = SqliteRows(&state.conn);
            let tx = Tx::new(&rows, &self.row_key);
            return if state.conn.is_autocommit() {
                in_transaction(&state.conn, "BEGIN", || run_caught(|| f(&tx)))
            } else {
                run_caught(|| f(&tx))
            };
        };
        let conn = match lock(&pool.idle).pop() {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &pool.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&conn)?;
                conn
            }
        };
        let rows = SqliteRows(&conn);
        let result = in_transaction(&conn, "BEGIN", || run_caught(|| f(&Tx::new(&rows, &self.row_key))));
        if conn.is_autocommit() {
            lock(&pool.idle).push(conn);
        }
        result
    }
}

impl Store {
    /// Whether a batch of `calls` should wait a moment for writers about to arrive, and they
    /// came: after a batch of several calls, its callers are woken one after another (each a
    /// scheduler wake-up, tens of microseconds on a VM), so the first of them back would
    /// otherwise commit alone and make the others pay one more flush. Only when a commit
    /// flushes (a file under `synchronous=FULL`) is the wait worth it, and only while the batch
    /// is smaller than the last one: a caller alone never waits.
    fn others_coming(&self, calls: usize) -> bool {
        let last = self.last_batch.load(Ordering::SeqCst);
        if !self.gather || calls >= last {
            return false;
        }
        let deadline = std::time::Instant::now() + GATHER;
        while std::time::Instant::now() < deadline {
            if self.waiting.load(Ordering::SeqCst) > 0 {
                return true;
            }
            std::thread::yield_now();
        }
        false
    }

    /// Refuses a write transaction when the file's key check is no longer this handle's: another
    /// handle rotated the key meanwhile. One cached primary-key lookup per transaction.
    fn key_is_current(&self, conn: &Connection) -> Result<()> {
        let stored = SqliteRows(conn).meta("key_check")?;
        super::key_is_current(stored, &self.key_check)
    }

    /// Marks this handle's keys as retired, from inside the rotation's transaction: calls that
    /// come after it (on any thread) are refused, so none writes under the old key.
    pub(crate) fn retire_keys(&self) {
        self.rotated.store(true, Ordering::SeqCst);
    }
}

/// Runs `f` between `begin` and its `COMMIT` (or `ROLLBACK` when `f` fails).
fn in_transaction<T>(conn: &Connection, begin: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    run(conn, begin)?;
    let result = f();
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    if let Err(e) = run(conn, end) {
        if !conn.is_autocommit() {
            let _ = run(conn, "ROLLBACK");
        }
        return Err(e.into());
    }
    result
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use rusqlite::ffi;

    use super::*;
    use crate::{Core, OpenOptions, Policy, ResetOptions, Role, totp};

    /// Every statement prepared on `conn`, with how often SQLite compiled it again and how often
    /// it ran.
    fn statements(conn: &Connection) -> Vec<(String, i32, i32)> {
        let mut out = Vec::new();
        // SAFETY: the connection is borrowed for the whole walk, nothing else uses it meanwhile,
        // and the statements walked stay owned by its statement cache.
        unsafe {
            let db = conn.handle();
            let mut stmt = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !stmt.is_null() {
                let sql = CStr::from_ptr(ffi::sqlite3_sql(stmt)).to_string_lossy().into_owned();
                let status = |op| ffi::sqlite3_stmt_status(stmt, op, 0);
                out.push((sql, status(ffi::SQLITE_STMTSTATUS_REPREPARE), status(ffi::SQLITE_STMTSTATUS_RUN)));
                stmt = ffi::sqlite3_next_stmt(db, stmt);
            }
        }
        out
    }

    /// Every statement prepared on `conn`, with how often SQLite compiled it again.
    fn reprepares(conn: &Connection) -> Vec<(String, i32)> {
        statements(conn).into_iter().map(|(sql, reprepared, _)| (sql, reprepared)).collect()
    }

    /// How many times the cached statement `sql` has run on `conn` (0 if it is not prepared).
    fn runs(conn: &Connection, sql: &str) -> i32 {
        statements(conn).iter().filter(|(s, _, _)| s == sql).map(|(_, _, runs)| runs).sum()
    }

    /// `n` members of `org`, each enrolled at `t0`, with their secrets.
    fn enrolled_members(
        core: &Core,
        org: &str,
        n: usize,
        t0: i64,
    ) -> Vec<(String, zeroize::Zeroizing<Vec<u8>>)> {
        (0..n)
            .map(|i| {
                let id = core.create_user(org, &format!("m{i}@acme.test"), Role::Member).unwrap().id;
                let secret = totp::decode_base32(&core.begin_enrollment(&id).unwrap().secret).unwrap();
                core.confirm_enrollment(&id, &totp::code_for_step(&secret, totp::step_at(t0)).unwrap())
                    .unwrap();
                (id, secret)
            })
            .collect()
    }

    /// Resets by two actors and verifies run their statements from the cache: none is compiled
    /// again (the rate limit's statements were, at every reset), and the transaction control
    /// statements are among the cached ones. (A schema change compiles every statement once
    /// more, as opening a new store does: only what the calls themselves cause is counted.)
    #[test]
    fn hot_statements_are_prepared_once() {
        let t0 = 1_700_000_010;
        let options = OpenOptions { manual_clock: Some(t0), ..Default::default() };
        let core = Core::open_in_memory(&[1; 32], options).unwrap();
        let policy = Policy { reset_limit_per_hour: 1_000, ..Policy::default() };
        let org = core.create_org("Acme", policy).unwrap().id;
        let admins: Vec<String> = (0..2)
            .map(|i| core.create_user(&org, &format!("a{i}@acme.test"), Role::Admin).unwrap().id)
            .collect();
        let members = enrolled_members(&core, &org, 6, t0);
        core.set_time(t0 + 60).unwrap();
        let before = reprepares(&lock(&core.store.sqlite().writer).conn);
        for (i, (id, secret)) in members.iter().enumerate() {
            if i % 2 == 0 {
                core.reset_mfa(&admins[i % 4 / 2], id, &ResetOptions::default()).unwrap();
            } else {
                core.verify(id, &totp::code_for_step(secret, totp::step_at(t0 + 60)).unwrap()).unwrap();
            }
        }

        let state = lock(&core.store.sqlite().writer);
        let statements = reprepares(&state.conn);
        let cached = |prefix: &str| statements.iter().any(|(sql, _)| sql.starts_with(prefix));
        assert!(cached("INSERT INTO reset_log") && cached("SELECT at FROM reset_log"), "{statements:?}");
        assert!(cached("BEGIN IMMEDIATE") && cached("COMMIT"), "{statements:?}");
        let earlier = |sql: &str| before.iter().find(|(s, _)| s == sql).map_or(0, |(_, n)| *n);
        let again: Vec<_> = statements.iter().filter(|(sql, n)| *n > earlier(sql)).collect();
        assert!(again.is_empty(), "compiled again: {again:?}");
    }

    /// A verify reads its user's row once and a reset the actor's and the target's once each:
    /// the update that follows works on the transaction's own copy of the row rather than
    /// reading it again, and what it writes still passes the MAC check of every later read.
    #[test]
    fn each_user_row_is_read_once_per_call() {
        let t0 = 1_700_000_010;
        let options = OpenOptions { manual_clock: Some(t0), ..Default::default() };
        let core = Core::open_in_memory(&[1; 32], options).unwrap();
        let org = core.create_org("Acme", Policy::default()).unwrap().id;
        let admin = core.create_user(&org, "a@acme.test", Role::Admin).unwrap().id;
        let members = enrolled_members(&core, &org, 2, t0);
        core.set_time(t0 + 60).unwrap();
        let user_reads = || runs(&lock(&core.store.sqlite().writer).conn, rows::USER_BY_ID);

        let before = user_reads();
        let (id, secret) = &members[0];
        core.verify(id, &totp::code_for_step(secret, totp::step_at(t0 + 60)).unwrap()).unwrap();
        assert_eq!(user_reads() - before, 1);
        // The code just used is a replay now: refused, and the failure counted on the same row.
        let replay = core.verify(id, &totp::code_for_step(secret, totp::step_at(t0 + 60)).unwrap());
        assert_eq!(replay.unwrap_err().code(), "invalid_code");
        assert_eq!(user_reads() - before, 2);

        let before = user_reads();
        core.reset_mfa(&admin, &members[1].0, &ResetOptions::default()).unwrap();
        assert_eq!(user_reads() - before, 2);

        assert!(core.verify_audit(None).unwrap().ok);
        let status = core.mfa_status(&members[1].0).unwrap();
        assert_eq!((status.state, status.credential_epoch), (crate::MfaState::EnrollmentRequired, 1));
        let row = core.store.read(|tx| tx.user(id)).unwrap().unwrap();
        assert_eq!((row.last_step, row.failed_count), (Some(totp::step_at(t0 + 60)), 1));
    }

    /// A batch waits for more calls only on a file whose commits flush, only while it is smaller
    /// than the last batch, and stops waiting as soon as a writer arrives.
    #[test]
    fn a_batch_waits_for_more_calls_only_after_a_bigger_batch_and_only_when_commits_flush() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::derive(&[7; 32]);
        let open = |durability, file: bool| {
            let options = OpenOptions { durability, ..OpenOptions::default() };
            let path = dir.path().join("store.db");
            Store::open(file.then_some(path.as_path()), &keys, &options).unwrap()
        };
        let full = open(Durability::Full, true);
        // A caller alone (the last batch was one call) commits at once.
        assert!(!full.others_coming(1));
        full.last_batch.store(8, Ordering::SeqCst);
        // Nobody comes within the wait: commit.
        assert!(!full.others_coming(3));
        // A writer has arrived: leave the batch open for it.
        full.waiting.store(1, Ordering::SeqCst);
        assert!(full.others_coming(3));
        // As big as the last batch: commit.
        assert!(!full.others_coming(8));
        // Commits that do not flush are not worth waiting for.
        for store in [open(Durability::Normal, true), open(Durability::Full, false)] {
            store.last_batch.store(8, Ordering::SeqCst);
            store.waiting.store(1, Ordering::SeqCst);
            assert!(!store.others_coming(3));
        }
    }

    fn synchronous(store: &Store) -> i64 {
        lock(&store.writer).conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn durability_sets_the_writer_synchronous_level() {
        assert_eq!(OpenOptions::default().durability, Durability::Full);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let keys = Keys::derive(&[7; 32]);
        // SQLite's levels: NORMAL is 1, FULL is 2.
        for (durability, level) in [(Durability::Full, 2), (Durability::Normal, 1)] {
            let options = OpenOptions { durability, ..OpenOptions::default() };
            assert_eq!(synchronous(&Store::open(Some(&path), &keys, &options).unwrap()), level);
            assert_eq!(synchronous(&Store::open(None, &keys, &options).unwrap()), level);
        }
        assert_eq!("normal".parse::<Durability>().unwrap(), Durability::Normal);
        assert_eq!("fast".parse::<Durability>().unwrap_err().code(), "invalid_input");
    }
}
