//! `Core`: the handle, one method per operation. Each method converts its arguments, runs the
//! core with the GIL released (storage work waits on fsync and on other writers; other Python
//! threads run meanwhile), then converts the result or the error.

use std::sync::{Arc, Mutex, PoisonError};

use mfa_core::{AuditQuery, OpenOptions, ResetOptions};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyList, PyType};

use crate::errors::{invalid, raise};
use crate::fork;
use crate::inputs::{self, DryRun};
use crate::values;

/// An open mfa-core store. Share one handle between threads; close it (or use `with`) to
/// release the file.
#[pyclass(frozen, module = "mfa_core")]
pub(crate) struct Core {
    /// `None` once closed. The lock is held only to clone the `Arc`, never during storage work,
    /// so calls from many threads run together; `close` lets running calls finish.
    inner: Mutex<Option<Arc<mfa_core::Core>>>,
    /// The process that opened the handle, as its [`fork::generation`]. SQLite connections
    /// must not be used across `fork()` (a `multiprocessing` worker inherits the parent's
    /// handle): a child gets `InvalidInput` and opens its own.
    opened_in: u64,
}

impl Core {
    /// Whether this process is a fork of the one that opened the handle.
    fn inherited(&self) -> bool {
        fork::generation() != self.opened_in
    }

    fn core(&self) -> PyResult<Arc<mfa_core::Core>> {
        if self.inherited() {
            return Err(invalid("the handle was opened in another process (before a fork): open a new one"));
        }
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.clone().ok_or_else(|| invalid("the handle is closed"))
    }
}

impl Drop for Core {
    /// In a forked child the inherited connections are the parent's: leak them rather than
    /// let SQLite close (and possibly checkpoint) a database the parent is using.
    fn drop(&mut self) {
        if self.inherited() {
            let inherited = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner).take();
            std::mem::forget(inherited);
        }
    }
}

/// Runs `op` on the core with the GIL released and converts its error.
fn detached<T: Send>(
    py: Python<'_>,
    core: Arc<mfa_core::Core>,
    op: impl FnOnce(&mfa_core::Core) -> mfa_core::Result<T> + Send,
) -> PyResult<T> {
    py.detach(move || op(&core)).map_err(raise)
}

#[pymethods]
impl Core {
    /// Opens the store at `path` (or in the PostgreSQL database a `postgresql://` URL names)
    /// with the host's 32-byte `key`, creating it when nothing exists there and
    /// `create_if_missing` is true.
    #[classmethod]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments, one per option
    #[pyo3(signature = (path, key, *, manual_clock = None, issuer = None, create_if_missing = None, durability = None))]
    fn open(
        _class: &Bound<'_, PyType>,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        manual_clock: Option<&Bound<'_, PyAny>>,
        issuer: Option<&Bound<'_, PyAny>>,
        create_if_missing: Option<&Bound<'_, PyAny>>,
        durability: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Core> {
        let path = inputs::path(path)?;
        let key = inputs::key("key", key)?;
        let manual_clock =
            inputs::given(manual_clock).map(|c| inputs::time("manual_clock", c)).transpose()?;
        let mut options = OpenOptions {
            manual_clock,
            issuer: inputs::opt_text("issuer", issuer)?,
            ..OpenOptions::default()
        };
        if let Some(create) = inputs::given(create_if_missing) {
            options.create_if_missing = inputs::flag("create_if_missing", create)?;
        }
        if let Some(durability) = inputs::opt_text("durability", durability)? {
            options.durability = durability.parse().map_err(raise)?;
        }
        let core = py.detach(|| mfa_core::Core::open(&path, &key, options)).map_err(raise)?;
        Ok(Core { inner: Mutex::new(Some(Arc::new(core))), opened_in: fork::generation() })
    }

    /// Closes the handle; later calls raise `InvalidInput`. Closing twice does nothing.
    fn close(&self, py: Python<'_>) {
        if self.inherited() {
            return; // a forked child's copy: the parent's connections are not ours to close
        }
        let taken = self.inner.lock().unwrap_or_else(PoisonError::into_inner).take();
        // Dropping the last reference closes SQLite, which may checkpoint the WAL: no GIL.
        py.detach(move || drop(taken));
    }

    /// Whether `close` has been called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Closes the handle; an exception raised in the `with` block goes on (returns `None`).
    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> &'static str {
        match self.closed() {
            true => "<mfa_core.Core closed>",
            false => "<mfa_core.Core open>",
        }
    }

