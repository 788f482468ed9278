//! Storage: the only module that speaks SQL. The core above it sees [`Store::write`],
//! [`Store::read`] and the typed queries of [`Tx`], and never learns which engine holds the
//! store: SQLite (a file, or memory: `sqlite/`) or PostgreSQL (a server: `postgres/`).
//!
//! Each engine implements the statements of [`rows::Rows`] and its own transactions; the rules
//! that decide (row MACs, read-modify-write of a user row, key checks) live once, in `tx.rs`
//! and `integrity.rs`. Each engine keeps its schema and migrations in its own `schema.rs`, with
//! one version number for both: a store of version N has the same tables and meaning on
//! either engine.

mod batch;
mod copy;
mod integrity;
mod postgres;
mod rows;
mod sqlite;
mod tx;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

pub(crate) use rows::{AuditRow, UserRow, hex};
pub use sqlite::schema::CURRENT_VERSION;
pub(crate) use tx::Tx;

use crate::crypto::Keys;
use crate::error::{Error, Result};
use crate::model::{Checkpoint, OpenOptions, StoreInfo, UnixTime};

/// Where a store lives.
pub(crate) enum Location<'a> {
    /// A private in-memory SQLite store.
    Memory,
    /// An SQLite file.
    File(&'a Path),
    /// A PostgreSQL database, by URL (which may hold a password: never shown).
    Postgres(&'a str),
}

impl<'a> Location<'a> {
    /// A PostgreSQL URL, or else a file path.
    pub(crate) fn of(path: &'a Path) -> Location<'a> {
        match path.to_str() {
            Some(url) if postgres::is_postgres_url(url) => Location::Postgres(url),
            _ => Location::File(path),
        }
    }
}

/// An open store on one of the engines.
#[allow(clippy::large_enum_variant, reason = "one per handle, built once and never moved in a loop")]
pub(crate) enum Store {
    Sqlite(sqlite::Store),
    Postgres(postgres::Store),
}

/// What `info` reports about a store file.
#[derive(Default)]
pub(crate) struct FileFacts {
    path: Option<PathBuf>,
    mode: Option<u32>,
    readable_by_others: bool,
    size: Option<u64>,
}

impl Store {
    /// Opens (or creates, when allowed) the store at `location`. Nothing is written until the
    /// store has proven to be an mfa-core store of a schema this library knows, and the key
    /// right.
    pub(crate) fn open(location: Location, keys: &Keys, options: &OpenOptions) -> Result<Store> {
        match location {
            Location::Memory => sqlite::Store::open(None, keys, options).map(Store::Sqlite),
            Location::File(path) => sqlite::Store::open(Some(path), keys, options).map(Store::Sqlite),
            Location::Postgres(url) => postgres::Store::open(url, keys, options).map(Store::Postgres),
        }
    }

    /// Runs `f` as one all-or-nothing write and returns once its effects are durable.
    ///
    /// Refusals (any error but `storage` and `internal`) keep what `f` wrote before refusing:
    /// that is how denied attempts are audited and failure counters survive. `storage` and
    /// `internal` errors raised while `f` runs, and panics, undo everything `f` wrote. A commit
    /// that fails with its outcome unknown says so, and the handle then refuses every write
    /// until the store is opened again.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        self.write_about(&[], f)
    }

    /// [`Store::write`] for a call that reads these users first: an engine with round trips
    /// reads them with the write lock (see `postgres/conn.rs`); the call reads them as usual.
    pub(crate) fn write_about<T>(&self, users: &[&str], f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(s) => s.write(f),
            Store::Postgres(s) => s.write(users, f),
        }
    }

    /// Runs `f` in a read transaction (one consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(s) => s.read(f),
            Store::Postgres(s) => s.read(f),
        }
    }

    /// Copies the store to a new file (see `sqlite/backup.rs`). A PostgreSQL store is backed up
    /// with the server's own tools.
    pub(crate) fn backup(&self, dest: &Path) -> Result<Checkpoint> {
        match self {
            Store::Sqlite(s) => s.backup(dest),
            Store::Postgres(_) => Err(Error::InvalidInput(
                "a PostgreSQL store is backed up with the server's tools (pg_dump, or base backups \
                 with WAL archiving): see docs/backup.md"
                    .into(),
            )),
        }
    }

    /// Marks this handle's keys as retired, from inside the rotation's transaction: calls that
    /// come after it (on any thread) are refused, so none writes under the old key.
    pub(crate) fn retire_keys(&self) {
        match self {
            Store::Sqlite(s) => s.retire_keys(),
            Store::Postgres(s) => s.retire_keys(),
        }
    }

    /// The schema version, the counts and the audit head (one snapshot, users' states at
    /// `now`), whether the stored key check still matches `keys`, and for a file its size and
    /// permissions.
    pub(crate) fn info(&self, keys: &Keys, now: UnixTime) -> Result<StoreInfo> {
        let (engine, file) = match self {
            Store::Sqlite(s) => ("sqlite", s.file_facts()?),
            Store::Postgres(_) => ("postgresql", FileFacts::default()),
        };
        self.read(|tx| {
            let schema_version = tx.schema_version()?;
            let key_check_ok = keys.matches_check_value(&tx.key_check()?);
            let (orgs, users) = tx.counts(now)?;
            // Seqs are gapless from 1 (`verify_audit` checks it), so the head's seq is the
            // count, without a walk over the trail.
            let audit_head = crate::audit::checkpoint(tx)?;
            Ok(StoreInfo {
                engine,
                schema_version,
                path: file.path,
                mode: file.mode,
                readable_by_others: file.readable_by_others,
                file_size: file.size,
                key_check_ok,
                orgs,
                users,
                audit_events: audit_head.seq,
                audit_head,
            })
        })
    }

    #[cfg(test)]
    pub(crate) fn sqlite(&self) -> &sqlite::Store {
        match self {
            Store::Sqlite(s) => s,
            Store::Postgres(_) => panic!("not an SQLite store"),
        }
    }
}

/// The refusal of every call on a handle whose key the store no longer has.
fn key_rotated() -> Error {
    Error::InvalidInput(
        "the store's master key was rotated: this handle's key is retired; open the store again with \
         the new key"
            .into(),
    )
}

/// Whether the key check a write transaction read is still the one this handle was opened
/// with: another handle may have rotated the key meanwhile.
fn key_is_current(stored: Option<Vec<u8>>, mine: &[u8; 32]) -> Result<()> {
    match stored {
        Some(v) if v[..] == mine[..] => Ok(()),
        Some(_) => Err(key_rotated()),
        None => Err(Error::Storage("the store has no key check: it is damaged".into())),
    }
}

/// A mutex whose guard survives a panic elsewhere: every critical section here leaves its data
/// consistent (the engine rolls back), so a poisoned lock carries no broken invariant.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Converts a panic inside a call into `internal`, so one bug cannot wedge the handle.
fn run_caught<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::Internal(format!("a panic was caught: {what}")))
    })
}

use tx::undoes_writes;
