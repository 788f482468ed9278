//! Directory operations (docs/directory.md): bootstrap calls without an actor, and role and
//! status changes under the same actor rules as a reset.

use serde_json::json;

use crate::core::{Core, Ctx};
use crate::error::{Error, Result, conflict, forbidden};
use crate::model::{MfaState, Org, Outcome, Policy, PolicyChanges, Role, UnixTime, User, UserStatus};
use crate::policy::{self, state_of};
use crate::store::{Tx, UserRow};
use crate::validate;

impl Core {
    /// Creates an org (a bootstrap call: no actor). Errors: `invalid_input` for a bad name or
    /// policy value.
    pub fn create_org(&self, name: &str, policy: Policy) -> Result<Org> {
        let name = validate::name("org name", name)?;
        policy::check_policy(&policy)?;
        self.store.write(|tx| {
            let now = self.now();
            let org = Org { id: uuid::Uuid::now_v7().to_string(), name, policy, created_at: now };
            tx.insert_org(&org)?;
            let ctx = Ctx { org: Some(org.id.clone()), ..Ctx::new("org.create") };
            self.append(tx, now, &ctx, Outcome::Success, None, json!({ "policy": org.policy }))?;
            Ok(org)
        })
    }

    /// Creates a user (a bootstrap call: no actor). In an org with `mfa_required` the user
    /// starts in `enrollment_required`. Errors: `invalid_input`, `not_found` (org), `conflict`
    /// (the email is taken in this org, in any case).
    pub fn create_user(&self, org: &str, email: &str, role: Role) -> Result<User> {
        let org_id = validate::id("org", org)?;
        let email = validate::email(email)?;
        self.store.write(|tx| self.create_user_in(tx, &org_id, &email, role))
    }

    /// Creates many users in one org with one transaction and one commit (up to 10,000 per
    /// call), for bulk imports. Each entry is checked and audited exactly as by
    /// [`Core::create_user`], and returns its own outcome, in order: a refused entry (a bad
    /// email, an email already taken, also earlier in the same call) is not created and does
    /// not undo the others. Errors for the whole call, which then creates nothing:
    /// `invalid_input` (the org id, too many entries), `storage`.
    pub fn create_users<S: AsRef<str>>(&self, org: &str, users: &[(S, Role)]) -> Result<Vec<Result<User>>> {
        let org_id = validate::id("org", org)?;
        if users.len() > validate::MAX_BULK_TARGETS {
            return Err(Error::InvalidInput(format!(
                "at most {} users per call, got {}",
                validate::MAX_BULK_TARGETS,
                users.len()
            )));
        }
        let emails: Vec<Result<String>> = users.iter().map(|(e, _)| validate::email(e.as_ref())).collect();
        self.store.write(|tx| {
            let mut done = Vec::with_capacity(users.len());
            for (email, (_, role)) in emails.iter().zip(users) {
                let outcome = match email {
                    Ok(email) => tx.savepoint(|tx| self.create_user_in(tx, &org_id, email, *role)),
                    Err(e) => Err(e.clone()),
                };
                if let Err(e @ (Error::Storage(_) | Error::Internal(_))) = &outcome {
                    return Err(e.clone());
                }
                done.push(outcome);
            }
            Ok(done)
        })
    }

