//! Enrollment, verification and recovery codes (docs/enrollment.md).

use std::ffi::c_char;

use mfa::{Error, totp};

use crate::error::mfa_status;
use crate::handle::{core_ref, mfa_core};
use crate::panic::{guard, quietly};
use crate::strings::{arg, copy_into, free_secret, out, out_opt, owned};
use crate::types::{
    MFA_SECRET_LEN, codes_from, mfa_recovery_codes, mfa_user_mfa_status, mfa_verification, status_from,
    verification_from,
};

/// A pending enrollment: show it to the user once, then free it with `mfa_enrollment_free`,
/// which also wipes the secret.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_enrollment {
    /// Base32 secret, for manual entry.
    pub secret: [c_char; MFA_SECRET_LEN],
    /// `otpauth://` URI for a QR code (contains the secret). Owned: freed by
    /// `mfa_enrollment_free`.
    pub uri: *mut c_char,
}

/// Starts (or restarts) enrollment. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`,
/// `MFA_ERR_UNAUTHENTICATED` (disabled), `MFA_ERR_CONFLICT` (enrolled), `MFA_ERR_FORBIDDEN`
/// (locked out).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_begin_enrollment(
    core: *const mfa_core,
    user: *const c_char,
    out_enrollment: *mut mfa_enrollment,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let user = unsafe { arg(user, "user") }?;
        let slot = unsafe { out(out_enrollment, "out_enrollment") }?;
        let e = core.begin_enrollment(user)?;
        let mut secret = [0 as c_char; MFA_SECRET_LEN];
        copy_into(&mut secret, &e.secret)?;
        *slot = mfa_enrollment { secret, uri: owned(&e.uri)? };
        Ok(())
    })
}

/// Wipes and frees what an enrollment holds (not the struct itself). NULL does nothing;
/// calling it twice is safe.
///
/// # Safety
/// `enrollment` is NULL or filled by `mfa_begin_enrollment`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_enrollment_free(enrollment: *mut mfa_enrollment) {
    // SAFETY: the caller promises NULL or a filled struct.
    if let Some(e) = unsafe { enrollment.as_mut() } {
        quietly(|| {
            unsafe { free_secret(e.uri) };
            e.uri = std::ptr::null_mut();
            zeroize::Zeroize::zeroize(&mut e.secret);
        });
    }
}

/// Wipes recovery codes once shown. NULL does nothing.
///
/// # Safety
/// `codes` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_recovery_codes_clear(codes: *mut mfa_recovery_codes) {
    // SAFETY: the caller promises NULL or valid for writes.
    if let Some(c) = unsafe { codes.as_mut() } {
        quietly(|| {
            for code in &mut c.codes {
                zeroize::Zeroize::zeroize(code);
            }
            c.count = 0;
        });
    }
}

/// Confirms the pending secret with a current code and writes the ten recovery codes.
/// Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`, `MFA_ERR_UNAUTHENTICATED`,
/// `MFA_ERR_CONFLICT`, `MFA_ERR_FORBIDDEN`, `MFA_ERR_INVALID_CODE`, `MFA_ERR_RATE_LIMITED` (wrong
/// codes are throttled like `mfa_verify` and share its counter).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_confirm_enrollment(
    core: *const mfa_core,
    user: *const c_char,
    code: *const c_char,
    out_codes: *mut mfa_recovery_codes,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (user, code) = (unsafe { arg(user, "user") }?, unsafe { arg(code, "code") }?);
        let slot = unsafe { out(out_codes, "out_codes") }?;
        *slot = codes_from(&core.confirm_enrollment(user, code)?.0)?;
        Ok(())
    })
}

/// Replaces all recovery codes, given a current TOTP code. Errors as for `mfa_verify`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_regenerate_recovery_codes(
    core: *const mfa_core,
    user: *const c_char,
    proof: *const c_char,
    out_codes: *mut mfa_recovery_codes,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (user, proof) = (unsafe { arg(user, "user") }?, unsafe { arg(proof, "proof") }?);
        let slot = unsafe { out(out_codes, "out_codes") }?;
        *slot = codes_from(&core.regenerate_recovery_codes(user, proof)?.0)?;
        Ok(())
    })
}

/// Checks a sign-in code (TOTP or an unused recovery code). `out_verification` may be NULL.
/// Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`, `MFA_ERR_UNAUTHENTICATED`,
/// `MFA_ERR_MFA_NOT_ENABLED`, `MFA_ERR_INVALID_CODE`, `MFA_ERR_RATE_LIMITED` (see
/// `mfa_last_error_retry_after`).
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_verify(
    core: *const mfa_core,
    user: *const c_char,
    code: *const c_char,
    out_verification: *mut mfa_verification,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let (user, code) = (unsafe { arg(user, "user") }?, unsafe { arg(code, "code") }?);
        let v = verification_from(&core.verify(user, code)?);
        unsafe { out_opt(out_verification, v) };
        Ok(())
    })
}

/// A user's MFA state. Errors: `MFA_ERR_INVALID_INPUT`, `MFA_ERR_NOT_FOUND`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_get_mfa_status(
    core: *const mfa_core,
    user: *const c_char,
    out_status: *mut mfa_user_mfa_status,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let user = unsafe { arg(user, "user") }?;
        let slot = unsafe { out(out_status, "out_status") }?;
        *slot = status_from(&core.mfa_status(user)?)?;
        Ok(())
    })
}

/// The six-digit code an authenticator app shows at `unix_time` for a base32 secret: for
/// tests and for hosts that enroll service accounts. `out_code` receives 6 digits and a NUL
/// (7 bytes). Errors: `MFA_ERR_INVALID_INPUT` (a NULL, non-UTF-8 or non-base32 secret, a
/// secret under 128 bits, `unix_time` outside 0 to 253402300799).
///
/// # Safety
/// `secret_base32` is NULL or NUL-terminated; `out_code` is NULL or 7 writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_totp_code(
    secret_base32: *const c_char,
    unix_time: i64,
    out_code: *mut c_char,
) -> mfa_status {
    guard(|| {
        let secret = totp::decode_base32(unsafe { arg(secret_base32, "secret_base32") }?)?;
        if !(mfa::MIN_UNIX_TIME..=mfa::MAX_UNIX_TIME).contains(&unix_time) {
            return Err(Error::InvalidInput(format!(
                "unix_time must be {} to {}, got {unix_time}",
                mfa::MIN_UNIX_TIME,
                mfa::MAX_UNIX_TIME
            )));
        }
        let slot = unsafe { out(out_code.cast::<[c_char; 7]>(), "out_code") }?;
        copy_into(slot, &totp::code_for_step(&secret, totp::step_at(unix_time))?)
    })
}
