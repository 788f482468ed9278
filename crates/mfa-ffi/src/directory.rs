//! Orgs and users (docs/directory.md).

use std::ffi::c_char;

use mfa::{Policy, PolicyChanges};

use crate::error::mfa_status;
use crate::handle::{core_ref, mfa_core};
use crate::lists::{mfa_org_list, mfa_user_list, org_list, user_list};
use crate::panic::guard;
use crate::sized::{Sized, field_or, struct_size};
use crate::strings::{arg, opt_arg, out, out_opt};
use crate::types::{RoleArg, mfa_org, mfa_policy, mfa_user, org_from, policy_in, user_from};

/// Fills `policy` with the documented defaults. NULL does nothing.
///
/// # Safety
/// `policy` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_policy_init(policy: *mut mfa_policy) {
    // SAFETY: the caller promises NULL or valid for writes.
    if let Some(p) = unsafe { policy.as_mut() } {
        *p = Policy::default().into();
    }
}

/// Creates an org; `policy` NULL means the defaults. Errors: `MFA_ERR_INVALID_INPUT` (also a
/// policy not set up by `mfa_policy_init`).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_create_org(
    core: *const mfa_core,
    name: *const c_char,
    policy: *const mfa_policy,
    out_org: *mut mfa_org,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let name = unsafe { arg(name, "name") }?;
        // SAFETY: the caller promises NULL or a valid policy.
        let policy = unsafe { policy_in(policy) }?;
        let slot = unsafe { out(out_org, "out_org") }?;
        *slot = org_from(&core.create_org(name, policy)?)?;
        Ok(())
    })
}

/// One org. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_get_org(
    core: *const mfa_core,
    org: *const c_char,
    out_org: *mut mfa_org,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let org = unsafe { arg(org, "org") }?;
        let slot = unsafe { out(out_org, "out_org") }?;
        *slot = org_from(&core.get_org(org)?)?;
        Ok(())
    })
}

/// Every org; free the list with `mfa_org_list_free`.
///
/// # Safety
/// Pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_list_orgs(core: *const mfa_core, out_list: *mut mfa_org_list) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let slot = unsafe { out(out_list, "out_list") }?;
        *slot = org_list(&core.list_orgs()?)?;
        Ok(())
    })
}

/// Creates a user. Errors: `MFA_ERR_INVALID_INPUT` (also a `role` outside `mfa_role`),
/// `MFA_ERR_NOT_FOUND` (org), `MFA_ERR_CONFLICT` (email taken in the org, in any case).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_create_user(
    core: *const mfa_core,
    org: *const c_char,
    email: *const c_char,
    role: RoleArg,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (org, email) = (unsafe { arg(org, "org") }?, unsafe { arg(email, "email") }?);
        let role = role.role()?;
        let slot = unsafe { out(out_user, "out_user") }?;
        *slot = user_from(&core.create_user(org, email, role)?)?;
        Ok(())
    })
}

/// One user. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_get_user(
    core: *const mfa_core,
    user: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let user = unsafe { arg(user, "user") }?;
        let slot = unsafe { out(out_user, "out_user") }?;
        *slot = user_from(&core.get_user(user)?)?;
        Ok(())
    })
}

/// A user by email (any case) in an org. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_find_user_by_email(
    core: *const mfa_core,
    org: *const c_char,
    email: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (org, email) = (unsafe { arg(org, "org") }?, unsafe { arg(email, "email") }?);
        let slot = unsafe { out(out_user, "out_user") }?;
        *slot = user_from(&core.find_user_by_email(org, email)?)?;
        Ok(())
    })
}

/// The users of an org, by email; free the list with `mfa_user_list_free`. Errors:
/// `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_list_users(
    core: *const mfa_core,
    org: *const c_char,
    out_list: *mut mfa_user_list,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let org = unsafe { arg(org, "org") }?;
        let slot = unsafe { out(out_list, "out_list") }?;
        *slot = user_list(&core.list_users(org)?)?;
        Ok(())
    })
}