    /// One user created in `tx` from a checked email, with its audit event either way.
    fn create_user_in(&self, tx: &Tx, org_id: &str, email: &str, role: Role) -> Result<User> {
        let key = validate::email_key(email);
        let now = self.now();
        let mut ctx = Ctx::new("user.create");
        let result = (|| {
            let org = self.org_of(tx, org_id)?;
            ctx.org = Some(org.id.clone());
            if tx.email_taken(&org.id, &key)? {
                return Err(conflict(format!("email {email} is taken in org {}", org.id)));
            }
            let user = User {
                id: uuid::Uuid::now_v7().to_string(),
                org: org.id.clone(),
                email: email.to_string(),
                role,
                status: UserStatus::Active,
                credential_epoch: 0,
                created_at: now,
            };
            let deadline = org
                .policy
                .mfa_required
                .then(|| validate::deadline(now, org.policy.enrollment_window))
                .transpose()?;
            tx.insert_user(&user, &key, deadline)?;
            let ctx = Ctx { target: Some(&user.id), org: ctx.org.clone(), ..Ctx::new("user.create") };
            self.append(tx, now, &ctx, Outcome::Success, None, json!({ "role": role }))?;
            Ok(user)
        })();
        self.audit_refusal(tx, now, &ctx, result)
    }

    /// Changes a user's role. Only an owner grants `owner`; the last active owner cannot be
    /// demoted. Errors: `invalid_input`, `unauthenticated`, `not_found`, `forbidden` (including
    /// a missing or wrong `actor_proof` under `require_step_up`), `conflict`.
    pub fn set_role(&self, actor: &str, target: &str, role: Role, actor_proof: Option<&str>) -> Result<User> {
        let (actor, target) = (validate::id("actor", actor)?, validate::id("target", target)?);
        self.directory_change("user.role", &actor, &target, actor_proof, |tx, a, t| {
            policy::may_grant(a.user.role, role)?;
            if t.user.role == Role::Owner && role != Role::Owner {
                self.keep_an_owner(tx, t)?;
            }
            tx.set_role(&t.user.id, role)?;
            Ok((json!({ "from": t.user.role, "to": role }), self.user_row(tx, &t.user.id)?.user))
        })
    }

    /// Disables a user: they can no longer act or verify. The last active owner cannot be
    /// disabled. Errors as for [`Core::set_role`].
    pub fn disable_user(&self, actor: &str, target: &str, actor_proof: Option<&str>) -> Result<User> {
        let (actor, target) = (validate::id("actor", actor)?, validate::id("target", target)?);
        self.directory_change("user.disable", &actor, &target, actor_proof, |tx, _, t| {
            if t.user.role == Role::Owner {
                self.keep_an_owner(tx, t)?;
            }
            tx.set_status(&t.user.id, UserStatus::Disabled)?;
            Ok((json!({ "from": t.user.status }), self.user_row(tx, &t.user.id)?.user))
        })
    }

    /// Enables a disabled user. Errors: `invalid_input`, `unauthenticated`, `not_found`,
    /// `forbidden`.
    pub fn enable_user(&self, actor: &str, target: &str) -> Result<User> {
        let (actor, target) = (validate::id("actor", actor)?, validate::id("target", target)?);
        self.directory_change("user.enable", &actor, &target, None, |tx, _, t| {
            tx.set_status(&t.user.id, UserStatus::Active)?;
            Ok((json!({ "from": t.user.status }), self.user_row(tx, &t.user.id)?.user))
        })
    }

    /// Deletes a user who left, under the rules of [`Core::disable_user`] (an admin cannot
    /// delete an owner; the last active owner cannot go). Their TOTP secret (pending or
    /// confirmed) and recovery codes are destroyed with the row; the audit trail keeps the id
    /// and stays verifiable, and the email is free for a new user. Errors as for
    /// [`Core::set_role`].
    pub fn delete_user(&self, actor: &str, target: &str, actor_proof: Option<&str>) -> Result<()> {
        let (actor, target) = (validate::id("actor", actor)?, validate::id("target", target)?);
        self.directory_change("user.delete", &actor, &target, actor_proof, |tx, _, t| {
            if t.user.role == Role::Owner {
                self.keep_an_owner(tx, t)?;
            }
            tx.delete_user(&t.user.id)?;
            let detail =
                json!({ "role": t.user.role, "status": t.user.status, "mfa": state_of(t, self.now()) });
            Ok((detail, ()))
        })
    }

