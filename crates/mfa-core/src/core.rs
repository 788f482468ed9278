//! The handle: opening a store, the clock, reads, and the audit helpers every write shares.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::audit::{self, Draft};
use crate::crypto::Keys;
use crate::error::{Error, Result, invalid};
use crate::model::{
    AuditEvent, AuditOrigin, AuditQuery, AuditReport, Checkpoint, MfaStatus, OpenOptions, Org, Outcome,
    StoreInfo, UnixTime, User,
};
use crate::policy::state_of;
use crate::store::{Location, Store, Tx, UserRow};
use crate::validate;

/// An open mfa-core store. `Send + Sync`: share one handle between threads (an `Arc<Core>`);
/// concurrent writes share commits (group commit) and reads never wait for writers.
///
/// A `storage` error from a write normally means the write was undone. The exception is a
/// commit that failed while being flushed to disk: its outcome is unknown (the message says
/// so), and the handle then refuses every later write with `storage` until the store is
/// opened again; reads keep working.
pub struct Core {
    pub(crate) store: Store,
    pub(crate) keys: Keys,
    clock: Clock,
    pub(crate) issuer: Option<String>,
    /// Added to the detail of every event this handle appends.
    audit_origin: Option<AuditOrigin>,
}

/// The system clock, or a manual one that tests move with [`Core::set_time`].
enum Clock {
    System,
    Manual(AtomicI64),
}

