//! Strings across the boundary: inputs are checked (NULL, UTF-8), outputs are either copied
//! into the caller's fixed buffers or handed over as heap strings freed by `mfa_string_free`.

use std::ffi::{CStr, CString, c_char};

use mfa::Error;

use crate::panic::quietly;

fn invalid(msg: String) -> Error {
    Error::InvalidInput(msg)
}

/// A required string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub(crate) unsafe fn arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(invalid(format!("{what} is NULL")));
    }
    // SAFETY: checked non-NULL; the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| invalid(format!("{what} is not valid UTF-8")))
}

/// An optional string argument: NULL means absent.
///
/// # Safety
/// As for [`arg`].
pub(crate) unsafe fn opt_arg<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Error> {
    if p.is_null() { Ok(None) } else { unsafe { arg(p, what) }.map(Some) }
}

/// Copies `s` into a fixed buffer with its NUL. Values come from the store, which validated
/// them on the way in; one that does not fit means a damaged file.
pub(crate) fn copy_into<const N: usize>(dst: &mut [c_char; N], s: &str) -> Result<(), Error> {
    if s.len() >= N || s.contains('\0') {
        return Err(Error::Storage(format!("a stored value of {} bytes does not fit the C struct", s.len())));
    }
    for (d, b) in dst.iter_mut().zip(s.bytes().chain(std::iter::once(0))) {
        *d = b as c_char;
    }
    Ok(())
}

/// A heap string for the caller, freed with `mfa_string_free`.
pub(crate) fn owned(s: &str) -> Result<*mut c_char, Error> {
    CString::new(s)
        .map(CString::into_raw)
        .map_err(|_| Error::Storage("a stored value holds a NUL byte: the file is damaged".into()))
}

/// Like [`owned`], NULL for `None`.
pub(crate) fn owned_opt(s: Option<&str>) -> Result<*mut c_char, Error> {
    s.map_or(Ok(std::ptr::null_mut()), owned)
}

/// Frees a string this library returned. NULL does nothing. Never pass a string from
/// anywhere else, and never free one twice.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: the caller promises `s` came from `CString::into_raw` here.
        quietly(|| drop(unsafe { CString::from_raw(s) }));
    }
}

/// Frees a heap string and zeroes it first (for secrets).
pub(crate) unsafe fn free_secret(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: as for `mfa_string_free`.
        let mut bytes = unsafe { CString::from_raw(s) }.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
    }
}

/// The caller's out-parameter, checked for NULL.
pub(crate) unsafe fn out<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Error> {
    // SAFETY: the caller promises `p` is NULL or valid for writes.
    unsafe { p.as_mut() }.ok_or_else(|| invalid(format!("{what} is NULL")))
}

/// Writes `value` to an optional out-parameter: NULL means the caller does not want it.
pub(crate) unsafe fn out_opt<T>(p: *mut T, value: T) {
    // SAFETY: the caller promises `p` is NULL or valid for writes.
    if let Some(slot) = unsafe { p.as_mut() } {
        *slot = value;
    }
}
