//! Enrollment, verification and recovery codes (docs/enrollment.md).
//!
//! Every code check is one write transaction: the failure counter, the last accepted step and
//! a spent recovery code are committed with the answer, so two concurrent requests can never
//! both spend one code and a failed attempt is counted even though it fails.

use serde_json::json;
use zeroize::Zeroizing;

use crate::core::{Core, Ctx};
use crate::crypto;
use crate::error::{Error, Result, conflict, forbidden};
use crate::model::{
    Enrollment, MfaState, Outcome, Policy, RecoveryCodes, UnixTime, UserStatus, Verification, VerifyMethod,
};
use crate::policy::{self, state_of};
use crate::store::{Tx, UserRow};
use crate::totp;
use crate::validate;

/// Recovery codes issued at confirmation and on regeneration.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Which kinds of code a check accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    TotpOnly,
    TotpOrRecoveryCode,
}

/// A proof that did not pass is `forbidden` (docs/reset.md); throttling stays `rate_limited` so the
/// caller learns when to retry, and a NUL byte stays `invalid_input`.
pub(crate) fn proof_refusal(what: &str, err: Error) -> Error {
    match err {
        Error::InvalidCode(_) | Error::MfaNotEnabled(_) => {
            forbidden(format!("{what} is not a valid current code"))
        }
        other => other,
    }
}

fn wrong_code() -> Error {
    Error::InvalidCode("the code is wrong, expired or already used".into())
}

/// `rate_limited` while the user waits out the back-off; such a refusal is not counted.
fn throttled(row: &UserRow, now: UnixTime) -> Result<()> {
    match row.locked_until {
        Some(until) if now < until => Err(Error::RateLimited {
            message: format!("too many failed verifications for user {}", row.user.id),
            retry_after: (until - now) as u64,
        }),
        _ => Ok(()),
    }
}

/// Counts a wrong code (verify and confirmation share the counter) and starts or doubles the
/// back-off; returns the error to give, or the storage error that undoes the call.
fn count_failure(tx: &Tx, row: &UserRow, policy: &Policy, now: UnixTime) -> Error {
    let failed = row.failed_count.saturating_add(1);
    let locked_until = policy::lockout_after(failed, policy.max_failed_verifications, now);
    match tx.set_verify_state(&row.user.id, row.last_step, failed, locked_until) {
        Ok(()) => wrong_code(),
        Err(e) => e,
    }
}

impl Core {
    fn active_user(&self, tx: &Tx, ctx: &mut Ctx, id: &str) -> Result<UserRow> {
        let row = self.user_row(tx, id)?;
        ctx.org = Some(row.user.org.clone());
        if row.user.status == UserStatus::Disabled {
            return Err(Error::Unauthenticated(format!("user {id} is disabled")));
        }
        Ok(row)
    }

