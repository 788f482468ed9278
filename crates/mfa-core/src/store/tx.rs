//! The typed queries the core runs inside a transaction, the same on both engines.
//!
//! Every user, org and recovery-code row read here is checked against its MAC before it is
//! returned, and every row written here is sealed with a new one (see `integrity.rs`), so the
//! layers above never see a row changed without the key.

use std::cell::{Cell, RefCell};

use super::integrity;
use super::rows::{RawUser, Rows, UserRow};
use crate::crypto::{Keys, RowKey};
use crate::error::{Error, Result};
use crate::model::{AuditEvent, AuditQuery, Org, Policy, Role, UnixTime, User, UserCounts, UserStatus};

/// What a key rotation changed, for its audit event.
#[derive(Debug, Default)]
pub(crate) struct RekeyCounts {
    pub secrets_resealed: u64,
    pub recovery_codes_invalidated: u64,
    pub users_losing_recovery_codes: u64,
}

/// An open transaction of either engine, with the row key that checks and seals its rows.
pub(crate) struct Tx<'c> {
    pub(super) rows: &'c dyn Rows,
    pub(super) key: &'c RowKey,
    depth: Cell<u32>,
    /// The user rows this call read (MAC checked) or wrote, exactly as they are now stored; see
    /// [`Tx::update_user`]. Emptied by every write to `users` that does not go through it and
    /// by every rollback to a savepoint, so an entry never outlives the stored row it copies.
    users: RefCell<Vec<UserRow>>,
}

/// User rows a call keeps (an actor and a target, and room to spare); older ones are dropped.
const KEPT_USERS: usize = 4;

/// Errors that undo the call's writes; every other error is a refusal whose writes (a denied
/// audit event, a failure counter) must be kept.
pub(crate) fn undoes_writes(err: &Error) -> bool {
    matches!(err, Error::Storage(_) | Error::Internal(_))
}

impl<'c> Tx<'c> {
    pub(super) fn new(rows: &'c dyn Rows, key: &'c RowKey) -> Self {
        Tx { rows, key, depth: Cell::new(0), users: RefCell::new(Vec::new()) }
    }

    /// Keeps a copy of a user row as stored now, in place of any older copy of it.
    fn keep_user(&self, row: &UserRow) {
        let mut users = self.users.borrow_mut();
        users.retain(|kept| kept.user.id != row.user.id);
        if users.len() == KEPT_USERS {
            users.remove(0);
        }
        users.push(row.clone());
    }

    /// The kept copy of user `id`, if this call read or wrote that row.
    fn kept_user(&self, id: &str) -> Option<UserRow> {
        self.users.borrow().iter().find(|kept| kept.user.id == id).cloned()
    }

    /// Drops every kept row: after a write to `users` other than [`Tx::update_user`], or a
    /// rollback, a copy may no longer be what is stored.
    pub(super) fn forget_users(&self) {
        self.users.borrow_mut().clear();
    }

    /// Runs `f` in a savepoint: kept on success and on refusals, undone on `storage` and
    /// `internal` errors (see `Store::write`).
    pub(crate) fn savepoint<T>(&self, f: impl FnOnce(&Tx) -> Result<T>) -> Result<T> {
        let depth = self.depth.get() + 1;
        let name = format!("call{depth}");
        self.rows.savepoint_statement(&format!("SAVEPOINT {name}"))?;
        self.depth.set(depth);
        let result = f(self);
        self.depth.set(depth - 1);
        if !self.rows.in_transaction() {
            // The engine already rolled the transaction back (see `Store::write`).
            self.forget_users();
            return result;
        }
        if let Err(e) = &result
            && undoes_writes(e)
        {
            self.forget_users();
            self.rows.savepoint_statement(&format!("ROLLBACK TO {name}"))?;
        }
        self.rows.savepoint_statement(&format!("RELEASE {name}"))?;
        result
    }

    // ---- orgs ----

    pub(crate) fn insert_org(&self, org: &Org) -> Result<()> {
        self.rows.insert_org(org, &self.key.mac(&integrity::org(org)))
    }