    /// Changes a user's email (checked as at creation), under the rules of
    /// [`Core::disable_user`]. The audit event records the old and the new email. Errors as
    /// for [`Core::set_role`]; `conflict` when another user of the org has that email, in any
    /// case.
    pub fn rename_user(
        &self,
        actor: &str,
        target: &str,
        new_email: &str,
        actor_proof: Option<&str>,
    ) -> Result<User> {
        let (actor, target) = (validate::id("actor", actor)?, validate::id("target", target)?);
        let email = validate::email(new_email)?;
        let key = validate::email_key(&email);
        self.directory_change("user.rename", &actor, &target, actor_proof, |tx, _, t| {
            if tx.user_by_email(&t.user.org, &key)?.is_some_and(|other| other.user.id != t.user.id) {
                return Err(conflict(format!("email {email} is taken in org {}", t.user.org)));
            }
            tx.set_email(&t.user.id, &email, &key)?;
            let detail = json!({ "from": t.user.email, "to": email });
            Ok((detail, self.user_row(tx, &t.user.id)?.user))
        })
    }

    /// Changes some fields of an org's policy. Only an owner of the org may (admins get
    /// `forbidden`); under `require_step_up` an enrolled owner passes their current code as
    /// `actor_proof`, also to turn step-up off. Each given field is checked as at creation. A
    /// shorter `enrollment_window` applies to users created or reset afterwards: deadlines
    /// already set stay. The `org.policy` event records the old and new value of each given
    /// field. Errors: `invalid_input` (no field given, a bad value), `unauthenticated`,
    /// `not_found` (no such org, or another org than the actor's), `forbidden`.
    pub fn update_policy(
        &self,
        actor: &str,
        org: &str,
        changes: &PolicyChanges,
        actor_proof: Option<&str>,
    ) -> Result<Org> {
        let (actor, org_id) = (validate::id("actor", actor)?, validate::id("org", org)?);
        if changes.is_empty() {
            return Err(Error::InvalidInput("no policy field to change was given".into()));
        }
        // The defaults are valid, so this checks exactly the fields given.
        policy::check_policy(&changes.apply(Policy::default()))?;
        if let Some(p) = actor_proof {
            validate::code_text("actor_proof", p)?;
        }
        self.store.write(|tx| {
            let now = self.now();
            let mut ctx = Ctx { actor: Some(&actor), ..Ctx::new("org.policy") };
            let result = (|| {
                let Some(a) = tx.user(&actor)? else {
                    return Err(Error::Unauthenticated(format!("no actor {actor}")));
                };
                ctx.org = Some(a.user.org.clone());
                if a.user.status == UserStatus::Disabled {
                    return Err(Error::Unauthenticated(format!("actor {actor} is disabled")));
                }
                if a.user.org != org_id {
                    return Err(Error::NotFound(format!("no org {org_id} for this actor")));
                }
                let org = self.org_of(tx, &org_id)?;
                if a.user.role != Role::Owner {
                    return Err(forbidden("only an owner may change the org's policy"));
                }
                self.step_up(tx, now, &a, &org.policy, actor_proof, true)?;
                let policy = changes.apply(org.policy);
                tx.set_policy(&org.id, &policy)?;
                self.append(
                    tx,
                    now,
                    &ctx,
                    Outcome::Success,
                    None,
                    policy_detail(changes, &org.policy, &policy)?,
                )?;
                Ok(Org { policy, ..org })
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// The shared shape of changes to a user: the actor rules, step-up for everything but
    /// enable, the change itself, and one audit event either way.
    fn directory_change<T>(
        &self,
        action: &'static str,
        actor: &str,
        target: &str,
        actor_proof: Option<&str>,
        change: impl FnOnce(&Tx, &UserRow, &UserRow) -> Result<(serde_json::Value, T)>,
    ) -> Result<T> {
        // Rule 1 for the proof too: malformed input is refused even where step-up would not
        // read it (no step-up policy, or an actor not enrolled).
        if let Some(p) = actor_proof {
            validate::code_text("actor_proof", p)?;
        }
        self.store.write(|tx| {
            let now = self.now();
            let mut ctx = Ctx { actor: Some(actor), target: Some(target), ..Ctx::new(action) };
            let result = (|| {
                let (a, t, org) = self.actor_and_target(tx, &mut ctx, actor, target)?;
                policy::may_manage(a.user.role, t.user.role)?;
                if action != "user.enable" {
                    self.step_up(tx, now, &a, &org.policy, actor_proof, true)?;
                }
                let (detail, done) = change(tx, &a, &t)?;
                self.append(tx, now, &ctx, Outcome::Success, None, detail)?;
                Ok(done)
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// docs/directory.md: an org always keeps one active owner.
    fn keep_an_owner(&self, tx: &Tx, target: &UserRow) -> Result<()> {
        if target.user.status == UserStatus::Active && tx.active_owners(&target.user.org)? <= 1 {
            return Err(conflict(format!("user {} is the last active owner of the org", target.user.id)));
        }
        Ok(())
    }

    /// docs/reset.md rules 2 and 3: the actor exists and is active; the target exists in the
    /// actor's org (a target elsewhere is indistinguishable from a missing one).
    pub(crate) fn actor_and_target(
        &self,
        tx: &Tx,
        ctx: &mut Ctx,
        actor: &str,
        target: &str,
    ) -> Result<(UserRow, UserRow, Org)> {
        tx.prefetch_users(&[actor, target])?;
        let Some(a) = tx.user(actor)? else {
            return Err(Error::Unauthenticated(format!("no actor {actor}")));
        };
        // Known before the status check, so that probing by a disabled account is audited
        // under its org.
        ctx.org = Some(a.user.org.clone());
        if a.user.status == UserStatus::Disabled {
            return Err(Error::Unauthenticated(format!("actor {actor} is disabled")));
        }
        let t = match tx.user(target)? {
            Some(t) if t.user.org == a.user.org => t,
            _ => return Err(Error::NotFound(format!("no user {target} in the actor's org"))),
        };
        let org = self.org_of(tx, &a.user.org)?;
        Ok((a, t, org))
    }

    /// docs/concepts.md, `require_step_up`: an enrolled actor proves presence with a current code.
    pub(crate) fn step_up(
        &self,
        tx: &Tx,
        now: UnixTime,
        actor: &UserRow,
        policy: &Policy,
        actor_proof: Option<&str>,
        consume: bool,
    ) -> Result<()> {
        if !policy.require_step_up || state_of(actor, now) != MfaState::Enrolled {
            return Ok(());
        }
        let Some(code) = actor_proof else {
            return Err(Error::Forbidden(
                "the org requires step-up: pass the actor's current code as actor_proof".into(),
            ));
        };
        self.check_code(tx, actor, policy, code, now, crate::enrollment::Accept::TotpOnly, consume)
            .map(drop)
            .map_err(|e| crate::enrollment::proof_refusal("actor_proof", e))
    }
}

/// `{"from": {...}, "to": {...}}` with the fields a policy change names, before and after.
fn policy_detail(changes: &PolicyChanges, old: &Policy, new: &Policy) -> Result<serde_json::Value> {
    fn encode(v: impl serde::Serialize) -> Result<serde_json::Value> {
        serde_json::to_value(v).map_err(|e| Error::Internal(format!("cannot encode a policy: {e}")))
    }
    let given = encode(changes)?;
    let (old, new) = (encode(old)?, encode(new)?);
    let pick = |all: &serde_json::Value| {
        let fields = given.as_object().into_iter().flat_map(|g| g.keys());
        fields.map(|k| (k.clone(), all[k].clone())).collect::<serde_json::Map<_, _>>()
    };
    Ok(json!({ "from": pick(&old), "to": pick(&new) }))
}
