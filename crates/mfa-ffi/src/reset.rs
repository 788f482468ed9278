//! `reset_mfa` and its bulk form (docs/reset.md).

use std::ffi::c_char;

use mfa::{Error, ResetOptions};

use crate::error::mfa_status;
use crate::handle::{core_ref, mfa_core};
use crate::lists::{bulk_list, mfa_bulk_outcome_list};
use crate::panic::guard;
use crate::sized::{Sized, field_or, struct_size};
use crate::strings::{arg, opt_arg, out, out_opt};
use crate::types::{mfa_receipt, receipt_from};

/// Options of `mfa_reset_mfa` and `mfa_reset_mfa_many`; `mfa_reset_options_init` sets the
/// defaults (the org's window, no reason, a real reset, no proofs). Always call it first: it
/// sets `struct_size`, and later versions append fields. Strings are borrowed for the call.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_reset_options {
    /// `sizeof(mfa_reset_options)`, set by `mfa_reset_options_init`; 0 is refused.
    pub struct_size: u32,
    /// Whether `window` is set; otherwise the org's `enrollment_window` applies. A nonzero
    /// `window` without `has_window` is `MFA_ERR_INVALID_INPUT`, never silently ignored.
    pub has_window: bool,
    /// Enrollment window in seconds, 1 to 31536000; read only with `has_window`.
    pub window: u64,
    /// Why, up to 1,000 characters, stored in the audit event; NULL for none.
    pub reason: *const c_char,
    /// Check everything, change and record nothing.
    pub dry_run: bool,
    /// The target's current code or an unused recovery code: needed only for self-reset.
    pub proof: *const c_char,
    /// The actor's own current code: needed only under `require_step_up`.
    pub actor_proof: *const c_char,
}

/// Fills `options` with the defaults. NULL does nothing.
///
/// # Safety
/// `options` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_reset_options_init(options: *mut mfa_reset_options) {
    // SAFETY: the caller promises NULL or valid for writes.
    if let Some(o) = unsafe { options.as_mut() } {
        *o = mfa_reset_options {
            struct_size: struct_size::<mfa_reset_options>(),
            has_window: false,
            window: 0,
            reason: std::ptr::null(),
            dry_run: false,
            proof: std::ptr::null(),
            actor_proof: std::ptr::null(),
        };
    }
}

/// The core's options from C's; NULL means the defaults.
///
/// # Safety
/// `options` is NULL or a struct of at least its `struct_size` bytes, with NULL or
/// NUL-terminated strings.
unsafe fn options_in(options: *const mfa_reset_options) -> Result<ResetOptions, Error> {
    if options.is_null() {
        return Ok(ResetOptions::default());
    }
    type T = mfa_reset_options;
    // SAFETY: the caller promises a valid struct.
    let o = unsafe { Sized::new(options, "mfa_reset_options") }?;
    let text = |p, what| unsafe { opt_arg(p, what) }.map(|s| s.map(str::to_string));
    let has_window = field_or!(o, T, has_window, false);
    let window = field_or!(o, T, window, 0);
    if window != 0 && !has_window {
        return Err(Error::InvalidInput(format!(
            "mfa_reset_options.window is {window} but has_window is false: set has_window to use it"
        )));
    }
    Ok(ResetOptions {
        window: has_window.then_some(window),
        reason: text(field_or!(o, T, reason, std::ptr::null()), "reason")?,
        dry_run: field_or!(o, T, dry_run, false),
        proof: text(field_or!(o, T, proof, std::ptr::null()), "proof")?,
        actor_proof: text(field_or!(o, T, actor_proof, std::ptr::null()), "actor_proof")?,
    })
}

/// Resets `target`'s MFA on behalf of `actor` (both user ids): the secret is destroyed,
/// recovery codes stop working, the user must enroll before `now + window`, and
/// `credential_epoch` increments (end the user's sessions when it changes). `options` may be
/// NULL for the defaults; `out_receipt` may be NULL.
///
/// Errors, in the documented order: `MFA_ERR_INVALID_INPUT` (NULL, non-UTF-8, malformed id or
/// option), `MFA_ERR_UNAUTHENTICATED` (actor missing or disabled), `MFA_ERR_NOT_FOUND`
/// (target missing or in another org), `MFA_ERR_FORBIDDEN` (self-reset without a valid
/// `proof`, a role that may not, a missing or wrong `actor_proof` under step-up),
/// `MFA_ERR_MFA_NOT_ENABLED` (target not enrolled), `MFA_ERR_RATE_LIMITED` (the actor's hourly
/// limit; see `mfa_last_error_retry_after`), `MFA_ERR_STORAGE`. Refusals after the first rule
/// are audited as denied, except in a dry run, which records nothing.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_reset_mfa(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    options: *const mfa_reset_options,
    out_receipt: *mut mfa_receipt,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let options = unsafe { options_in(options) }?;
        let receipt = receipt_from(&core.reset_mfa(actor, target, &options)?)?;
        unsafe { out_opt(out_receipt, receipt) };
        Ok(())
    })
}

/// Resets each of `targets` (`targets_len` user ids) with the same options, each in its own
/// transaction, and writes one outcome per target, in order, to `*out_list` (free it with
/// `mfa_bulk_outcome_list_free`). The call itself fails only on bad arguments (NULL, a
/// non-UTF-8 id, more than 10,000 targets, checked before `targets` is read, a bad option:
/// `MFA_ERR_INVALID_INPUT`) or, under `require_step_up`, on an `actor_proof` that is missing or
/// wrong (`MFA_ERR_FORBIDDEN`, or `MFA_ERR_RATE_LIMITED` while the actor is throttled), checked
/// once for the whole run; then nothing is reset. Each target's own error is in its outcome.
/// `targets` may be NULL when `targets_len` is 0.
///
/// # Safety
/// `targets` points to `targets_len` NUL-terminated strings; other pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_reset_mfa_many(
    core: *const mfa_core,
    actor: *const c_char,
    targets: *const *const c_char,
    targets_len: usize,
    options: *const mfa_reset_options,
    out_list: *mut mfa_bulk_outcome_list,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let actor = unsafe { arg(actor, "actor") }?;
        // Checked before the array is touched: a wrong length must not make this read far
        // beyond what the caller passed.
        if targets_len > mfa::MAX_BULK_TARGETS {
            return Err(Error::InvalidInput(format!(
                "at most {} targets per call, got {targets_len}",
                mfa::MAX_BULK_TARGETS
            )));
        }
        let targets: Vec<&str> = if targets_len == 0 {
            Vec::new()
        } else if targets.is_null() {
            return Err(Error::InvalidInput("targets is NULL".into()));
        } else {
            // SAFETY: the caller promises `targets_len` readable pointers.
            let ptrs = unsafe { std::slice::from_raw_parts(targets, targets_len) };
            ptrs.iter()
                .enumerate()
                .map(|(i, p)| unsafe { arg(*p, &format!("targets[{i}]")) })
                .collect::<Result<_, _>>()?
        };
        let options = unsafe { options_in(options) }?;
        let slot = unsafe { out(out_list, "out_list") }?;
        *slot = bulk_list(&core.reset_mfa_many(actor, &targets, &options)?)?;
        Ok(())
    })
}