    /// One org, its MAC checked: a tampered policy is `storage`, never applied.
    pub(crate) fn org(&self, id: &str) -> Result<Option<Org>> {
        let Some((org, mac)) = self.rows.org(id)? else { return Ok(None) };
        integrity::check_org(self.key, &org, &mac)?;
        Ok(Some(org))
    }

    /// Replaces an org's policy (the deadlines already set on its users stay).
    pub(crate) fn set_policy(&self, id: &str, p: &Policy) -> Result<()> {
        // Read (and checked) again, so that the new MAC covers exactly the stored row.
        let mut org = self.org(id)?.ok_or_else(|| Error::NotFound(format!("no org {id}")))?;
        org.policy = *p;
        self.rows.set_policy(id, p, &self.key.mac(&integrity::org(&org)))
    }

    pub(crate) fn list_orgs(&self) -> Result<Vec<String>> {
        self.rows.org_ids()
    }

    // ---- users ----

    /// Inserts a new user (no MFA yet), sealed with its MAC.
    pub(crate) fn insert_user(&self, user: &User, email_key: &str, deadline: Option<UnixTime>) -> Result<()> {
        let row = UserRow {
            user: user.clone(),
            email_key: email_key.to_string(),
            deadline,
            secret: None,
            confirmed: false,
            last_step: None,
            failed_count: 0,
            locked_until: None,
        };
        self.forget_users();
        self.rows.insert_user(&row, &self.key.mac(&integrity::user(&row)))
    }

    /// Parses a user row and checks its MAC: a row changed without the key is `storage`.
    fn checked_user(&self, raw: RawUser) -> Result<UserRow> {
        let (row, mac) = raw.parse()?;
        integrity::check_user(self.key, &row, &mac)?;
        Ok(row)
    }

    /// Read-modify-write of one user row: the current row, `change` edits it, and every mutable
    /// column is written back with a new MAC. Returns the row as written.
    ///
    /// The current row is never one the caller holds (it may be stale: the caller may have
    /// changed the row since it read it). It is this transaction's own copy of the stored row,
    /// kept when [`Tx::user`] read it (MAC checked) or when this method last wrote it: the
    /// transaction holds the write lock, so no other writer changes the row meanwhile, and every
    /// write of this call to `users` updates or drops the copy. So the MAC always covers exactly
    /// what is stored, without reading the row again. Without a copy, the row is read (and
    /// checked) here.
    fn update_user(&self, id: &str, change: impl FnOnce(&mut UserRow)) -> Result<UserRow> {
        let mut row = match self.kept_user(id) {
            Some(row) => row,
            None => self.user(id)?.ok_or_else(|| Error::NotFound(format!("no user {id}")))?,
        };
        let before = (row.user.role, row.user.status);
        change(&mut row);
        let mac = self.key.mac(&integrity::user(&row));
        if let Err(e) = self.rows.update_user(&row, &mac, before != (row.user.role, row.user.status)) {
            self.forget_users();
            return Err(e);
        }
        self.keep_user(&row);
        Ok(row)
    }

    pub(crate) fn email_taken(&self, org: &str, email_key: &str) -> Result<bool> {
        self.rows.email_taken(org, email_key)
    }

    /// Reads these users ahead in one round trip where the engine has round trips (each is
    /// still checked when [`Tx::user`] returns it).
    pub(crate) fn prefetch_users(&self, ids: &[&str]) -> Result<()> {
        self.rows.prefetch_users(ids)
    }

    /// One user, read from the store and its MAC checked (a copy is kept for
    /// [`Tx::update_user`]).
    pub(crate) fn user(&self, id: &str) -> Result<Option<UserRow>> {
        let row = self.rows.user(id)?.map(|raw| self.checked_user(raw)).transpose()?;
        if let Some(row) = &row {
            self.keep_user(row);
        }
        Ok(row)
    }

    /// The user with this email key in the org, its MAC checked (the MAC covers the email key,
    /// so a row moved under another email does not pass).
    pub(crate) fn user_by_email(&self, org: &str, email_key: &str) -> Result<Option<UserRow>> {
        self.rows.user_by_email(org, email_key)?.map(|raw| self.checked_user(raw)).transpose()
    }