/// Who and what an audited write is about, filled in as the operation learns it, so that a
/// refusal at any rule is recorded with everything known so far.
pub(crate) struct Ctx<'a> {
    pub action: &'static str,
    pub actor: Option<&'a str>,
    pub target: Option<&'a str>,
    pub org: Option<String>,
    pub reason: Option<&'a str>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(action: &'static str) -> Self {
        Ctx { action, actor: None, target: None, org: None, reason: None }
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Core {
    /// Opens the store at `path` with the host's 32-byte `key`, creating it when nothing exists
    /// at `path` and [`OpenOptions::create_if_missing`] is set (the default). The path is a
    /// plain file name (never an SQLite URI); `":memory:"` is the same as
    /// [`Core::open_in_memory`].
    ///
    /// A `postgres://` or `postgresql://` URL opens the store in a PostgreSQL database instead,
    /// for hosts on several machines (docs/scale-out.md: the URL's parameters, TLS, the pool);
    /// an empty database gets the tables. A password in the URL never appears in an error.
    ///
    /// A new store file (and its `-wal` and `-shm`) is readable and writable by its owner only
    /// (0600), whatever the process umask. An existing store that other users can read is
    /// opened all the same: [`Core::info`] tells.
    ///
    /// Opening a store whose schema is current only reads it: it does not wait for another
    /// process's write.
    ///
    /// Errors: `invalid_input` for a key that is not 32 bytes or does not match the store, a
    /// bad option or a malformed URL; `storage` for a missing file when creation is off, or a
    /// file that is empty, is not SQLite, is corrupt, or has a newer schema (such files are
    /// left byte-for-byte unchanged), and on PostgreSQL for a server that cannot be reached or
    /// a database that holds something else or a newer schema (left untouched).
    pub fn open(path: impl AsRef<Path>, key: &[u8], options: OpenOptions) -> Result<Core> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err(invalid("path is empty"));
        }
        if path.to_str().is_some_and(|p| p.contains('\0')) {
            return Err(invalid("path contains a NUL byte"));
        }
        if path == Path::new(":memory:") {
            return Self::open_with(Location::Memory, key, options);
        }
        Self::open_with(Location::of(path), key, options)
    }

    /// Opens a private in-memory store (gone when the handle is dropped).
    pub fn open_in_memory(key: &[u8], options: OpenOptions) -> Result<Core> {
        Self::open_with(Location::Memory, key, options)
    }

    fn open_with(location: Location, key: &[u8], options: OpenOptions) -> Result<Core> {
        let keys = Keys::derive(validate::key(key)?);
        let issuer = options.issuer.as_deref().map(|i| validate::name("issuer", i)).transpose()?;
        let clock = match options.manual_clock {
            Some(t) => Clock::Manual(AtomicI64::new(validate::unix_time("manual_clock", t)?)),
            None => Clock::System,
        };
        let store = Store::open(location, &keys, &options)?;
        Ok(Core { store, keys, clock, issuer, audit_origin: None })
    }

    /// Records `origin` (the program and OS account behind this handle) in the `detail` of
    /// every audit event this handle appends, as `"via"`. The actor of each event is still the
    /// user the caller names: this says how the change arrived, not who may make it.
    pub fn with_audit_origin(self, origin: AuditOrigin) -> Core {
        Core { audit_origin: Some(origin), ..self }
    }

    /// The handle's current time, always inside the accepted clock range (a system clock
    /// outside it reads as the nearest end).
    pub fn now(&self) -> UnixTime {
        match &self.clock {
            Clock::Manual(t) => t.load(Ordering::SeqCst),
            Clock::System => {
                SystemTime::now().duration_since(UNIX_EPOCH).map_or(validate::MIN_UNIX_TIME, |d| {
                    i64::try_from(d.as_secs()).unwrap_or(i64::MAX).min(validate::MAX_UNIX_TIME)
                })
            }
        }
    }

    /// Moves a manual clock. Errors: `invalid_input` on a handle using the system clock, or
    /// for a time outside [`crate::MIN_UNIX_TIME`] to [`crate::MAX_UNIX_TIME`] (1970 to
    /// the end of 9999), the range every clock computation is checked for.
    pub fn set_time(&self, unix_seconds: UnixTime) -> Result<()> {
        match &self.clock {
            Clock::Manual(t) => {
                t.store(validate::unix_time("unix_seconds", unix_seconds)?, Ordering::SeqCst);
                Ok(())
            }
            Clock::System => Err(invalid("set_time needs a handle opened with a manual clock")),
        }
    }

    /// Appends an event for a refusal, unless it is one that is not audited (`invalid_input`
    /// names nobody; `storage` and `internal` undo the call). Wrong codes are `failure`s, other
    /// refusals `denied`.
    pub(crate) fn audit_refusal<T>(&self, tx: &Tx, now: UnixTime, ctx: &Ctx, result: Result<T>) -> Result<T> {
        let Err(err) = &result else { return result };
        let outcome = match err {
            Error::InvalidInput(_) | Error::Storage(_) | Error::Internal(_) => return result,
            Error::InvalidCode(_) => Outcome::Failure,
            _ => Outcome::Denied,
        };
        self.append(tx, now, ctx, outcome, Some(err.code()), Value::Object(Default::default()))?;
        result
    }

    pub(crate) fn append(
        &self,
        tx: &Tx,
        now: UnixTime,
        ctx: &Ctx,
        outcome: Outcome,
        code: Option<&'static str>,
        mut detail: Value,
    ) -> Result<u64> {
        if let (Some(origin), Value::Object(fields)) = (&self.audit_origin, &mut detail) {
            let via = serde_json::to_value(origin)
                .map_err(|e| Error::Internal(format!("cannot encode the audit origin: {e}")))?;
            fields.insert("via".into(), via);
        }
        audit::append(
            tx,
            &self.keys,
            Draft {
                at: now,
                actor: ctx.actor,
                target: ctx.target,
                org: ctx.org.as_deref(),
                action: ctx.action,
                outcome,
                code,
                reason: ctx.reason,
                detail,
            },
        )
    }

    pub(crate) fn user_row(&self, tx: &Tx, id: &str) -> Result<UserRow> {
        tx.user(id)?.ok_or_else(|| Error::NotFound(format!("no user {id}")))
    }

    pub(crate) fn org_of(&self, tx: &Tx, id: &str) -> Result<Org> {
        tx.org(id)?.ok_or_else(|| Error::NotFound(format!("no org {id}")))
    }

    // ---- reads ----

    /// Facts about the open store: schema version, path, file size, whether other users can
    /// read the file (a host should warn then), whether the key check still matches, how many
    /// orgs, users (by MFA state now) and audit events it holds, and the audit head. Nothing
    /// secret. Errors: `storage` if the file or the database cannot be read, `invalid_input` on
    /// a handle retired by its own key rotation.
    pub fn info(&self) -> Result<StoreInfo> {
        self.store.info(&self.keys, self.now())
    }

    /// Copies the live store into a new file at `dest` with SQLite's online backup API, from
    /// one consistent snapshot, while readers and writers keep working. The copy is owner-only
    /// (0600), opens with the same key, and its audit trail verifies with the returned head.
    /// It is built beside `dest` and linked into place when complete. Errors: `invalid_input`
    /// (a bad path, an in-memory store), `conflict` (`dest` exists: it is never replaced),
    /// `storage`.
    pub fn backup(&self, dest: impl AsRef<Path>) -> Result<Checkpoint> {
        let dest = dest.as_ref();
        if dest.as_os_str().is_empty() {
            return Err(invalid("backup path is empty"));
        }
        if dest.to_str().is_some_and(|p| p.contains('\0')) {
            return Err(invalid("backup path contains a NUL byte"));
        }
        self.store.backup(dest)
    }

    /// Moves the store to the 32-byte master key `new_key` in one write transaction
    /// (docs/key-rotation.md): every TOTP secret (confirmed and pending) sealed again, every
    /// user and org row MAC'd under the new key, the key check replaced, and a `key.rotate`
    /// event appended as the last event under the old audit key; later events chain under the
    /// new one, and the old chain key is kept sealed under the new master key so that
    /// [`Core::verify_audit`] checks the whole trail (and earlier checkpoints) with the new key
    /// alone. Recovery codes are invalidated (the event counts them and the users who lost
    /// theirs; they get new ones from `regenerate_recovery_codes`). A crash leaves the store
    /// under the old key or the new, never neither.
    ///
    /// Returns the new audit head. This handle is then retired: every later call on it is
    /// refused with `invalid_input`; open the store again with the new key. Other handles
    /// still open on the old key are refused likewise on their next write, and opening with
    /// the old key is `invalid_input` ("key does not match").
    ///
    /// Errors: `invalid_input` (not 32 bytes, the current key, a retired handle), `storage`
    /// (a row or sealed secret that does not check under the current key: nothing changes).
    pub fn rotate_key(&self, new_key: &[u8]) -> Result<Checkpoint> {
        let new = Keys::derive(validate::key(new_key)?);
        if self.keys.matches_check_value(&new.check_value()) {
            return Err(invalid("the new key is the store's current key"));
        }
        let now = self.now();
        self.store.write(|tx| {
            let retired = audit::retired_keys(tx, &self.keys)?;
            let counts = tx.rekey_rows(&self.keys, &new)?;
            let detail = serde_json::json!({
                "epoch": retired.len() + 1,
                "secrets_resealed": counts.secrets_resealed,
                "recovery_codes_invalidated": counts.recovery_codes_invalidated,
                "users_losing_recovery_codes": counts.users_losing_recovery_codes,
            });
            let seq = self.append(tx, now, &Ctx::new("key.rotate"), Outcome::Success, None, detail)?;
            tx.finish_rotation(&new.check_value(), &self.keys.seal_retired(&retired, seq, &new)?)?;
            let head = audit::checkpoint(tx)?;
            // Last, once nothing in the rotation can fail any more (but before its commit):
            // from here no call of this handle writes under the old key.
            self.store.retire_keys();
            Ok(head)
        })
    }

    /// One org. Errors: `invalid_input`, `not_found`.
    pub fn get_org(&self, org: &str) -> Result<Org> {
        let id = validate::id("org", org)?;
        self.store.read(|tx| self.org_of(tx, &id))
    }

    /// Every org, by id.
    pub fn list_orgs(&self) -> Result<Vec<Org>> {
        self.store.read(|tx| tx.list_orgs()?.iter().map(|id| self.org_of(tx, id)).collect())
    }

    /// One user. Errors: `invalid_input`, `not_found`.
    pub fn get_user(&self, user: &str) -> Result<User> {
        let id = validate::id("user", user)?;
        self.store.read(|tx| Ok(self.user_row(tx, &id)?.user))
    }

    /// Finds a user by email (case-insensitive) in an org. Errors: `invalid_input`, `not_found`.
    pub fn find_user_by_email(&self, org: &str, email: &str) -> Result<User> {
        let org = validate::id("org", org)?;
        let email = validate::email(email)?;
        self.store.read(|tx| {
            tx.user_by_email(&org, &validate::email_key(&email))?
                .map(|row| row.user)
                .ok_or_else(|| Error::NotFound(format!("no user {email} in org {org}")))
        })
    }

    /// The users of an org, by email. Errors: `invalid_input`, `not_found` (no such org).
    pub fn list_users(&self, org: &str) -> Result<Vec<User>> {
        let id = validate::id("org", org)?;
        self.store.read(|tx| {
            self.org_of(tx, &id)?;
            Ok(tx.users_of_org(&id)?.into_iter().map(|r| r.user).collect())
        })
    }

    /// A user's MFA state (docs/concepts.md), derived from the clock. Errors: `invalid_input`,
    /// `not_found`.
    pub fn mfa_status(&self, user: &str) -> Result<MfaStatus> {
        let id = validate::id("user", user)?;
        let now = self.now();
        self.store.read(|tx| {
            let row = self.user_row(tx, &id)?;
            let state = state_of(&row, now);
            let recovery_codes_remaining = if row.confirmed { tx.recovery_codes_left(&id)? } else { 0 };
            Ok(MfaStatus {
                user: id.clone(),
                state,
                deadline: if row.confirmed { None } else { row.deadline },
                credential_epoch: row.user.credential_epoch,
                recovery_codes_remaining,
            })
        })
    }

    /// A page of the audit trail in seq order (docs/audit.md). Errors: `invalid_input` for a bad
    /// id, an unknown action, a limit outside 1 to 10,000 or an `after_seq` above
    /// [`crate::MAX_AUDIT_SEQ`] (2^63 - 1: no event can follow it).
    pub fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>> {
        validate::after_seq(query.after_seq)?;
        let limit = query.limit.unwrap_or(100);
        if !(1..=validate::MAX_AUDIT_PAGE).contains(&limit) {
            return Err(invalid(format!("limit must be 1 to {}, got {limit}", validate::MAX_AUDIT_PAGE)));
        }
        if let Some(action) = &query.action
            && !audit::ACTIONS.contains(&action.as_str())
        {
            return Err(invalid(format!("unknown audit action {:?}", validate::excerpt(action))));
        }
        let query = AuditQuery {
            actor: query.actor.as_deref().map(|a| validate::id("actor", a)).transpose()?,
            target: query.target.as_deref().map(|t| validate::id("target", t)).transpose()?,
            ..query.clone()
        };
        self.store.read(|tx| tx.audit_page(&query, limit))
    }

    /// The head of the audit chain, to store somewhere the database cannot rewrite.
    pub fn audit_checkpoint(&self) -> Result<Checkpoint> {
        self.store.read(audit::checkpoint)
    }

    /// Walks the whole chain; with a checkpoint, also detects a cut tail or an older copy.
    /// Errors: `invalid_input` for a checkpoint whose MAC is not 64 hex digits.
    pub fn verify_audit(&self, checkpoint: Option<&Checkpoint>) -> Result<AuditReport> {
        if let Some(cp) = checkpoint
            && (cp.mac.len() != 64 || !cp.mac.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(invalid("checkpoint mac must be 64 hex digits"));
        }
        self.store.read(|tx| audit::verify(tx, &self.keys, checkpoint))
    }
}