    /// Starts (or restarts) enrollment: a new 160-bit secret, replacing any pending one.
    /// Errors: `invalid_input`, `not_found`, `unauthenticated` (disabled), `conflict` (already
    /// enrolled), `forbidden` (locked out: only a reset reopens a window).
    pub fn begin_enrollment(&self, user: &str) -> Result<Enrollment> {
        let id = validate::id("user", user)?;
        self.store.write(|tx| {
            let now = self.now();
            let mut ctx = Ctx { actor: Some(&id), target: Some(&id), ..Ctx::new("mfa.enroll.begin") };
            let result = (|| {
                let row = self.active_user(tx, &mut ctx, &id)?;
                match state_of(&row, now) {
                    MfaState::Enrolled => return Err(conflict(format!("user {id} is already enrolled"))),
                    MfaState::LockedOut => {
                        return Err(forbidden(format!(
                            "user {id} is locked out: only a reset reopens enrollment"
                        )));
                    }
                    MfaState::NotEnrolled | MfaState::EnrollmentRequired => {}
                }
                let org = self.org_of(tx, &row.user.org)?;
                let secret = totp::new_secret()?;
                tx.set_pending_secret(&id, &self.keys.seal_secret(&id, &secret)?)?;
                self.append(tx, now, &ctx, Outcome::Success, None, json!({}))?;
                let secret_b32 = totp::secret_base32(&secret);
                let issuer = self.issuer.as_deref().unwrap_or(&org.name);
                let uri = totp::otpauth_uri(issuer, &row.user.email, &secret_b32);
                Ok(Enrollment { secret: secret_b32, uri })
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// Confirms the pending secret with a current code; the user is then `enrolled` and gets
    /// ten recovery codes, shown this once. Errors: `invalid_input`, `not_found`,
    /// `unauthenticated`, `conflict` (enrolled, or nothing pending), `forbidden` (locked out),
    /// `invalid_code`, `rate_limited`.
    ///
    /// Wrong codes are throttled exactly like [`Core::verify`] and share its counter (one count
    /// of consecutive failures per user): each is audited as a `failure`; from the org's
    /// `max_failed_verifications`-th on, every attempt is refused with `rate_limited` and a
    /// `retry_after` that doubles with each further failure, and refusals during the wait are
    /// not counted. Otherwise whoever holds a session during enrollment could guess the six
    /// digits of the pending secret and collect the recovery codes. Starting enrollment again
    /// does not clear the counter; a successful confirmation or a reset does.
    pub fn confirm_enrollment(&self, user: &str, code: &str) -> Result<RecoveryCodes> {
        let id = validate::id("user", user)?;
        validate::code_text("code", code)?;
        self.store.write(|tx| {
            let now = self.now();
            let mut ctx = Ctx { actor: Some(&id), target: Some(&id), ..Ctx::new("mfa.enroll.confirm") };
            let result = (|| {
                let row = self.active_user(tx, &mut ctx, &id)?;
                if row.confirmed {
                    return Err(conflict(format!("user {id} is already enrolled")));
                }
                let Some(sealed) = &row.secret else {
                    return Err(conflict(format!("user {id} has no pending enrollment")));
                };
                if state_of(&row, now) == MfaState::LockedOut {
                    return Err(forbidden(format!(
                        "user {id} is locked out: only a reset reopens enrollment"
                    )));
                }
                throttled(&row, now)?;
                let secret = self.keys.open_secret(&id, sealed)?;
                let step = match validate::is_totp_shape(code) {
                    true => totp::matching_step(&secret, code, now)?,
                    false => None,
                };
                let Some(step) = step else {
                    let org = self.org_of(tx, &row.user.org)?;
                    return Err(count_failure(tx, &row, &org.policy, now));
                };
                tx.confirm_secret(&id, step)?;
                let codes = self.issue_recovery_codes(tx, &id)?;
                self.append(
                    tx,
                    now,
                    &ctx,
                    Outcome::Success,
                    None,
                    json!({ "recovery_codes": codes.0.len() }),
                )?;
                Ok(codes)
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// Replaces all recovery codes, given a current TOTP code. Errors: as for
    /// [`Core::verify`].
    pub fn regenerate_recovery_codes(&self, user: &str, proof: &str) -> Result<RecoveryCodes> {
        let id = validate::id("user", user)?;
        validate::code_text("proof", proof)?;
        self.store.write(|tx| {
            let now = self.now();
            let mut ctx =
                Ctx { actor: Some(&id), target: Some(&id), ..Ctx::new("mfa.recovery_codes.regenerate") };
            let result = (|| {
                let row = self.active_user(tx, &mut ctx, &id)?;
                let org = self.org_of(tx, &row.user.org)?;
                self.check_code(tx, &row, &org.policy, proof, now, Accept::TotpOnly, true)?;
                let codes = self.issue_recovery_codes(tx, &id)?;
                self.append(
                    tx,
                    now,
                    &ctx,
                    Outcome::Success,
                    None,
                    json!({ "recovery_codes": codes.0.len() }),
                )?;
                Ok(codes)
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// Checks a sign-in code: a TOTP code for steps t-1, t, t+1 not at or before the last
    /// accepted step, or an unused recovery code (spent by this call). Errors: `invalid_input`
    /// (bad id, NUL byte), `not_found`, `unauthenticated` (disabled), `mfa_not_enabled`,
    /// `invalid_code`, `rate_limited` (after `max_failed_verifications` failures).
    pub fn verify(&self, user: &str, code: &str) -> Result<Verification> {
        let id = validate::id("user", user)?;
        validate::code_text("code", code)?;
        self.store.write_about(&[&id], |tx| {
            let now = self.now();
            let mut ctx = Ctx { actor: Some(&id), target: Some(&id), ..Ctx::new("mfa.verify") };
            let result = (|| {
                let row = self.active_user(tx, &mut ctx, &id)?;
                let org = self.org_of(tx, &row.user.org)?;
                let method =
                    self.check_code(tx, &row, &org.policy, code, now, Accept::TotpOrRecoveryCode, true)?;
                let recovery_codes_remaining = tx.recovery_codes_left(&id)?;
                let ctx = match method {
                    VerifyMethod::Totp => Ctx { org: ctx.org.clone(), ..Ctx::new("mfa.verify") },
                    VerifyMethod::RecoveryCode => {
                        Ctx { org: ctx.org.clone(), ..Ctx::new("mfa.recovery_code.use") }
                    }
                };
                let ctx = Ctx { actor: Some(&id), target: Some(&id), ..ctx };
                let detail =
                    json!({ "method": method, "recovery_codes_remaining": recovery_codes_remaining });
                self.append(tx, now, &ctx, Outcome::Success, None, detail)?;
                Ok(Verification { method, recovery_codes_remaining })
            })();
            self.audit_refusal(tx, now, &ctx, result)
        })
    }

    /// The one code check behind `verify`, proofs and step-up. A failure is always recorded
    /// (so a dry run cannot be used to guess codes); a success is recorded (the step or the
    /// recovery code spent, the counter cleared) only when `consume` is set.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_code(
        &self,
        tx: &Tx,
        row: &UserRow,
        policy: &Policy,
        code: &str,
        now: UnixTime,
        accept: Accept,
        consume: bool,
    ) -> Result<VerifyMethod> {
        validate::code_text("code", code)?;
        let id = &row.user.id;
        let (true, Some(sealed)) = (row.confirmed, &row.secret) else {
            return Err(Error::MfaNotEnabled(format!("user {id} has no confirmed TOTP")));
        };
        throttled(row, now)?;

        let matched = if validate::is_totp_shape(code) {
            let secret = self.keys.open_secret(id, sealed)?;
            totp::matching_step(&secret, code, now)?
                .filter(|step| row.last_step.is_none_or(|last| *step > last))
                .map(|step| (VerifyMethod::Totp, Some(step)))
        } else if let (Accept::TotpOrRecoveryCode, Some(normal)) =
            (accept, crypto::normalize_recovery_code(code))
        {
            let hash = self.keys.hash_recovery_code(id, &normal);
            let unused = if consume {
                tx.use_recovery_code(id, &hash, now)?
            } else {
                tx.recovery_code_unused(id, &hash)?
            };
            unused.then_some((VerifyMethod::RecoveryCode, row.last_step))
        } else {
            None
        };

        match matched {
            Some((method, last_step)) => {
                if consume {
                    tx.set_verify_state(id, last_step, 0, None)?;
                }
                Ok(method)
            }
            None => Err(count_failure(tx, row, policy, now)),
        }
    }

    fn issue_recovery_codes(&self, tx: &Tx, id: &str) -> Result<RecoveryCodes> {
        let codes =
            (0..RECOVERY_CODE_COUNT).map(|_| crypto::new_recovery_code()).collect::<Result<Vec<_>>>()?;
        let hashes: Zeroizing<Vec<[u8; 32]>> =
            Zeroizing::new(codes.iter().map(|c| self.keys.hash_recovery_code(id, c)).collect());
        tx.replace_recovery_codes(id, &hashes)?;
        Ok(RecoveryCodes(codes))
    }
}
