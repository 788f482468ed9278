//! `reset_mfa` and `reset_mfa_many` (docs/reset.md).

use serde_json::json;

use crate::core::{Core, Ctx};
use crate::enrollment::{Accept, proof_refusal};
use crate::error::{Error, Result, forbidden, invalid};
use crate::model::{MfaState, Outcome, ResetOptions, ResetReceipt, UnixTime, UserStatus};
use crate::policy::{self, state_of};
use crate::store::Tx;
use crate::validate;

/// Targets per transaction in `reset_mfa_many`; each target still has its own savepoint.
const BULK_BATCH: usize = 256;

/// Options after rule 1: every value checked once, before any storage work.
struct Checked<'a> {
    window: Option<u64>,
    reason: Option<String>,
    dry_run: bool,
    proof: Option<&'a str>,
    actor_proof: Option<&'a str>,
}

fn check_options(o: &ResetOptions) -> Result<Checked<'_>> {
    for (what, p) in [("proof", &o.proof), ("actor_proof", &o.actor_proof)] {
        if let Some(p) = p {
            validate::code_text(what, p)?;
        }
    }
    Ok(Checked {
        window: o.window.map(validate::window).transpose()?,
        reason: validate::reason(o.reason.as_deref())?,
        dry_run: o.dry_run,
        proof: o.proof.as_deref(),
        actor_proof: o.actor_proof.as_deref(),
    })
}

impl Core {
    /// Resets `target`'s MFA on behalf of `actor` (docs/reset.md): the secret is destroyed, recovery
    /// codes stop working, the user must enroll before `now + window`, and `credential_epoch`
    /// increments, all in one transaction with one `mfa.reset` audit event.
    ///
    /// Rules, in this order: `invalid_input` (malformed id or option); `unauthenticated`
    /// (actor missing or disabled); `not_found` (target missing or in another org);
    /// `forbidden` (self-reset without a valid `proof`, a role that may not, or a missing or
    /// wrong `actor_proof` under `require_step_up`); `mfa_not_enabled` (target
    /// `not_enrolled`); `rate_limited` (the actor's hourly limit, with `retry_after`).
    /// Refusals after rule 1 are audited as `denied`, except in a dry run, which records
    /// nothing.
    pub fn reset_mfa(&self, actor: &str, target: &str, options: &ResetOptions) -> Result<ResetReceipt> {
        let actor = validate::id("actor", actor)?;
        let target = validate::id("target", target)?;
        let options = check_options(options)?;
        self.store.write_about(&[&actor, &target], |tx| self.reset_in(tx, &actor, &target, &options, false))
    }

    /// Resets many targets (up to 10,000) for one actor and returns one outcome per target,
    /// in order. Each target is all-or-nothing on its own, so one refusal does not undo the
    /// others; the actor's hourly limit applies across the run. Under `require_step_up` the
    /// `actor_proof` is checked once for the whole run. Errors for the whole call:
    /// `invalid_input` (options, too many targets) and, for step-up, what `reset_mfa` gives.
    pub fn reset_mfa_many<S: AsRef<str>>(
        &self,
        actor: &str,
        targets: &[S],
        options: &ResetOptions,
    ) -> Result<Vec<Result<ResetReceipt>>> {
        let actor = validate::id("actor", actor)?;
        if targets.len() > validate::MAX_BULK_TARGETS {
            return Err(invalid(format!(
                "at most {} targets per call, got {}",
                validate::MAX_BULK_TARGETS,
                targets.len()
            )));
        }
        let options = check_options(options)?;
        self.store.write(|tx| self.bulk_step_up(tx, &actor, &options))?;

        let mut outcomes = Vec::with_capacity(targets.len());
        for chunk in targets.chunks(BULK_BATCH) {
            let ids: Vec<Result<String>> = chunk.iter().map(|t| validate::id("target", t.as_ref())).collect();
            let batch = self.store.write(|tx| {
                let mut done = Vec::with_capacity(ids.len());
                for id in &ids {
                    let outcome = match id {
                        Ok(target) => tx.savepoint(|tx| self.reset_in(tx, &actor, target, &options, true)),
                        Err(e) => Err(e.clone()),
                    };
                    if let Err(e @ (Error::Storage(_) | Error::Internal(_))) = &outcome {
                        return Err(e.clone());
                    }
                    done.push(outcome);
                }
                Ok(done)
            });
            match batch {
                Ok(done) => outcomes.extend(done),
                // The batch was undone: every target in it reports why.
                Err(e) => outcomes.extend(chunk.iter().map(|_| Err(e.clone()))),
            }
        }
        Ok(outcomes)
    }

