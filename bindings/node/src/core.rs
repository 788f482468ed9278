//! `Core`: one open store, shared by every call. The core handle is `Send + Sync`: each call
//! holds an `Arc` to it while it runs on the addon's threads, and `close` waits for the last.

use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use napi::Env;
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi_derive::napi;

use crate::args;
use crate::error::to_napi;
use crate::promise::{self, Call};
use crate::types::{
    AuditEvent, AuditReport, Checkpoint, Date, Enrollment, MfaStatus, Org, ResetOutcome, ResetReceipt,
    StoreInfo, User, Verification,
};

/// An open mfa-core store. Create it with `Core.open`; every storage call returns a Promise.
/// `close()` releases the file; every later call rejects with `MFA_INVALID_INPUT`.
#[napi]
pub struct Core {
    /// `None` once closed.
    open: Option<Arc<Open>>,
}

/// The core handle, and who to tell when its last reference is gone (`close` waits for that).
struct Open {
    core: mfa_core::Core,
    /// Declared after `core`, so dropped after it: the signal means the file is released.
    released: Released,
}

struct Released(Mutex<Option<SyncSender<()>>>);

impl Drop for Released {
    fn drop(&mut self) {
        if let Some(closer) = self.0.get_mut().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = closer.send(());
        }
    }
}

impl Drop for Core {
    /// A handle collected without `close`: its last reference may close SQLite, which may
    /// checkpoint the WAL, so it is dropped on the addon's threads, not the JS thread.
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            crate::pool::spawn(move || drop(open), |()| ());
        }
    }
}

fn closed() -> mfa_core::Error {
    mfa_core::Error::InvalidInput("the handle is closed".into())
}

impl Core {
    /// A Promise of `call` on this store, run on the addon's threads once `args` (converted
    /// on the JS thread) are valid; a bad argument or a closed handle rejects at once.
    fn run<A, T, F>(&self, env: &Env, args: mfa_core::Result<A>, call: F) -> napi::Result<Call<T>>
    where
        A: Send + 'static,
        T: ToNapiValue + Send + 'static,
        F: FnOnce(&mfa_core::Core, A) -> mfa_core::Result<T> + Send + 'static,
    {
        let open = match (&self.open, args) {
            (None, _) => return promise::settled(env, Err(closed())),
            (Some(_), Err(err)) => return promise::settled(env, Err(err)),
            (Some(open), Ok(args)) => (Arc::clone(open), args),
        };
        let (open, args) = open;
        promise::spawn(env, move || call(&open.core, args))
    }

    fn core(&self) -> mfa_core::Result<&mfa_core::Core> {
        self.open.as_deref().map(|open| &open.core).ok_or_else(closed)
    }
}

#[napi]
impl Core {
    /// Facts about the open store: schema version, path, permission bits, and whether other
    /// users can read it (warn then). `MFA_STORAGE` if the file cannot be examined.
    #[napi(catch_unwind, ts_return_type = "Promise<StoreInfo>")]
    pub fn info(&self, env: Env) -> napi::Result<Call<StoreInfo>> {
        self.run(&env, Ok(()), |core, ()| core.info().map(StoreInfo::from))
    }