    /// Every user of the org, each MAC checked.
    pub(crate) fn users_of_org(&self, org: &str) -> Result<Vec<UserRow>> {
        self.rows.users_of_org(org)?.into_iter().map(|raw| self.checked_user(raw)).collect()
    }

    /// Active owners of the org. Each owner row is read and checked rather than counted in SQL,
    /// so that a row turned into an owner without the key cannot let the real last owner be
    /// demoted or disabled.
    pub(crate) fn active_owners(&self, org: &str) -> Result<u64> {
        let rows = self.rows.active_owner_rows(org)?;
        let n = rows.len() as u64;
        for raw in rows {
            self.checked_user(raw)?;
        }
        Ok(n)
    }

    pub(crate) fn set_role(&self, id: &str, role: Role) -> Result<()> {
        self.update_user(id, |row| row.user.role = role).map(drop)
    }

    pub(crate) fn set_status(&self, id: &str, status: UserStatus) -> Result<()> {
        self.update_user(id, |row| row.user.status = status).map(drop)
    }

    /// A new email and lookup key, under a new MAC (the email is covered: two rows cannot trade
    /// emails behind the core's back).
    pub(crate) fn set_email(&self, id: &str, email: &str, email_key: &str) -> Result<()> {
        let mut row = self.user(id)?.ok_or_else(|| Error::NotFound(format!("no user {id}")))?;
        row.user.email = email.to_string();
        row.email_key = email_key.to_string();
        self.forget_users();
        self.rows.set_email(id, email, email_key, &self.key.mac(&integrity::user(&row)))
    }

    /// Removes a user with everything that belongs to them: the row (and so its sealed
    /// secret, pending or confirmed), its recovery codes and its rate-limit log. The audit
    /// trail keeps the id.
    pub(crate) fn delete_user(&self, id: &str) -> Result<()> {
        self.forget_users();
        if self.rows.delete_user(id)? != 1 {
            return Err(Error::Internal(format!("user {id} vanished during its deletion")));
        }
        Ok(())
    }

    // ---- MFA state ----

    /// Stores a new pending secret, replacing any earlier pending one.
    pub(crate) fn set_pending_secret(&self, id: &str, sealed: &[u8]) -> Result<()> {
        self.update_user(id, |row| {
            row.secret = Some(sealed.to_vec());
            row.confirmed = false;
            row.last_step = None;
        })
        .map(drop)
    }

    /// Confirms the pending secret: enrolled, deadline gone, the confirming step used.
    pub(crate) fn confirm_secret(&self, id: &str, step: i64) -> Result<()> {
        self.update_user(id, |row| {
            row.confirmed = true;
            row.deadline = None;
            row.last_step = Some(step);
            row.failed_count = 0;
            row.locked_until = None;
        })
        .map(drop)
    }

    /// The reset's effects on the user row: secret destroyed, replay and failure state cleared,
    /// a new deadline, the epoch incremented. Returns the new epoch.
    pub(crate) fn clear_mfa(&self, id: &str, deadline: UnixTime) -> Result<u64> {
        let row = self.update_user(id, |row| {
            row.secret = None;
            row.confirmed = false;
            row.last_step = None;
            row.failed_count = 0;
            row.locked_until = None;
            row.deadline = Some(deadline);
            row.user.credential_epoch += 1;
        })?;
        self.rows.delete_recovery_codes(id)?;
        Ok(row.user.credential_epoch)
    }

    /// Records the verification counters after an attempt.
    pub(crate) fn set_verify_state(
        &self,
        id: &str,
        last_step: Option<i64>,
        failed_count: u32,
        locked_until: Option<UnixTime>,
    ) -> Result<()> {
        self.update_user(id, |row| {
            row.last_step = last_step;
            row.failed_count = failed_count;
            row.locked_until = locked_until;
        })
        .map(drop)
    }

    // ---- recovery codes ----

    pub(crate) fn replace_recovery_codes(&self, id: &str, hashes: &[[u8; 32]]) -> Result<()> {
        self.rows.delete_recovery_codes(id)?;
        for hash in hashes {
            let mac = self.key.mac(&integrity::recovery_code(id, hash, None));
            self.rows.insert_recovery_code(id, hash, &mac)?;
        }
        Ok(())
    }