/// Changes a user's role (a value outside `mfa_role` is `MFA_ERR_INVALID_INPUT`); `actor_proof` (NULL if none) is the
/// actor's current code under `require_step_up`. `out_user` may be NULL. Errors:
/// `MFA_ERR_INVALID_INPUT`, `MFA_ERR_UNAUTHENTICATED`, `MFA_ERR_NOT_FOUND`,
/// `MFA_ERR_FORBIDDEN`, `MFA_ERR_CONFLICT` (last owner), `MFA_ERR_RATE_LIMITED` (step-up code
/// throttled).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_set_role(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    role: RoleArg,
    actor_proof: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let proof = unsafe { opt_arg(actor_proof, "actor_proof") }?;
        let role = role.role()?;
        let user = user_from(&core.set_role(actor, target, role, proof)?)?;
        unsafe { out_opt(out_user, user) };
        Ok(())
    })
}

/// Disables a user. Errors as for `mfa_set_role`. `out_user` may be NULL.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_disable_user(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    actor_proof: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let proof = unsafe { opt_arg(actor_proof, "actor_proof") }?;
        let user = user_from(&core.disable_user(actor, target, proof)?)?;
        unsafe { out_opt(out_user, user) };
        Ok(())
    })
}

/// Enables a disabled user. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_UNAUTHENTICATED`,
/// `MFA_ERR_NOT_FOUND`, `MFA_ERR_FORBIDDEN`. `out_user` may be NULL.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_enable_user(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let user = user_from(&core.enable_user(actor, target)?)?;
        unsafe { out_opt(out_user, user) };
        Ok(())
    })
}

/// A change to an org's policy for `mfa_update_policy`: only the fields whose `has_` flag is
/// set change; a value set without its flag (nonzero or true) is `MFA_ERR_INVALID_INPUT`,
/// never silently ignored. `mfa_policy_changes_init` clears every flag and sets `struct_size`:
/// always call it first, as later versions append fields.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_policy_changes {
    /// `sizeof(mfa_policy_changes)`, set by `mfa_policy_changes_init`; 0 is refused.
    pub struct_size: u32,
    pub has_mfa_required: bool,
    pub mfa_required: bool,
    pub has_enrollment_window: bool,
    /// Seconds, 1 to 31536000.
    pub enrollment_window: u64,
    pub has_reset_limit_per_hour: bool,
    pub reset_limit_per_hour: u32,
    pub has_max_failed_verifications: bool,
    pub max_failed_verifications: u32,
    pub has_require_step_up: bool,
    pub require_step_up: bool,
}

/// One field of a policy change: the value with its flag, `None` without it, and an error for
/// a value set without its flag.
fn flagged<V: PartialEq + Default>(has: bool, value: V, name: &str) -> Result<Option<V>, mfa::Error> {
    if has {
        Ok(Some(value))
    } else if value != V::default() {
        Err(mfa::Error::InvalidInput(format!(
            "mfa_policy_changes.{name} is set but has_{name} is false: set has_{name} to change it"
        )))
    } else {
        Ok(None)
    }
}

/// The core's changes from a host's struct; the fields an older host's shorter struct lacks
/// do not change.
///
/// # Safety
/// `changes` is non-NULL and a struct of at least its `struct_size` bytes.
unsafe fn changes_in(changes: *const mfa_policy_changes) -> Result<PolicyChanges, mfa::Error> {
    type T = mfa_policy_changes;
    // SAFETY: the caller promises a valid struct.
    let c = unsafe { Sized::new(changes, "mfa_policy_changes") }?;
    Ok(PolicyChanges {
        mfa_required: flagged(
            field_or!(c, T, has_mfa_required, false),
            field_or!(c, T, mfa_required, false),
            "mfa_required",
        )?,
        enrollment_window: flagged(
            field_or!(c, T, has_enrollment_window, false),
            field_or!(c, T, enrollment_window, 0),
            "enrollment_window",
        )?,
        reset_limit_per_hour: flagged(
            field_or!(c, T, has_reset_limit_per_hour, false),
            field_or!(c, T, reset_limit_per_hour, 0),
            "reset_limit_per_hour",
        )?,
        max_failed_verifications: flagged(
            field_or!(c, T, has_max_failed_verifications, false),
            field_or!(c, T, max_failed_verifications, 0),
            "max_failed_verifications",
        )?,
        require_step_up: flagged(
            field_or!(c, T, has_require_step_up, false),
            field_or!(c, T, require_step_up, false),
            "require_step_up",
        )?,
    })
}