    /// Closes the store: resolves once the calls already made have finished and the file is
    /// released (the WAL checkpointed and removed, when no other connection uses the file).
    /// Every later call rejects with `MFA_INVALID_INPUT` ("the handle is closed"); closing
    /// again resolves at once.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close(&mut self, env: Env) -> napi::Result<Call<()>> {
        let Some(open) = self.open.take() else { return promise::settled(&env, Ok(())) };
        let (closer, released) = mpsc::sync_channel(1);
        *open.released.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(closer);
        promise::spawn(&env, move || {
            // Calls in flight hold the other references; the last one to finish closes SQLite.
            drop(open);
            released.recv().map_err(|_| mfa_core::Error::Internal("the store was not released".into()))
        })
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.open.is_none()
    }

    /// The handle's current time (the manual clock's, if it has one). Synchronous; throws
    /// `MFA_INVALID_INPUT` once the handle is closed.
    #[napi(catch_unwind)]
    pub fn now(&self, env: Env) -> napi::Result<Date> {
        self.core().map(|core| Date(core.now())).map_err(|e| to_napi(&env, &e))
    }

    /// Moves a manual clock. Resolves at once (there is no storage work), like every other
    /// method a Promise; `MFA_INVALID_INPUT` on a handle using the system clock.
    #[napi(catch_unwind, ts_args_type = "time: Date", ts_return_type = "Promise<void>")]
    pub fn set_time(&self, env: Env, time: Unknown) -> napi::Result<Call<()>> {
        let result = self.core().and_then(|core| core.set_time(args::date("time", &time)?));
        promise::settled(&env, result)
    }

    /// Creates an org (a bootstrap call: no actor); unset policy fields keep the documented
    /// defaults. Rejects with `MFA_INVALID_INPUT` for a bad name or policy value.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, policy?: PolicyInput",
        ts_return_type = "Promise<Org>"
    )]
    pub fn create_org(&self, env: Env, name: Unknown, policy: Unknown) -> napi::Result<Call<Org>> {
        let args = args::string("name", &name).and_then(|n| Ok((n, args::policy(&policy)?)));
        self.run(&env, args, |core, (name, policy)| core.create_org(&name, policy).map(Org::from))
    }

    /// One org. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "org: string", ts_return_type = "Promise<Org>")]
    pub fn get_org(&self, env: Env, org: Unknown) -> napi::Result<Call<Org>> {
        self.run(&env, args::string("org", &org), |core, org| core.get_org(&org).map(Org::from))
    }

    /// Every org, by id.
    #[napi(catch_unwind, ts_return_type = "Promise<Org[]>")]
    pub fn list_orgs(&self, env: Env) -> napi::Result<Call<Vec<Org>>> {
        self.run(&env, Ok(()), |core, ()| Ok(core.list_orgs()?.into_iter().map(Org::from).collect()))
    }

    /// Creates a user (a bootstrap call: no actor); under `mfaRequired` the user starts in
    /// `enrollment_required`. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND` (org), `MFA_CONFLICT` (email
    /// taken in this org, in any case).
    #[napi(
        catch_unwind,
        ts_args_type = "org: string, email: string, role: Role",
        ts_return_type = "Promise<User>"
    )]
    pub fn create_user(
        &self,
        env: Env,
        org: Unknown,
        email: Unknown,
        role: Unknown,
    ) -> napi::Result<Call<User>> {
        let args = args::string("org", &org)
            .and_then(|o| Ok((o, args::string("email", &email)?, args::role(&role)?)));
        self.run(&env, args, |core, (org, email, role)| core.create_user(&org, &email, role).map(User::from))
    }

    /// One user. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<User>")]
    pub fn get_user(&self, env: Env, user: Unknown) -> napi::Result<Call<User>> {
        self.run(&env, args::string("user", &user), |core, user| core.get_user(&user).map(User::from))
    }

    /// A user of an org by email, in any case. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "org: string, email: string", ts_return_type = "Promise<User>")]
    pub fn find_user_by_email(&self, env: Env, org: Unknown, email: Unknown) -> napi::Result<Call<User>> {
        let args = args::string("org", &org).and_then(|o| Ok((o, args::string("email", &email)?)));
        self.run(&env, args, |core, (org, email)| core.find_user_by_email(&org, &email).map(User::from))
    }

    /// The users of an org, by email. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND` (no such org).
    #[napi(catch_unwind, ts_args_type = "org: string", ts_return_type = "Promise<User[]>")]
    pub fn list_users(&self, env: Env, org: Unknown) -> napi::Result<Call<Vec<User>>> {
        self.run(&env, args::string("org", &org), |core, org| {
            Ok(core.list_users(&org)?.into_iter().map(User::from).collect())
        })
    }

    /// Changes a user's role under the reset's actor rules; only an owner grants `owner`, and
    /// the last active owner keeps the role (`MFA_CONFLICT`).
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, role: Role, options?: StepUpOptions",
        ts_return_type = "Promise<User>"
    )]
    pub fn set_role(
        &self,
        env: Env,
        actor: Unknown,
        target: Unknown,
        role: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<User>> {
        let args = actors(&actor, &target)
            .and_then(|(a, t)| Ok((a, t, args::role(&role)?, args::actor_proof(&options)?)));
        self.run(&env, args, |core, (actor, target, role, proof)| {
            core.set_role(&actor, &target, role, proof.as_deref()).map(User::from)
        })
    }

    /// Disables a user: they can no longer act or verify. The last active owner cannot be
    /// disabled (`MFA_CONFLICT`).
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, options?: StepUpOptions",
        ts_return_type = "Promise<User>"
    )]
    pub fn disable_user(
        &self,
        env: Env,
        actor: Unknown,
        target: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<User>> {
        let args = actors(&actor, &target).and_then(|(a, t)| Ok((a, t, args::actor_proof(&options)?)));
        self.run(&env, args, |core, (actor, target, proof)| {
            core.disable_user(&actor, &target, proof.as_deref()).map(User::from)
        })
    }

    /// Enables a disabled user, under the reset's actor rules.
    #[napi(catch_unwind, ts_args_type = "actor: string, target: string", ts_return_type = "Promise<User>")]
    pub fn enable_user(&self, env: Env, actor: Unknown, target: Unknown) -> napi::Result<Call<User>> {
        self.run(&env, actors(&actor, &target), |core, (actor, target)| {
            core.enable_user(&actor, &target).map(User::from)
        })
    }

    /// Changes the fields of `org`'s policy that `changes` gives (each checked as at
    /// creation); only an owner of the org may, with `actorProof` under `requireStepUp`. A
    /// shorter `enrollmentWindow` applies to users created or reset afterwards. Resolves to
    /// the org with its new policy. `MFA_INVALID_INPUT` (no field given, a bad value),
    /// `MFA_UNAUTHENTICATED`, `MFA_NOT_FOUND` (the org, or another org than the actor's),
    /// `MFA_FORBIDDEN`.
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, org: string, changes: PolicyInput, options?: StepUpOptions",
        ts_return_type = "Promise<Org>"
    )]
    pub fn update_policy(
        &self,
        env: Env,
        actor: Unknown,
        org: Unknown,
        changes: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<Org>> {
        let args = args::string("actor", &actor).and_then(|a| {
            Ok((a, args::string("org", &org)?, args::policy_changes(&changes)?, args::actor_proof(&options)?))
        });
        self.run(&env, args, |core, (actor, org, changes, proof)| {
            core.update_policy(&actor, &org, &changes, proof.as_deref()).map(Org::from)
        })
    }

    /// Deletes a user who left, under the rules of `disableUser`: their secret and recovery
    /// codes are destroyed, the audit trail keeps the id, the email is free again.
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, options?: StepUpOptions",
        ts_return_type = "Promise<void>"
    )]
    pub fn delete_user(
        &self,
        env: Env,
        actor: Unknown,
        target: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<()>> {
        let args = actors(&actor, &target).and_then(|(a, t)| Ok((a, t, args::actor_proof(&options)?)));
        self.run(&env, args, |core, (actor, target, proof)| {
            core.delete_user(&actor, &target, proof.as_deref())
        })
    }

    /// Changes a user's email under the rules of `disableUser`; audited with the old and new
    /// email. `MFA_CONFLICT` when the org has that email already (in any case).
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, newEmail: string, options?: StepUpOptions",
        ts_return_type = "Promise<User>"
    )]
    pub fn rename_user(
        &self,
        env: Env,
        actor: Unknown,
        target: Unknown,
        new_email: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<User>> {
        let args = actors(&actor, &target).and_then(|(a, t)| {
            Ok((a, t, args::string("newEmail", &new_email)?, args::actor_proof(&options)?))
        });
        self.run(&env, args, |core, (actor, target, email, proof)| {
            core.rename_user(&actor, &target, &email, proof.as_deref()).map(User::from)
        })
    }

    /// A user's MFA state, derived from the clock.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<MfaStatus>")]
    pub fn mfa_status(&self, env: Env, user: Unknown) -> napi::Result<Call<MfaStatus>> {
        self.run(&env, args::string("user", &user), |core, user| core.mfa_status(&user).map(MfaStatus::from))
    }

    /// A new TOTP secret for the user (replacing any pending one), shown this once.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<Enrollment>")]
    pub fn begin_enrollment(&self, env: Env, user: Unknown) -> napi::Result<Call<Enrollment>> {
        self.run(&env, args::string("user", &user), |core, user| {
            core.begin_enrollment(&user).map(Enrollment::from)
        })
    }

    /// Confirms the pending secret with a current code; resolves to the ten recovery codes.
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, code: string",
        ts_return_type = "Promise<RecoveryCodes>"
    )]
    pub fn confirm_enrollment(
        &self,
        env: Env,
        user: Unknown,
        code: Unknown,
    ) -> napi::Result<Call<Vec<String>>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("code", &code)?)));
        self.run(&env, args, |core, (user, code)| core.confirm_enrollment(&user, &code).map(codes))
    }

    /// Ten new recovery codes, given a current TOTP code; the old ones stop working.
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, proof: string",
        ts_return_type = "Promise<RecoveryCodes>"
    )]
    pub fn regenerate_recovery_codes(
        &self,
        env: Env,
        user: Unknown,
        proof: Unknown,
    ) -> napi::Result<Call<Vec<String>>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("proof", &proof)?)));
        self.run(&env, args, |core, (user, proof)| core.regenerate_recovery_codes(&user, &proof).map(codes))
    }

    /// Checks a sign-in code: a TOTP code or an unused recovery code (spent by this call).
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, code: string",
        ts_return_type = "Promise<Verification>"
    )]
    pub fn verify(&self, env: Env, user: Unknown, code: Unknown) -> napi::Result<Call<Verification>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("code", &code)?)));
        self.run(&env, args, |core, (user, code)| core.verify(&user, &code).map(Verification::from))
    }

    /// Resets `target`'s MFA on behalf of `actor`.
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, options?: ResetOptions",
        ts_return_type = "Promise<ResetReceipt>"
    )]
    pub fn reset_mfa(
        &self,
        env: Env,
        actor: Unknown,
        target: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<ResetReceipt>> {
        let args = actors(&actor, &target).and_then(|(a, t)| Ok((a, t, args::reset_options(&options)?)));
        self.run(&env, args, |core, (actor, target, options)| {
            core.reset_mfa(&actor, &target, &options).map(ResetReceipt::from)
        })
    }

    /// Resets up to 10,000 targets; one outcome per target, in order. Rejects only for what
    /// concerns the whole run (options, too many targets, the actor's step-up).
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, targets: string[], options?: ResetOptions",
        ts_return_type = "Promise<ResetOutcome[]>"
    )]
    pub fn reset_mfa_many(
        &self,
        env: Env,
        actor: Unknown,
        targets: Unknown,
        options: Unknown,
    ) -> napi::Result<Call<Vec<ResetOutcome>>> {
        let args = args::string("actor", &actor)
            .and_then(|a| Ok((a, args::strings("targets", &targets)?, args::reset_options(&options)?)));
        self.run(&env, args, |core, (actor, targets, options)| {
            let outcomes = core.reset_mfa_many(&actor, &targets, &options)?;
            Ok(targets.into_iter().zip(outcomes).map(|(t, result)| ResetOutcome::new(t, result)).collect())
        })
    }

    /// A page of the audit trail in seq order.
    #[napi(catch_unwind, ts_args_type = "query?: AuditQuery", ts_return_type = "Promise<AuditEvent[]>")]
    pub fn audit_events(&self, env: Env, query: Unknown) -> napi::Result<Call<Vec<AuditEvent>>> {
        self.run(&env, args::audit_query(&query), |core, query| {
            Ok(core.audit_events(&query)?.into_iter().map(AuditEvent::from).collect())
        })
    }

    /// Copies the live store into a new file at `path` with SQLite's online backup API (other
    /// calls keep working meanwhile); resolves to the audit head of the copy, which opens with
    /// the same key. `MFA_INVALID_INPUT` (an in-memory store), `MFA_CONFLICT` (`path` exists:
    /// it is never replaced), `MFA_STORAGE`.
    #[napi(catch_unwind, ts_args_type = "path: string", ts_return_type = "Promise<Checkpoint>")]
    pub fn backup(&self, env: Env, path: Unknown) -> napi::Result<Call<Checkpoint>> {
        self.run(&env, args::string("path", &path), |core, path| core.backup(&path).map(Checkpoint::from))
    }

    /// Moves the store to the 32-byte `key` in one transaction (docs/key-rotation.md) and
    /// resolves to the new audit head. Recovery codes are invalidated. The handle is then
    /// retired: every later call rejects with `MFA_INVALID_INPUT`; close it and open the store
    /// with the new key (the old one no longer opens it). `MFA_INVALID_INPUT` (not 32 bytes, the
    /// current key), `MFA_STORAGE` (nothing changed).
    #[napi(catch_unwind, ts_args_type = "key: Uint8Array", ts_return_type = "Promise<Checkpoint>")]
    pub fn rotate_key(&self, env: Env, key: Unknown) -> napi::Result<Call<Checkpoint>> {
        self.run(&env, args::key("key", &key), |core, key| core.rotate_key(&key).map(Checkpoint::from))
    }

    /// The head of the audit chain, to store somewhere the database cannot rewrite.
    #[napi(catch_unwind, ts_return_type = "Promise<Checkpoint>")]
    pub fn audit_checkpoint(&self, env: Env) -> napi::Result<Call<Checkpoint>> {
        self.run(&env, Ok(()), |core, ()| core.audit_checkpoint().map(Checkpoint::from))
    }

    /// Walks the whole chain; with a stored checkpoint, also finds a cut tail or an older copy.
    #[napi(catch_unwind, ts_args_type = "checkpoint?: Checkpoint", ts_return_type = "Promise<AuditReport>")]
    pub fn verify_audit(&self, env: Env, checkpoint: Unknown) -> napi::Result<Call<AuditReport>> {
        self.run(&env, args::checkpoint(&checkpoint), |core, checkpoint| {
            core.verify_audit(checkpoint.as_ref()).map(AuditReport::from)
        })
    }
}

