//! The audit trail: reading, checkpoints and verification (docs/audit.md).

use std::ffi::c_char;

use mfa::{AuditQuery, Checkpoint, Error};

use crate::error::mfa_status;
use crate::handle::{core_ref, mfa_core};
use crate::lists::{event_list, mfa_audit_event_list};
use crate::panic::guard;
use crate::sized::{Sized, field_or, struct_size};
use crate::strings::{arg, opt_arg, out, out_opt};
use crate::types::{MFA_MAC_LEN, checkpoint_from, mfa_audit_report, mfa_checkpoint, report_from};

/// A page of the audit trail; `mfa_audit_query_init` sets the defaults (from the start, 100
/// events, no filter). Always call it first: it sets `struct_size`, and later versions append
/// fields. Strings are borrowed for the call; NULL means no filter.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_audit_query {
    /// `sizeof(mfa_audit_query)`, set by `mfa_audit_query_init`; 0 is refused.
    pub struct_size: u32,
    /// Only events with `seq > after_seq`.
    pub after_seq: u64,
    /// 1 to 10000.
    pub limit: u32,
    pub actor: *const c_char,
    pub target: *const c_char,
    /// An action such as `"mfa.reset"`.
    pub action: *const c_char,
}

/// The page size `mfa_audit_query_init` sets.
const DEFAULT_LIMIT: u32 = 100;

/// Fills `query` with the defaults. NULL does nothing.
///
/// # Safety
/// `query` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_audit_query_init(query: *mut mfa_audit_query) {
    // SAFETY: the caller promises NULL or valid for writes.
    if let Some(q) = unsafe { query.as_mut() } {
        *q = mfa_audit_query {
            struct_size: struct_size::<mfa_audit_query>(),
            after_seq: 0,
            limit: DEFAULT_LIMIT,
            actor: std::ptr::null(),
            target: std::ptr::null(),
            action: std::ptr::null(),
        };
    }
}

/// The core's query from C's; NULL means the defaults.
///
/// # Safety
/// `query` is NULL or a struct of at least its `struct_size` bytes, with NULL or
/// NUL-terminated strings.
unsafe fn query_in(query: *const mfa_audit_query) -> Result<AuditQuery, Error> {
    if query.is_null() {
        return Ok(AuditQuery::default());
    }
    type T = mfa_audit_query;
    // SAFETY: the caller promises a valid struct.
    let q = unsafe { Sized::new(query, "mfa_audit_query") }?;
    let text = |p, what| unsafe { opt_arg(p, what) }.map(|s| s.map(str::to_string));
    Ok(AuditQuery {
        after_seq: field_or!(q, T, after_seq, 0),
        limit: Some(field_or!(q, T, limit, DEFAULT_LIMIT)),
        actor: text(field_or!(q, T, actor, std::ptr::null()), "actor")?,
        target: text(field_or!(q, T, target, std::ptr::null()), "target")?,
        action: text(field_or!(q, T, action, std::ptr::null()), "action")?,
    })
}

/// Audit events in seq order; `query` may be NULL for the defaults. Free the list with
/// `mfa_audit_event_list_free`. Errors: `MFA_ERR_INVALID_INPUT` (limit out of range,
/// `after_seq` above 2^63 - 1, bad filter), `MFA_ERR_STORAGE`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_audit_events(
    core: *const mfa_core,
    query: *const mfa_audit_query,
    out_list: *mut mfa_audit_event_list,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        // SAFETY: the caller promises NULL or a valid query.
        let query = unsafe { query_in(query) }?;
        let slot = unsafe { out(out_list, "out_list") }?;
        *slot = event_list(&core.audit_events(&query)?)?;
        Ok(())
    })
}

/// The head of the chain, to store somewhere the store's writers cannot reach.
///
/// # Safety
/// Pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_audit_checkpoint(
    core: *const mfa_core,
    out_checkpoint: *mut mfa_checkpoint,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let slot = unsafe { out(out_checkpoint, "out_checkpoint") }?;
        *slot = checkpoint_from(&core.audit_checkpoint()?)?;
        Ok(())
    })
}