/// Fills `changes` with no change at all (every `has_` flag false). NULL does nothing.
///
/// # Safety
/// `changes` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_policy_changes_init(changes: *mut mfa_policy_changes) {
    // SAFETY: the caller promises NULL or valid for writes.
    if let Some(c) = unsafe { changes.as_mut() } {
        *c = mfa_policy_changes {
            struct_size: struct_size::<mfa_policy_changes>(),
            has_mfa_required: false,
            mfa_required: false,
            has_enrollment_window: false,
            enrollment_window: 0,
            has_reset_limit_per_hour: false,
            reset_limit_per_hour: 0,
            has_max_failed_verifications: false,
            max_failed_verifications: 0,
            has_require_step_up: false,
            require_step_up: false,
        };
    }
}

/// Changes the fields of `org`'s policy that `changes` flags; only an owner of the org may.
/// `actor_proof` (NULL if none) is the owner's current code under `require_step_up`. A shorter
/// enrollment window applies to users created or reset afterwards. `out_org` (may be NULL)
/// receives the org with its new policy. Errors: `MFA_ERR_INVALID_INPUT` (NULL `changes`, not
/// set up by `mfa_policy_changes_init`, a value without its flag, no field flagged, a bad value), `MFA_ERR_UNAUTHENTICATED`, `MFA_ERR_NOT_FOUND` (the org, or an
/// org other than the actor's), `MFA_ERR_FORBIDDEN` (not an owner; step-up),
/// `MFA_ERR_RATE_LIMITED` (step-up code throttled).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_update_policy(
    core: *const mfa_core,
    actor: *const c_char,
    org: *const c_char,
    changes: *const mfa_policy_changes,
    actor_proof: *const c_char,
    out_org: *mut mfa_org,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, org) = (unsafe { arg(actor, "actor") }?, unsafe { arg(org, "org") }?);
        if changes.is_null() {
            return Err(mfa::Error::InvalidInput("changes is NULL".into()));
        }
        // SAFETY: the caller promises a valid struct.
        let changes = unsafe { changes_in(changes) }?;
        let proof = unsafe { opt_arg(actor_proof, "actor_proof") }?;
        let org = org_from(&core.update_policy(actor, org, &changes, proof)?)?;
        unsafe { out_opt(out_org, org) };
        Ok(())
    })
}

/// Deletes a user who left, under the rules of `mfa_disable_user`: their secret and recovery
/// codes are destroyed and the row removed; the audit trail keeps the id, and the email can
/// be used again. Errors as for `mfa_set_role`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_delete_user(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    actor_proof: *const c_char,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let proof = unsafe { opt_arg(actor_proof, "actor_proof") }?;
        core.delete_user(actor, target, proof)?;
        Ok(())
    })
}

/// Changes a user's email, under the rules of `mfa_disable_user`; the audit event records the
/// old and the new email. `out_user` may be NULL. Errors as for `mfa_set_role`, and
/// `MFA_ERR_CONFLICT` when another user of the org has that email (in any case).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_rename_user(
    core: *const mfa_core,
    actor: *const c_char,
    target: *const c_char,
    new_email: *const c_char,
    actor_proof: *const c_char,
    out_user: *mut mfa_user,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (actor, target) = (unsafe { arg(actor, "actor") }?, unsafe { arg(target, "target") }?);
        let email = unsafe { arg(new_email, "new_email") }?;
        let proof = unsafe { opt_arg(actor_proof, "actor_proof") }?;
        let user = user_from(&core.rename_user(actor, target, email, proof)?)?;
        unsafe { out_opt(out_user, user) };
        Ok(())
    })
}