    /// The code with this keyed hash, checked: `None` when there is none, else whether it is
    /// unused. The lookup is by keyed hash, so the comparison never touches a code.
    fn recovery_code(&self, id: &str, hash: &[u8; 32]) -> Result<Option<bool>> {
        let Some((used_at, mac)) = self.rows.recovery_code(id, hash)? else { return Ok(None) };
        integrity::check_recovery_code(self.key, id, hash, used_at, &mac)?;
        Ok(Some(used_at.is_none()))
    }

    /// Marks an unused code as used; false when there is no such unused code.
    pub(crate) fn use_recovery_code(&self, id: &str, hash: &[u8; 32], now: UnixTime) -> Result<bool> {
        if self.recovery_code(id, hash)? != Some(true) {
            return Ok(false);
        }
        let mac = self.key.mac(&integrity::recovery_code(id, hash, Some(now)));
        self.rows.set_recovery_code_used(id, hash, now, &mac)?;
        Ok(true)
    }

    /// Whether an unused code with this hash exists (a check that spends nothing).
    pub(crate) fn recovery_code_unused(&self, id: &str, hash: &[u8; 32]) -> Result<bool> {
        Ok(self.recovery_code(id, hash)? == Some(true))
    }

    /// Unused codes left; every code row of the user is checked, so a cleared `used_at` is
    /// reported rather than counted.
    pub(crate) fn recovery_codes_left(&self, id: &str) -> Result<u32> {
        let mut checker = integrity::CodeChecker::new(self.key, id);
        let mut left = 0;
        for (hash, used_at, mac) in self.rows.recovery_codes_of(id)? {
            checker.check(&hash, used_at, &mac)?;
            left += u32::from(used_at.is_none());
        }
        Ok(left)
    }

    // ---- key rotation ----

    /// Moves every row to the key set `new`, inside the rotation's transaction
    /// (docs/key-rotation.md): each user row is checked under the current key, its sealed TOTP
    /// secret (pending or confirmed) opened with `old` and sealed again with `new`, and the row
    /// sealed under the new row key; each org row is checked and sealed again. Recovery codes are
    /// deleted: they are stored only as keyed hashes, which cannot be computed again without
    /// the codes.
    pub(crate) fn rekey_rows(&self, old: &Keys, new: &Keys) -> Result<RekeyCounts> {
        let new_key = new.row_key();
        let mut counts = RekeyCounts::default();
        self.forget_users();
        for raw in self.rows.every_user()? {
            let mut row = self.checked_user(raw)?;
            if let Some(sealed) = &row.secret {
                let secret = old.open_secret(&row.user.id, sealed)?;
                row.secret = Some(new.seal_secret(&row.user.id, &secret)?);
                counts.secrets_resealed += 1;
            }
            self.rows.update_user(&row, &new_key.mac(&integrity::user(&row)), false)?;
        }
        for (org, mac) in self.rows.every_org()? {
            integrity::check_org(self.key, &org, &mac)?;
            self.rows.set_org_mac(&org.id, &new_key.mac(&integrity::org(&org)))?;
        }
        (counts.recovery_codes_invalidated, counts.users_losing_recovery_codes) =
            self.rows.unused_recovery_codes()?;
        self.rows.delete_every_recovery_code()?;
        Ok(counts)
    }

    /// The schema version the store records.
    pub(crate) fn schema_version(&self) -> Result<i64> {
        self.rows.schema_version()
    }

    /// The key check stored when the store was created (or its key last rotated).
    pub(crate) fn key_check(&self) -> Result<Vec<u8>> {
        self.rows
            .meta("key_check")?
            .ok_or_else(|| Error::Storage("the store has no key check: it is damaged".into()))
    }

    /// The sealed chain keys of earlier master keys, if the key was ever rotated.
    pub(crate) fn retired_chain_keys(&self) -> Result<Option<Vec<u8>>> {
        self.rows.meta("retired_audit_keys")
    }

    /// Ends a rotation: the new key check and the sealed list of retired chain keys.
    pub(crate) fn finish_rotation(&self, key_check: &[u8], retired: &[u8]) -> Result<()> {
        self.rows.put_meta("key_check", key_check)?;
        self.rows.put_meta("retired_audit_keys", retired)
    }