/// Copies the live store into a new file at `dest` with SQLite's online backup API (readers
/// and writers keep working meanwhile). The copy is 0600, opens with the same key, and its
/// audit trail verifies with the head written to `out_checkpoint` (may be NULL). Errors:
/// `MFA_ERR_INVALID_INPUT` (NULL or bad path, an in-memory store), `MFA_ERR_CONFLICT` (`dest`
/// exists: it is never replaced), `MFA_ERR_STORAGE`.
///
/// # Safety
/// Pointers are NULL or valid; strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_backup(
    core: *const mfa_core,
    dest: *const c_char,
    out_checkpoint: *mut mfa_checkpoint,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let dest = unsafe { arg(dest, "dest") }?;
        let head = checkpoint_from(&core.backup(dest)?)?;
        unsafe { out_opt(out_checkpoint, head) };
        Ok(())
    })
}

/// Moves the store to the new master key `key` of `key_len` bytes (must be 32) in one
/// transaction: TOTP secrets sealed again, rows MAC'd again, a `key.rotate` audit event, and
/// the old audit key kept sealed under the new one so that the whole trail (and checkpoints
/// taken before) verify with the new key alone. Recovery codes are invalidated. Writes the new
/// audit head to `out_checkpoint` (may be NULL). The handle is then retired: every later call
/// on it fails with `MFA_ERR_INVALID_INPUT`; close it and open the store with the new key (the
/// old key no longer opens it). See docs/key-rotation.md. Errors: `MFA_ERR_INVALID_INPUT`
/// (NULL key, not 32 bytes, the current key, a retired handle), `MFA_ERR_STORAGE` (nothing
/// changed).
///
/// # Safety
/// Pointers are NULL or valid; `key` points to `key_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_rotate_key(
    core: *const mfa_core,
    key: *const u8,
    key_len: usize,
    out_checkpoint: *mut mfa_checkpoint,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        if key.is_null() {
            return Err(Error::InvalidInput("key is NULL".into()));
        }
        // SAFETY: the caller promises `key_len` readable bytes at `key`.
        let key = unsafe { std::slice::from_raw_parts(key, key_len) };
        let head = checkpoint_from(&core.rotate_key(key)?)?;
        unsafe { out_opt(out_checkpoint, head) };
        Ok(())
    })
}

/// Recomputes the MAC chain; with a `checkpoint` (may be NULL) also checks that the trail
/// still reaches it. A broken chain is not an error: the call returns `MFA_OK` with
/// `ok == false` and the first bad seq in `*out_report`. Errors: `MFA_ERR_INVALID_INPUT`
/// (a checkpoint MAC that is not 64 hex digits or not NUL-terminated), `MFA_ERR_STORAGE`.
///
/// # Safety
/// Pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_verify_audit(
    core: *const mfa_core,
    checkpoint: *const mfa_checkpoint,
    out_report: *mut mfa_audit_report,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        // SAFETY: the caller promises NULL or a valid checkpoint.
        let checkpoint = match unsafe { checkpoint.as_ref() } {
            None => None,
            Some(c) => {
                let bytes: Vec<u8> = c.mac.iter().map(|&b| b as u8).take_while(|&b| b != 0).collect();
                if bytes.len() == MFA_MAC_LEN {
                    return Err(Error::InvalidInput("checkpoint.mac is not NUL-terminated".into()));
                }
                let mac = String::from_utf8(bytes)
                    .map_err(|_| Error::InvalidInput("checkpoint.mac is not valid UTF-8".into()))?;
                Some(Checkpoint { seq: c.seq, mac })
            }
        };
        let slot = unsafe { out(out_report, "out_report") }?;
        *slot = report_from(&core.verify_audit(checkpoint.as_ref())?);
        Ok(())
    })
}
