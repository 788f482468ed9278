//! Lists returned to C: a pointer to `len` items, freed with one call per list type.

use std::ffi::c_char;

use mfa::{AuditEvent, Error, Org, ResetReceipt, User};

use crate::error::{MFA_OK, mfa_status};
use crate::panic::quietly;
use crate::strings::{mfa_string_free, owned, owned_opt};
use crate::types::{
    MFA_MAC_LEN, mfa_org, mfa_outcome, mfa_receipt, mfa_user, org_from, outcome_out, receipt_from, user_from,
};

/// Orgs; free with `mfa_org_list_free`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_org_list {
    pub items: *mut mfa_org,
    pub len: usize,
}

/// Users; free with `mfa_user_list_free`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_user_list {
    pub items: *mut mfa_user,
    pub len: usize,
}

/// One target's outcome in `mfa_reset_mfa_many`: `status` `MFA_OK` with its `receipt`, or an
/// error status (and `retry_after` for `MFA_ERR_RATE_LIMITED`).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_bulk_outcome {
    pub status: mfa_status,
    pub retry_after: u64,
    pub receipt: mfa_receipt,
}

/// Outcomes, one per target, in order; free with `mfa_bulk_outcome_list_free`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_bulk_outcome_list {
    pub items: *mut mfa_bulk_outcome,
    pub len: usize,
}

/// One audit event. Text fields are owned by the list; NULL means absent.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_audit_event {
    pub seq: u64,
    /// Unix seconds.
    pub at: i64,
    pub actor: *mut c_char,
    pub target: *mut c_char,
    pub org: *mut c_char,
    pub action: *mut c_char,
    pub outcome: mfa_outcome,
    /// The error code when the outcome is not success.
    pub code: *mut c_char,
    pub reason: *mut c_char,
    /// A JSON object.
    pub detail: *mut c_char,
    pub mac: [c_char; MFA_MAC_LEN],
}

/// Audit events in seq order; free with `mfa_audit_event_list_free`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_audit_event_list {
    pub items: *mut mfa_audit_event,
    pub len: usize,
}

/// Hands a vector to C as pointer and length (`Box<[T]>`, so capacity equals length).
fn into_raw<T>(items: Vec<T>) -> (*mut T, usize) {
    let len = items.len();
    (Box::into_raw(items.into_boxed_slice()).cast(), len)
}

/// Takes a list back from C; an empty or NULL list yields nothing.
///
/// # Safety
/// `items`/`len` came from `into_raw` and were not freed.
unsafe fn from_raw<T>(items: *mut T, len: usize) -> Option<Box<[T]>> {
    // SAFETY: the caller promises the pair came from `into_raw`.
    (!items.is_null()).then(|| unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(items, len)) })
}

pub(crate) fn org_list(orgs: &[Org]) -> Result<mfa_org_list, Error> {
    let (items, len) = into_raw(orgs.iter().map(org_from).collect::<Result<Vec<_>, _>>()?);
    Ok(mfa_org_list { items, len })
}

pub(crate) fn user_list(users: &[User]) -> Result<mfa_user_list, Error> {
    let (items, len) = into_raw(users.iter().map(user_from).collect::<Result<Vec<_>, _>>()?);
    Ok(mfa_user_list { items, len })
}

