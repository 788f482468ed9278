//! The opaque handle: open, close, the clock and the library version.

use std::ffi::c_char;

use mfa::{Core, Error, OpenOptions};

use crate::error::mfa_status;
use crate::panic::{guard, quietly};
use crate::strings::{arg, opt_arg, out};

/// An open store. Opaque: created by `mfa_core_open`, freed by `mfa_core_close`. One handle
/// may be shared by any number of threads at once.
#[allow(non_camel_case_types)]
pub struct mfa_core {
    pub(crate) core: Core,
}

/// Options of `mfa_core_open`; `mfa_open_options_init` sets the defaults (system clock,
/// each org's name as the otpauth issuer).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_open_options {
    /// Use a manual clock starting at `start_time` (tests); move it with `mfa_set_time`.
    pub manual_clock: bool,
    /// Unix seconds, 0 to 253402300799; read only when `manual_clock` is true.
    pub start_time: i64,
    /// otpauth issuer for every org, or NULL for each org's name. Borrowed for the call.
    pub issuer: *const c_char,
}

/// Fills `options` with the defaults. NULL does nothing.
///
/// # Safety
/// `options` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_open_options_init(options: *mut mfa_open_options) {
    // SAFETY: the caller promises `options` is NULL or valid for writes.
    if let Some(o) = unsafe { options.as_mut() } {
        *o = mfa_open_options { manual_clock: false, start_time: 0, issuer: std::ptr::null() };
    }
}

/// A reference to the core behind a handle pointer.
///
/// # Safety
/// `core` is NULL or a live handle from `mfa_core_open`.
pub(crate) unsafe fn core_ref<'a>(core: *const mfa_core) -> Result<&'a Core, Error> {
    // SAFETY: the caller promises a live handle or NULL.
    unsafe { core.as_ref() }.map(|h| &h.core).ok_or_else(|| Error::InvalidInput("core is NULL".into()))
}

/// Opens (creating if needed) the store at `path` (UTF-8; `":memory:"` for a private
/// in-memory store) with the host's `key` of `key_len` bytes (must be 32). `options` may be
/// NULL. On success writes a new handle to `*out`; free it with `mfa_core_close`.
///
/// Errors: `MFA_ERR_INVALID_INPUT` (NULL or non-UTF-8 argument, key not 32 bytes, key does not
/// match the store, bad issuer), `MFA_ERR_STORAGE` (not SQLite, corrupt, newer schema, cannot
/// open; such files are left unchanged).
///
/// # Safety
/// `path` is a NUL-terminated string; `key` points to `key_len` readable bytes; `options` is
/// NULL or valid; `out` is valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_core_open(
    path: *const c_char,
    key: *const u8,
    key_len: usize,
    options: *const mfa_open_options,
    out_core: *mut *mut mfa_core,
) -> mfa_status {
    guard(|| {
        let path = unsafe { arg(path, "path") }?;
        if key.is_null() {
            return Err(Error::InvalidInput("key is NULL".into()));
        }
        // SAFETY: the caller promises `key_len` readable bytes at `key`.
        let key = unsafe { std::slice::from_raw_parts(key, key_len) };
        let mut opts = OpenOptions::default();
        // SAFETY: the caller promises `options` is NULL or valid.
        if let Some(o) = unsafe { options.as_ref() } {
            opts.manual_clock = o.manual_clock.then_some(o.start_time);
            opts.issuer = unsafe { opt_arg(o.issuer, "issuer") }?.map(str::to_string);
        }
        let slot = unsafe { out(out_core, "out_core") }?;
        let core = Core::open(path, key, opts)?;
        *slot = Box::into_raw(Box::new(mfa_core { core }));
        Ok(())
    })
}

/// Closes a handle and frees it. NULL does nothing. No call may use the handle during or
/// after this one.
///
/// # Safety
/// `core` is NULL or a handle from `mfa_core_open` not yet closed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_core_close(core: *mut mfa_core) {
    if !core.is_null() {
        // SAFETY: the caller promises a live handle, closed once.
        quietly(|| drop(unsafe { Box::from_raw(core) }));
    }
}

/// Moves a manual clock to `unix_seconds`. `MFA_ERR_INVALID_INPUT` on a handle opened with
/// the system clock, or for a time outside 0 to 253402300799 (1970 to the end of 9999).
///
/// # Safety
/// `core` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_set_time(core: *const mfa_core, unix_seconds: i64) -> mfa_status {
    guard(|| unsafe { core_ref(core) }?.set_time(unix_seconds))
}

/// Writes the handle's current time (Unix seconds) to `*out`.
///
/// # Safety
/// `core` is NULL or a live handle; `out` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_now(core: *const mfa_core, out_now: *mut i64) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        *unsafe { out(out_now, "out_now") }? = core.now();
        Ok(())
    })
}

/// The library version, e.g. `"0.1.0"` (the same as `MFA_CORE_VERSION`). Static text.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
