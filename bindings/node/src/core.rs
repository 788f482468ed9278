//! `Core`: one open store, shared by every call (the core handle is `Send + Sync`; each call
//! holds an `Arc` to it for as long as it runs on the pool).

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi_derive::napi;

use crate::args;
use crate::error::to_napi;
use crate::task::Op;
use crate::types::{
    AuditEvent, AuditReport, Checkpoint, Date, Enrollment, MfaStatus, Org, RecoveryCodes, ResetOutcome,
    ResetReceipt, StoreInfo, User, Verification,
};

/// An open mfa-core store. Create it with `Core.open`; every storage call returns a Promise.
#[napi]
pub struct Core {
    inner: Arc<mfa_core::Core>,
}

impl Core {
    /// Runs `call` on the pool with this store.
    fn run<T, F>(&self, call: F) -> AsyncTask<Op<T>>
    where
        T: napi::bindgen_prelude::ToNapiValue + napi::bindgen_prelude::TypeName + Send + 'static,
        F: FnOnce(&mfa_core::Core) -> mfa_core::Result<T> + Send + 'static,
    {
        let core = Arc::clone(&self.inner);
        AsyncTask::new(Op::new(move || call(&core)))
    }
}

#[napi]
impl Core {
    /// Opens the store at `path` (`":memory:"`: a private in-memory store) with the host's
    /// 32-byte key, creating it when nothing is there unless `createIfMissing` is false (a new
    /// store file is 0600). `manualClock` starts a clock that only `setTime` moves (tests);
    /// `durability` is `'full'` (default) or `'normal'`. Rejects with `MFA_STORAGE` for a
    /// missing file when creation is off, or an empty, foreign, corrupt or newer file.
    #[napi(
        catch_unwind,
        ts_args_type = "path: string, key: Buffer | Uint8Array, options?: OpenOptions",
        ts_return_type = "Promise<Core>"
    )]
    pub fn open(path: Unknown, key: Unknown, options: Unknown) -> AsyncTask<Op<Core>> {
        let args = args::string("path", &path)
            .and_then(|path| Ok((path, args::key(&key)?, args::open_options(&options)?)));
        AsyncTask::new(Op::new(move || {
            let (path, key, options) = args?;
            let inner = mfa_core::Core::open(path, &key, options)?;
            Ok(Core { inner: Arc::new(inner) })
        }))
    }

    /// Facts about the open store: schema version, path, permission bits, and whether other
    /// users can read it (warn then). `MFA_STORAGE` if the file cannot be examined.
    #[napi(catch_unwind, ts_return_type = "Promise<StoreInfo>")]
    pub fn info(&self) -> AsyncTask<Op<StoreInfo>> {
        self.run(|core| core.info().map(StoreInfo::from))
    }

    /// The handle's current time (the manual clock's, if it has one).
    #[napi(catch_unwind)]
    pub fn now(&self) -> Date {
        Date(self.inner.now())
    }

    /// Moves a manual clock; `MFA_INVALID_INPUT` on a handle using the system clock.
    #[napi(catch_unwind, ts_args_type = "time: Date")]
    pub fn set_time(&self, env: Env, time: Unknown) -> napi::Result<()> {
        args::date("time", &time).and_then(|t| self.inner.set_time(t)).map_err(|e| to_napi(&env, &e))
    }

    /// Creates an org (a bootstrap call: no actor); unset policy fields keep the contract's
    /// defaults. Rejects with `MFA_INVALID_INPUT` for a bad name or policy value.
    #[napi(
        catch_unwind,
        ts_args_type = "name: string, policy?: PolicyInput",
        ts_return_type = "Promise<Org>"
    )]
    pub fn create_org(&self, name: Unknown, policy: Unknown) -> AsyncTask<Op<Org>> {
        let args = args::string("name", &name).and_then(|n| Ok((n, args::policy(&policy)?)));
        self.run(move |core| {
            let (name, policy) = args?;
            core.create_org(&name, policy).map(Org::from)
        })
    }

    /// One org. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "org: string", ts_return_type = "Promise<Org>")]
    pub fn get_org(&self, org: Unknown) -> AsyncTask<Op<Org>> {
        let org = args::string("org", &org);
        self.run(move |core| core.get_org(&org?).map(Org::from))
    }

    /// Every org, by id.
    #[napi(catch_unwind, ts_return_type = "Promise<Org[]>")]
    pub fn list_orgs(&self) -> AsyncTask<Op<Vec<Org>>> {
        self.run(|core| Ok(core.list_orgs()?.into_iter().map(Org::from).collect()))
    }

    /// Creates a user (a bootstrap call: no actor); under `mfaRequired` the user starts in
    /// `enrollment_required`. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND` (org), `MFA_CONFLICT` (email
    /// taken in this org, in any case).
    #[napi(
        catch_unwind,
        ts_args_type = "org: string, email: string, role: Role",
        ts_return_type = "Promise<User>"
    )]
    pub fn create_user(&self, org: Unknown, email: Unknown, role: Unknown) -> AsyncTask<Op<User>> {
        let args = args::string("org", &org)
            .and_then(|o| Ok((o, args::string("email", &email)?, args::role(&role)?)));
        self.run(move |core| {
            let (org, email, role) = args?;
            core.create_user(&org, &email, role).map(User::from)
        })
    }

    /// One user. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<User>")]
    pub fn get_user(&self, user: Unknown) -> AsyncTask<Op<User>> {
        let user = args::string("user", &user);
        self.run(move |core| core.get_user(&user?).map(User::from))
    }

    /// A user of an org by email, in any case. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND`.
    #[napi(catch_unwind, ts_args_type = "org: string, email: string", ts_return_type = "Promise<User>")]
    pub fn find_user_by_email(&self, org: Unknown, email: Unknown) -> AsyncTask<Op<User>> {
        let args = args::string("org", &org).and_then(|o| Ok((o, args::string("email", &email)?)));
        self.run(move |core| {
            let (org, email) = args?;
            core.find_user_by_email(&org, &email).map(User::from)
        })
    }

    /// The users of an org, by email. `MFA_INVALID_INPUT`, `MFA_NOT_FOUND` (no such org).
    #[napi(catch_unwind, ts_args_type = "org: string", ts_return_type = "Promise<User[]>")]
    pub fn list_users(&self, org: Unknown) -> AsyncTask<Op<Vec<User>>> {
        let org = args::string("org", &org);
        self.run(move |core| Ok(core.list_users(&org?)?.into_iter().map(User::from).collect()))
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
        actor: Unknown,
        target: Unknown,
        role: Unknown,
        options: Unknown,
    ) -> AsyncTask<Op<User>> {
        let args = actors(&actor, &target)
            .and_then(|(a, t)| Ok((a, t, args::role(&role)?, args::actor_proof(&options)?)));
        self.run(move |core| {
            let (actor, target, role, proof) = args?;
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
    pub fn disable_user(&self, actor: Unknown, target: Unknown, options: Unknown) -> AsyncTask<Op<User>> {
        let args = actors(&actor, &target).and_then(|(a, t)| Ok((a, t, args::actor_proof(&options)?)));
        self.run(move |core| {
            let (actor, target, proof) = args?;
            core.disable_user(&actor, &target, proof.as_deref()).map(User::from)
        })
    }

    /// Enables a disabled user, under the reset's actor rules.
    #[napi(catch_unwind, ts_args_type = "actor: string, target: string", ts_return_type = "Promise<User>")]
    pub fn enable_user(&self, actor: Unknown, target: Unknown) -> AsyncTask<Op<User>> {
        let args = actors(&actor, &target);
        self.run(move |core| {
            let (actor, target) = args?;
            core.enable_user(&actor, &target).map(User::from)
        })
    }

    /// A user's MFA state (contract section 3), derived from the clock.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<MfaStatus>")]
    pub fn mfa_status(&self, user: Unknown) -> AsyncTask<Op<MfaStatus>> {
        let user = args::string("user", &user);
        self.run(move |core| core.mfa_status(&user?).map(MfaStatus::from))
    }

    /// A new TOTP secret for the user (replacing any pending one), shown this once.
    #[napi(catch_unwind, ts_args_type = "user: string", ts_return_type = "Promise<Enrollment>")]
    pub fn begin_enrollment(&self, user: Unknown) -> AsyncTask<Op<Enrollment>> {
        let user = args::string("user", &user);
        self.run(move |core| core.begin_enrollment(&user?).map(Enrollment::from))
    }

    /// Confirms the pending secret with a current code; resolves to the ten recovery codes.
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, code: string",
        ts_return_type = "Promise<RecoveryCodes>"
    )]
    pub fn confirm_enrollment(&self, user: Unknown, code: Unknown) -> AsyncTask<Op<RecoveryCodes>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("code", &code)?)));
        self.run(move |core| {
            let (user, code) = args?;
            core.confirm_enrollment(&user, &code).map(RecoveryCodes::from)
        })
    }

    /// Ten new recovery codes, given a current TOTP code; the old ones stop working.
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, proof: string",
        ts_return_type = "Promise<RecoveryCodes>"
    )]
    pub fn regenerate_recovery_codes(&self, user: Unknown, proof: Unknown) -> AsyncTask<Op<RecoveryCodes>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("proof", &proof)?)));
        self.run(move |core| {
            let (user, proof) = args?;
            core.regenerate_recovery_codes(&user, &proof).map(RecoveryCodes::from)
        })
    }

    /// Checks a sign-in code: a TOTP code or an unused recovery code (spent by this call).
    #[napi(
        catch_unwind,
        ts_args_type = "user: string, code: string",
        ts_return_type = "Promise<Verification>"
    )]
    pub fn verify(&self, user: Unknown, code: Unknown) -> AsyncTask<Op<Verification>> {
        let args = args::string("user", &user).and_then(|u| Ok((u, args::string("code", &code)?)));
        self.run(move |core| {
            let (user, code) = args?;
            core.verify(&user, &code).map(Verification::from)
        })
    }

    /// Resets `target`'s MFA on behalf of `actor` (contract section 4).
    #[napi(
        catch_unwind,
        ts_args_type = "actor: string, target: string, options?: ResetOptions",
        ts_return_type = "Promise<ResetReceipt>"
    )]
    pub fn reset_mfa(
        &self,
        actor: Unknown,
        target: Unknown,
        options: Unknown,
    ) -> AsyncTask<Op<ResetReceipt>> {
        let args = actors(&actor, &target).and_then(|(a, t)| Ok((a, t, args::reset_options(&options)?)));
        self.run(move |core| {
            let (actor, target, options) = args?;
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
        actor: Unknown,
        targets: Unknown,
        options: Unknown,
    ) -> AsyncTask<Op<Vec<ResetOutcome>>> {
        let args = args::string("actor", &actor)
            .and_then(|a| Ok((a, args::strings("targets", &targets)?, args::reset_options(&options)?)));
        self.run(move |core| {
            let (actor, targets, options) = args?;
            let outcomes = core.reset_mfa_many(&actor, &targets, &options)?;
            Ok(targets.into_iter().zip(outcomes).map(|(t, result)| ResetOutcome::new(t, result)).collect())
        })
    }

    /// A page of the audit trail in seq order.
    #[napi(catch_unwind, ts_args_type = "query?: AuditQuery", ts_return_type = "Promise<AuditEvent[]>")]
    pub fn audit_events(&self, query: Unknown) -> AsyncTask<Op<Vec<AuditEvent>>> {
        let query = args::audit_query(&query);
        self.run(move |core| Ok(core.audit_events(&query?)?.into_iter().map(AuditEvent::from).collect()))
    }

    /// The head of the audit chain, to store somewhere the database cannot rewrite.
    #[napi(catch_unwind, ts_return_type = "Promise<Checkpoint>")]
    pub fn audit_checkpoint(&self) -> AsyncTask<Op<Checkpoint>> {
        self.run(|core| core.audit_checkpoint().map(Checkpoint::from))
    }

    /// Walks the whole chain; with a stored checkpoint, also finds a cut tail or an older copy.
    #[napi(catch_unwind, ts_args_type = "checkpoint?: Checkpoint", ts_return_type = "Promise<AuditReport>")]
    pub fn verify_audit(&self, checkpoint: Unknown) -> AsyncTask<Op<AuditReport>> {
        let checkpoint = args::checkpoint(&checkpoint);
        self.run(move |core| core.verify_audit(checkpoint?.as_ref()).map(AuditReport::from))
    }
}

/// The `actor` and `target` ids every actor-checked call starts with.
fn actors(actor: &Unknown, target: &Unknown) -> mfa_core::Result<(String, String)> {
    Ok((args::string("actor", actor)?, args::string("target", target)?))
}