    /// Step-up for a bulk run, checked (and the code spent) once, before any target.
    fn bulk_step_up(&self, tx: &Tx, actor: &str, o: &Checked) -> Result<()> {
        let now = self.now();
        let mut ctx = Ctx { actor: Some(actor), reason: o.reason.as_deref(), ..Ctx::new("mfa.reset") };
        let result = (|| {
            // A missing or disabled actor is refused per target (rule 2), not here.
            let Some(a) = tx.user(actor)?.filter(|a| a.user.status == UserStatus::Active) else {
                return Ok(());
            };
            ctx.org = Some(a.user.org.clone());
            let org = self.org_of(tx, &a.user.org)?;
            self.step_up(tx, now, &a, &org.policy, o.actor_proof, !o.dry_run)
        })();
        if o.dry_run {
            return result;
        }
        self.audit_refusal(tx, now, &ctx, result)
    }

    /// One reset inside the caller's transaction: rules 2 to 7, then the effects.
    fn reset_in(
        &self,
        tx: &Tx,
        actor: &str,
        target: &str,
        o: &Checked,
        step_up_done: bool,
    ) -> Result<ResetReceipt> {
        let now = self.now();
        let mut ctx = Ctx {
            actor: Some(actor),
            target: Some(target),
            reason: o.reason.as_deref(),
            ..Ctx::new("mfa.reset")
        };
        let result = self.reset_rules(tx, &mut ctx, now, o, step_up_done);
        if o.dry_run {
            return result;
        }
        self.audit_refusal(tx, now, &ctx, result)
    }

    fn reset_rules(
        &self,
        tx: &Tx,
        ctx: &mut Ctx,
        now: UnixTime,
        o: &Checked,
        step_up_done: bool,
    ) -> Result<ResetReceipt> {
        let (actor, target) = (ctx.actor.unwrap_or_default(), ctx.target.unwrap_or_default());
        // Rules 2 and 3.
        let (a, t, org) = self.actor_and_target(tx, ctx, actor, target)?;
        let consume = !o.dry_run;
        let mut detail = json!({});
        if actor == target {
            // Rule 4: a self-reset needs the user's own current code or a recovery code.
            let Some(proof) = o.proof else {
                return Err(forbidden("a self-reset needs a proof: a current code or a recovery code"));
            };
            let method = self
                .check_code(tx, &t, &org.policy, proof, now, Accept::TotpOrRecoveryCode, consume)
                .map_err(|e| proof_refusal("proof", e))?;
            detail["proof"] = json!(method);
        } else {
            // Rule 5, then step-up (a stolen session alone cannot strip a second factor).
            policy::may_manage(a.user.role, t.user.role)?;
            if !step_up_done {
                self.step_up(tx, now, &a, &org.policy, o.actor_proof, consume)?;
            }
        }
        // Rule 6.
        let previous_state = state_of(&t, now);
        if previous_state == MfaState::NotEnrolled {
            return Err(Error::MfaNotEnabled(format!("user {target} has nothing enrolled")));
        }
        // Rule 7.
        let limit = org.policy.reset_limit_per_hour;
        let nth = tx.nth_recent_reset(actor, limit)?;
        if let Some(retry_after) = policy::reset_wait(nth, now) {
            return Err(Error::RateLimited {
                message: format!("actor {actor} made {limit} resets in the last hour"),
                retry_after,
            });
        }

        let window = o.window.unwrap_or(org.policy.enrollment_window);
        let deadline = validate::deadline(now, window)?;
        let mut receipt = ResetReceipt {
            target: target.to_string(),
            previous_state,
            state: MfaState::EnrollmentRequired,
            deadline,
            credential_epoch: t.user.credential_epoch + 1,
            audit_seq: None,
            dry_run: o.dry_run,
        };
        if o.dry_run {
            return Ok(receipt);
        }
        receipt.credential_epoch = tx.clear_mfa(target, deadline)?;
        tx.record_reset(actor, now)?;
        detail["previous_state"] = json!(previous_state);
        detail["deadline"] = json!(deadline);
        detail["window"] = json!(window);
        detail["credential_epoch"] = json!(receipt.credential_epoch);
        receipt.audit_seq = Some(self.append(tx, now, ctx, Outcome::Success, None, detail)?);
        Ok(receipt)
    }
}