    // ---- rate limit ----

    /// Numbers a successful reset in the actor's log.
    pub(crate) fn record_reset(&self, actor: &str, at: UnixTime) -> Result<()> {
        self.rows.record_reset(actor, at)
    }

    /// The time of the actor's `nth` most recent successful reset, if it made that many.
    pub(crate) fn nth_recent_reset(&self, actor: &str, nth: u32) -> Result<Option<UnixTime>> {
        self.rows.nth_recent_reset(actor, nth)
    }

    // ---- counts ----

    /// Orgs, and users by MFA state at `now` (as `policy::state_of` derives it).
    pub(crate) fn counts(&self, now: UnixTime) -> Result<(u64, UserCounts)> {
        self.rows.counts(now)
    }

    // ---- audit ----

    pub(crate) fn audit_head(&self) -> Result<Option<(u64, Vec<u8>)>> {
        self.rows.audit_head()
    }

    /// Appends an event; `detail` is the exact text its MAC covers.
    pub(crate) fn insert_audit(&self, e: &AuditEvent, detail: &str, mac: &[u8]) -> Result<()> {
        self.rows.insert_audit(e, detail, mac)
    }

    pub(crate) fn audit_page(&self, q: &AuditQuery, limit: u32) -> Result<Vec<AuditEvent>> {
        self.rows.audit_page(q, limit)
    }

    /// Walks every event in seq order; `visit` returns false to stop. A row that the engine
    /// cannot read as this library writes it is visited as `None`, for the caller to report as
    /// a bad event rather than fail the whole walk.
    pub(crate) fn audit_walk(&self, mut visit: impl FnMut(Option<super::AuditRow>) -> bool) -> Result<()> {
        self.rows.audit_walk(&mut visit)
    }

    pub(crate) fn audit_mac_at(&self, seq: u64) -> Result<Option<Vec<u8>>> {
        self.rows.audit_mac_at(seq)
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::model::{OpenOptions, Policy, Role};
    use crate::{Core, Result};

    /// A store with one member, and the member's id.
    fn with_member() -> (Core, String) {
        let core = Core::open_in_memory(&[2; 32], OpenOptions::default()).unwrap();
        let org = core.create_org("Acme", Policy::default()).unwrap().id;
        let id = core.create_user(&org, "m@acme.test", Role::Member).unwrap().id;
        (core, id)
    }

    /// Updates of one row in one transaction build on each other, and each leaves a row whose
    /// MAC matches what is stored, though the row is read only once.
    #[test]
    fn successive_updates_of_a_row_keep_every_change_and_a_valid_mac() {
        let (core, id) = with_member();
        let row = core
            .store
            .write(|tx| {
                tx.user(&id)?;
                tx.set_verify_state(&id, Some(7), 2, Some(100))?;
                tx.set_role(&id, Role::Admin)?;
                tx.set_verify_state(&id, Some(8), 3, Some(200))?;
                tx.user(&id)
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.user.role, row.last_step, row.failed_count, row.locked_until),
            (Role::Admin, Some(8), 3, Some(200))
        );
        // Read again in a later transaction, through its MAC check.
        let again = core.store.read(|tx| tx.user(&id)).unwrap().unwrap();
        assert_eq!((again.user.role, again.failed_count), (Role::Admin, 3));
    }

    /// A change undone by a savepoint's rollback is not written back by a later update of the
    /// same row: the transaction's copy of the row is dropped with the rollback.
    #[test]
    fn a_rolled_back_change_does_not_come_back_with_the_next_update() {
        let (core, id) = with_member();
        let row = core
            .store
            .write(|tx| {
                tx.user(&id)?;
                let undone: Result<()> = tx.savepoint(|tx| {
                    tx.set_verify_state(&id, Some(9), 4, Some(300))?;
                    Err(Error::Storage("undo this call".into()))
                });
                assert_eq!(undone.unwrap_err().code(), "storage");
                tx.set_role(&id, Role::Admin)?;
                tx.user(&id)
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.user.role, row.last_step, row.failed_count, row.locked_until),
            (Role::Admin, None, 0, None)
        );
    }
}
