//! Loading the master key from a key file, in the one format every surface reads.

use std::ffi::c_char;

use mfa::Error;

use crate::error::mfa_status;
use crate::panic::guard;
use crate::strings::arg;

/// Length of the master key in bytes, as `mfa_core_open` requires and `mfa_key_load_file` writes.
pub const MFA_KEY_LEN: usize = 32;

/// Reads the key file at `path` (UTF-8) into the caller's 32-byte buffer `out_key`, ready for
/// `mfa_core_open`. A key file holds the 32 key bytes, or 64 hex digits with optional
/// whitespace around them (what `mfa-admin init --generate-key` writes); at most a few hundred
/// bytes are read. On Unix a file that group or other users may read is refused, as ssh
/// refuses such a private key. Wipe the buffer when done with it.
///
/// Errors: `MFA_ERR_INVALID_INPUT` (NULL argument, unreadable file, wrong format, file readable
/// by others); the message names the file, never its contents. `out_key` is written only on
/// success.
///
/// # Safety
/// `path` is a NUL-terminated string; `out_key` is valid for 32 bytes of writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_key_load_file(path: *const c_char, out_key: *mut u8) -> mfa_status {
    guard(|| {
        let path = unsafe { arg(path, "path") }?;
        if out_key.is_null() {
            return Err(Error::InvalidInput("out_key is NULL".into()));
        }
        let key = mfa::key::from_file(path)?;
        // SAFETY: the caller promises 32 writable bytes at `out_key`; `key` is 32 bytes.
        unsafe { std::ptr::copy_nonoverlapping(key.as_ptr(), out_key, MFA_KEY_LEN) };
        Ok(())
    })
}