/// Opens (or creates) the store at `path` (`":memory:"`: a private in-memory store; a
/// `postgresql://` URL: a PostgreSQL database) with the host's 32-byte key; the options are those of `OpenOptions` in `dts-header.d.ts`.
///
/// `Core.open` in JS: `main.js` defines it from this function (a static method of a napi
/// class is read-only, so it could not carry the caller's stack), and `dts-header.d.ts`
/// declares it.
#[napi(js_name = "openCore", skip_typescript, catch_unwind)]
#[cfg_attr(test, allow(dead_code, reason = "napi registers module functions outside of test builds only"))]
pub fn open(env: Env, path: Unknown, key: Unknown, options: Unknown) -> napi::Result<Call<Core>> {
    let args = args::string("path", &path)
        .and_then(|path| Ok((path, args::key("key", &key)?, args::open_options(&options)?)));
    let (path, key, options) = match args {
        Ok(args) => args,
        Err(err) => return promise::settled(&env, Err(err)),
    };
    promise::spawn(&env, move || {
        let core = mfa_core::Core::open(path, &key, options)?;
        let open = Open { core, released: Released(Mutex::new(None)) };
        Ok(Core { open: Some(Arc::new(open)) })
    })
}

/// The `actor` and `target` ids every actor-checked call starts with.
fn actors(actor: &Unknown, target: &Unknown) -> mfa_core::Result<(String, String)> {
    Ok((args::string("actor", actor)?, args::string("target", target)?))
}

/// Recovery codes as a plain list: the package's `main.js` wraps it in the `RecoveryCodes` array
/// that keeps them out of `JSON.stringify` and `util.inspect`.
fn codes(mut codes: mfa_core::RecoveryCodes) -> Vec<String> {
    std::mem::take(&mut codes.0)
}