    /// Facts about the open store: schema version, path, permissions, and whether other users
    /// can read it. Raises `Storage` if the file cannot be examined.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let info = detached(py, self.core()?, |c| c.info())?;
        values::store_info(py, &info)
    }

    /// The handle's current time.
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        values::datetime(py, self.core()?.now())
    }

    /// Moves a manual clock (an aware `datetime` or Unix seconds).
    fn set_time(&self, py: Python<'_>, time: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = inputs::time("time", time)?;
        detached(py, self.core()?, |c| c.set_time(t))
    }

    // ---- directory ----

    /// Creates an org (a bootstrap call: no actor); `policy` defaults to the documented one.
    /// Raises `InvalidInput` (name, policy).
    #[pyo3(signature = (name, policy = None))]
    fn create_org<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        policy: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (name, policy) = (inputs::text("name", name)?, inputs::policy(policy)?);
        let org = detached(py, self.core()?, |c| c.create_org(&name, policy))?;
        values::org(py, &org)
    }

    /// One org. Raises `InvalidInput`, `NotFound`.
    fn get_org<'py>(&self, py: Python<'py>, org: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let org = inputs::id("org", org)?;
        let org = detached(py, self.core()?, |c| c.get_org(&org))?;
        values::org(py, &org)
    }

    /// Every org, by id.
    fn list_orgs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let orgs = detached(py, self.core()?, |c| c.list_orgs())?;
        values::list(py, &orgs, values::org)
    }

    /// Creates a user (a bootstrap call: no actor); in an `mfa_required` org the user must
    /// enroll within the org's window. Raises `InvalidInput`, `NotFound` (org), `Conflict` (email
    /// taken in the org, in any case).
    fn create_user<'py>(
        &self,
        py: Python<'py>,
        org: &Bound<'py, PyAny>,
        email: &Bound<'py, PyAny>,
        role: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (org, email) = (inputs::id("org", org)?, inputs::text("email", email)?);
        let role = inputs::role(role)?;
        let user = detached(py, self.core()?, |c| c.create_user(&org, &email, role))?;
        values::user(py, &user)
    }

    /// One user. Raises `InvalidInput`, `NotFound`.
    fn get_user<'py>(&self, py: Python<'py>, user: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let user = inputs::id("user", user)?;
        let user = detached(py, self.core()?, |c| c.get_user(&user))?;
        values::user(py, &user)
    }

    /// A user of `org` by email (any case). Raises `InvalidInput`, `NotFound`.
    fn find_user_by_email<'py>(
        &self,
        py: Python<'py>,
        org: &Bound<'py, PyAny>,
        email: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (org, email) = (inputs::id("org", org)?, inputs::text("email", email)?);
        let user = detached(py, self.core()?, |c| c.find_user_by_email(&org, &email))?;
        values::user(py, &user)
    }

    /// The users of an org, by email. Raises `InvalidInput`, `NotFound` (org).
    fn list_users<'py>(&self, py: Python<'py>, org: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let org = inputs::id("org", org)?;
        let users = detached(py, self.core()?, |c| c.list_users(&org))?;
        values::list(py, &users, values::user)
    }

    /// Changes `target`'s role, by the same actor rules as a reset; only an owner grants
    /// `owner`. Raises `InvalidInput`, `Unauthenticated`, `NotFound`, `Forbidden` (including a
    /// missing or wrong `actor_proof` under step-up), `Conflict` (the last active owner).
    #[pyo3(signature = (actor, target, role, *, actor_proof = None))]
    fn set_role<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        role: &Bound<'py, PyAny>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let (role, proof) = (inputs::role(role)?, inputs::opt_text("actor_proof", actor_proof)?);
        let user = detached(py, self.core()?, |c| c.set_role(&actor, &target, role, proof.as_deref()))?;
        values::user(py, &user)
    }

    /// Disables `target`: they can no longer act or verify. Raises as `set_role`.
    #[pyo3(signature = (actor, target, *, actor_proof = None))]
    fn disable_user<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let proof = inputs::opt_text("actor_proof", actor_proof)?;
        let user = detached(py, self.core()?, |c| c.disable_user(&actor, &target, proof.as_deref()))?;
        values::user(py, &user)
    }

    /// Enables a disabled user. Raises `InvalidInput`, `Unauthenticated`, `NotFound`,
    /// `Forbidden`.
    fn enable_user<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let user = detached(py, self.core()?, |c| c.enable_user(&actor, &target))?;
        values::user(py, &user)
    }

    /// Changes the given fields of `org`'s policy (each checked as at creation); only an
    /// owner of the org may, with `actor_proof` under `require_step_up`. A shorter
    /// `enrollment_window` applies to users created or reset afterwards. Returns the org with
    /// its new policy. Raises `InvalidInput` (no field given, a bad value), `Unauthenticated`,
    /// `NotFound` (the org, or another org than the actor's), `Forbidden`.
    #[pyo3(signature = (
        actor, org, *, mfa_required = None, enrollment_window = None, reset_limit_per_hour = None,
        max_failed_verifications = None, require_step_up = None, actor_proof = None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per policy field
    fn update_policy<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        org: &Bound<'py, PyAny>,
        mfa_required: Option<&Bound<'py, PyAny>>,
        enrollment_window: Option<&Bound<'py, PyAny>>,
        reset_limit_per_hour: Option<&Bound<'py, PyAny>>,
        max_failed_verifications: Option<&Bound<'py, PyAny>>,
        require_step_up: Option<&Bound<'py, PyAny>>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, org) = (inputs::id("actor", actor)?, inputs::id("org", org)?);
        let changes = inputs::policy_changes(
            mfa_required,
            enrollment_window,
            reset_limit_per_hour,
            max_failed_verifications,
            require_step_up,
        )?;
        let proof = inputs::opt_text("actor_proof", actor_proof)?;
        let org = detached(py, self.core()?, |c| c.update_policy(&actor, &org, &changes, proof.as_deref()))?;
        values::org(py, &org)
    }

    /// Deletes `target` (a user who left) under the rules of `disable_user`: their secret and
    /// recovery codes are destroyed; the audit trail keeps the id; the email is free again.
    /// Raises as `set_role`.
    #[pyo3(signature = (actor, target, *, actor_proof = None))]
    fn delete_user<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let proof = inputs::opt_text("actor_proof", actor_proof)?;
        detached(py, self.core()?, |c| c.delete_user(&actor, &target, proof.as_deref()))
    }

    /// Changes `target`'s email under the rules of `disable_user`; audited with the old and
    /// new email. Raises as `set_role`, and `Conflict` when the org has that email already.
    #[pyo3(signature = (actor, target, new_email, *, actor_proof = None))]
    fn rename_user<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        new_email: &Bound<'py, PyAny>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let email = inputs::text("new_email", new_email)?;
        let proof = inputs::opt_text("actor_proof", actor_proof)?;
        let user = detached(py, self.core()?, |c| c.rename_user(&actor, &target, &email, proof.as_deref()))?;
        values::user(py, &user)
    }

    // ---- enrollment and verification ----

    /// Starts (or restarts) enrollment: a new secret to show the user once, as `secret` or
    /// as the `uri` of a QR code. Raises `InvalidInput`, `NotFound`, `Unauthenticated` (disabled),
    /// `Conflict` (already enrolled), `Forbidden` (locked out).
    fn begin_enrollment<'py>(
        &self,
        py: Python<'py>,
        user: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let user = inputs::id("user", user)?;
        let enrollment = detached(py, self.core()?, |c| c.begin_enrollment(&user))?;
        values::enrollment(py, &enrollment)
    }

    /// Confirms the pending secret with a current code; returns the ten recovery codes, shown
    /// this once. Raises `InvalidInput`, `NotFound`, `Unauthenticated`, `Conflict`, `Forbidden`,
    /// `InvalidCode`.
    fn confirm_enrollment<'py>(
        &self,
        py: Python<'py>,
        user: &Bound<'py, PyAny>,
        code: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (user, code) = (inputs::id("user", user)?, inputs::text("code", code)?);
        let codes = detached(py, self.core()?, |c| c.confirm_enrollment(&user, &code))?;
        values::recovery_codes(py, &codes)
    }

    /// Ten new recovery codes for a current TOTP code; the old ones stop working. Raises
    /// as `verify`.
    fn regenerate_recovery_codes<'py>(
        &self,
        py: Python<'py>,
        user: &Bound<'py, PyAny>,
        proof: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (user, proof) = (inputs::id("user", user)?, inputs::text("proof", proof)?);
        let codes = detached(py, self.core()?, |c| c.regenerate_recovery_codes(&user, &proof))?;
        values::recovery_codes(py, &codes)
    }

    /// Checks a sign-in code: a TOTP code (steps t-1 to t+1, never a replay) or an unused
    /// recovery code. Raises `InvalidInput`, `NotFound`, `Unauthenticated`, `MfaNotEnabled`,
    /// `InvalidCode`, `RateLimited` (after too many failures; see `retry_after`).
    fn verify<'py>(
        &self,
        py: Python<'py>,
        user: &Bound<'py, PyAny>,
        code: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (user, code) = (inputs::id("user", user)?, inputs::text("code", code)?);
        let verification = detached(py, self.core()?, |c| c.verify(&user, &code))?;
        values::verification(py, &verification)
    }

    /// A user's MFA state, derived from the clock. Raises `InvalidInput`, `NotFound`.
    fn mfa_status<'py>(&self, py: Python<'py>, user: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let user = inputs::id("user", user)?;
        let status = detached(py, self.core()?, |c| c.mfa_status(&user))?;
        values::status(py, &status)
    }

    // ---- reset ----

    /// Resets `target`'s MFA on behalf of `actor` (docs/reset.md): the secret and recovery
    /// codes are destroyed, the user must enroll before `now + window`, `credential_epoch`
    /// increments, and one audit event is appended. Raises, in the documented order:
    /// `InvalidInput`, `Unauthenticated`, `NotFound`, `Forbidden`, `MfaNotEnabled`, `RateLimited`.
    #[pyo3(signature = (actor, target, *, window = None, reason = None, dry_run = DryRun(false), proof = None, actor_proof = None))]
    #[pyo3(
        text_signature = "($self, actor, target, *, window=None, reason=None, dry_run=False, proof=None, actor_proof=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn reset_mfa<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        target: &Bound<'py, PyAny>,
        window: Option<&Bound<'py, PyAny>>,
        reason: Option<&Bound<'py, PyAny>>,
        dry_run: DryRun,
        proof: Option<&Bound<'py, PyAny>>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (actor, target) = (inputs::id("actor", actor)?, inputs::id("target", target)?);
        let options = reset_options(window, reason, dry_run, proof, actor_proof)?;
        let receipt = detached(py, self.core()?, |c| c.reset_mfa(&actor, &target, &options))?;
        values::receipt(py, &receipt)
    }

    /// Resets each of `targets` (up to 10,000) for `actor`: one `ResetOutcome` per target, in
    /// order, each its own transaction. Raises only for the whole call: `InvalidInput` (options,
    /// too many targets) and, under step-up, what `reset_mfa` would.
    #[pyo3(signature = (actor, targets, *, window = None, reason = None, dry_run = DryRun(false), proof = None, actor_proof = None))]
    #[pyo3(
        text_signature = "($self, actor, targets, *, window=None, reason=None, dry_run=False, proof=None, actor_proof=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn reset_mfa_many<'py>(
        &self,
        py: Python<'py>,
        actor: &Bound<'py, PyAny>,
        targets: &Bound<'py, PyAny>,
        window: Option<&Bound<'py, PyAny>>,
        reason: Option<&Bound<'py, PyAny>>,
        dry_run: DryRun,
        proof: Option<&Bound<'py, PyAny>>,
        actor_proof: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (actor, targets) = (inputs::id("actor", actor)?, inputs::ids("targets", targets)?);
        let options = reset_options(window, reason, dry_run, proof, actor_proof)?;
        let outcomes = detached(py, self.core()?, |c| c.reset_mfa_many(&actor, &targets, &options))?;
        let list = PyList::empty(py);
        for (target, result) in targets.iter().zip(&outcomes) {
            list.append(values::outcome(py, target, result)?)?;
        }
        Ok(list)
    }

    // ---- audit ----

    /// A page of the audit trail in `seq` order, optionally after a `seq` and filtered by actor,
    /// target or action. Raises `InvalidInput`.
    #[pyo3(signature = (*, after_seq = None, limit = None, actor = None, target = None, action = None))]
    fn audit_events<'py>(
        &self,
        py: Python<'py>,
        after_seq: Option<&Bound<'py, PyAny>>,
        limit: Option<&Bound<'py, PyAny>>,
        actor: Option<&Bound<'py, PyAny>>,
        target: Option<&Bound<'py, PyAny>>,
        action: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let query = AuditQuery {
            after_seq: inputs::given(after_seq)
                .map(|a| inputs::count("after_seq", a, u64::MAX))
                .transpose()?
                .unwrap_or(0),
            limit: inputs::given(limit)
                .map(|l| inputs::count("limit", l, u32::MAX.into()))
                .transpose()?
                .map(|n| n as u32),
            actor: inputs::opt_id("actor", actor)?,
            target: inputs::opt_id("target", target)?,
            action: inputs::opt_text("action", action)?,
        };
        let events = detached(py, self.core()?, |c| c.audit_events(&query))?;
        values::list(py, &events, values::event)
    }

    /// Copies the live store into a new file at `path` with SQLite's online backup API (other
    /// calls keep working meanwhile); returns the audit head of the copy, which opens with the
    /// same key. Raises `InvalidInput` (an in-memory store), `Conflict` (`path` exists: it is
    /// never replaced), `Storage`.
    fn backup<'py>(&self, py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let path = inputs::path(path)?;
        let head = detached(py, self.core()?, |c| c.backup(&path))?;
        values::checkpoint(py, &head)
    }

    /// Moves the store to the 32-byte `new_key` in one transaction (docs/key-rotation.md) and
    /// returns the new audit head. Recovery codes are invalidated. The handle is then retired:
    /// every later call raises `InvalidInput`; open the store again with the new key (the old
    /// one no longer opens it). Raises `InvalidInput` (not 32 bytes, the current key),
    /// `Storage` (nothing changed).
    fn rotate_key<'py>(&self, py: Python<'py>, new_key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = inputs::key("new_key", new_key)?;
        let head = detached(py, self.core()?, move |c| c.rotate_key(&key))?;
        values::checkpoint(py, &head)
    }

    /// The head of the audit chain, to keep where the database cannot rewrite it.
    fn audit_checkpoint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let checkpoint = detached(py, self.core()?, |c| c.audit_checkpoint())?;
        values::checkpoint(py, &checkpoint)
    }

    /// Walks the whole audit chain; with a checkpoint, also finds a cut tail or an older copy.
    /// Raises `InvalidInput` (a malformed checkpoint).
    #[pyo3(signature = (checkpoint = None))]
    fn verify_audit<'py>(
        &self,
        py: Python<'py>,
        checkpoint: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let checkpoint = inputs::checkpoint(checkpoint)?;
        let report = detached(py, self.core()?, |c| c.verify_audit(checkpoint.as_ref()))?;
        values::report(py, &report)
    }
}

/// The options of `reset_mfa` and `reset_mfa_many`; `None` means not given.
fn reset_options(
    window: Option<&Bound<'_, PyAny>>,
    reason: Option<&Bound<'_, PyAny>>,
    dry_run: DryRun,
    proof: Option<&Bound<'_, PyAny>>,
    actor_proof: Option<&Bound<'_, PyAny>>,
) -> PyResult<ResetOptions> {
    Ok(ResetOptions {
        window: inputs::opt_seconds("window", window)?,
        reason: inputs::opt_text("reason", reason)?,
        dry_run: dry_run.0,
        proof: inputs::opt_text("proof", proof)?,
        actor_proof: inputs::opt_text("actor_proof", actor_proof)?,
    })
}