pub(crate) fn bulk_list(outcomes: &[Result<ResetReceipt, Error>]) -> Result<mfa_bulk_outcome_list, Error> {
    let items = outcomes
        .iter()
        .map(|o| match o {
            Ok(r) => Ok(mfa_bulk_outcome { status: MFA_OK, retry_after: 0, receipt: receipt_from(r)? }),
            Err(e) => Ok(mfa_bulk_outcome {
                status: mfa_status::of(e),
                retry_after: e.retry_after().unwrap_or(0),
                // SAFETY: a receipt is valid as all-zero bytes.
                receipt: unsafe { std::mem::zeroed() },
            }),
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let (items, len) = into_raw(items);
    Ok(mfa_bulk_outcome_list { items, len })
}

fn event_from(e: &AuditEvent) -> Result<mfa_audit_event, Error> {
    // Built field by field; on an error part way, what was made so far is freed.
    let mut ev = mfa_audit_event {
        seq: e.seq,
        at: e.at,
        actor: std::ptr::null_mut(),
        target: std::ptr::null_mut(),
        org: std::ptr::null_mut(),
        action: std::ptr::null_mut(),
        outcome: outcome_out(e.outcome),
        code: std::ptr::null_mut(),
        reason: std::ptr::null_mut(),
        detail: std::ptr::null_mut(),
        mac: [0; MFA_MAC_LEN],
    };
    let filled = (|| {
        ev.actor = owned_opt(e.actor.as_deref())?;
        ev.target = owned_opt(e.target.as_deref())?;
        ev.org = owned_opt(e.org.as_deref())?;
        ev.action = owned(&e.action)?;
        ev.code = owned_opt(e.code.as_deref())?;
        ev.reason = owned_opt(e.reason.as_deref())?;
        ev.detail = owned(&e.detail.to_string())?;
        crate::strings::copy_into(&mut ev.mac, &e.mac)
    })();
    match filled {
        Ok(()) => Ok(ev),
        Err(err) => {
            unsafe { free_event(&mut ev) };
            Err(err)
        }
    }
}

unsafe fn free_event(e: &mut mfa_audit_event) {
    for p in [e.actor, e.target, e.org, e.action, e.code, e.reason, e.detail] {
        // SAFETY: each is NULL or from `owned`.
        unsafe { mfa_string_free(p) };
    }
}

pub(crate) fn event_list(events: &[AuditEvent]) -> Result<mfa_audit_event_list, Error> {
    let mut items = Vec::with_capacity(events.len());
    for e in events {
        match event_from(e) {
            Ok(ev) => items.push(ev),
            Err(err) => {
                for ev in &mut items {
                    unsafe { free_event(ev) };
                }
                return Err(err);
            }
        }
    }
    let (items, len) = into_raw(items);
    Ok(mfa_audit_event_list { items, len })
}

/// Frees an org list's items and empties it. NULL does nothing; calling it twice is safe.
///
/// # Safety
/// `list` is NULL or filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_org_list_free(list: *mut mfa_org_list) {
    // SAFETY: the caller promises NULL or a list from this library.
    if let Some(l) = unsafe { list.as_mut() } {
        quietly(|| drop(unsafe { from_raw(l.items, l.len) }));
        *l = mfa_org_list { items: std::ptr::null_mut(), len: 0 };
    }
}

/// Frees a user list's items and empties it. NULL does nothing; calling it twice is safe.
///
/// # Safety
/// `list` is NULL or filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_user_list_free(list: *mut mfa_user_list) {
    // SAFETY: the caller promises NULL or a list from this library.
    if let Some(l) = unsafe { list.as_mut() } {
        quietly(|| drop(unsafe { from_raw(l.items, l.len) }));
        *l = mfa_user_list { items: std::ptr::null_mut(), len: 0 };
    }
}

/// Frees a bulk outcome list's items and empties it. NULL does nothing; twice is safe.
///
/// # Safety
/// `list` is NULL or filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_bulk_outcome_list_free(list: *mut mfa_bulk_outcome_list) {
    // SAFETY: the caller promises NULL or a list from this library.
    if let Some(l) = unsafe { list.as_mut() } {
        quietly(|| drop(unsafe { from_raw(l.items, l.len) }));
        *l = mfa_bulk_outcome_list { items: std::ptr::null_mut(), len: 0 };
    }
}

/// Frees an audit event list, its events' strings included, and empties it. NULL does
/// nothing; twice is safe.
///
/// # Safety
/// `list` is NULL or filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_audit_event_list_free(list: *mut mfa_audit_event_list) {
    // SAFETY: the caller promises NULL or a list from this library.
    if let Some(l) = unsafe { list.as_mut() } {
        quietly(|| {
            if let Some(mut events) = unsafe { from_raw(l.items, l.len) } {
                for e in events.iter_mut() {
                    unsafe { free_event(e) };
                }
            }
        });
        *l = mfa_audit_event_list { items: std::ptr::null_mut(), len: 0 };
    }
}
