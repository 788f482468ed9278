//! Orgs and users (docs/directory.md).

use std::ffi::c_char;

use mfa::Policy;

use crate::error::mfa_status;
use crate::handle::{core_ref, mfa_core};
use crate::lists::{mfa_org_list, mfa_user_list, org_list, user_list};
use crate::panic::guard;
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
