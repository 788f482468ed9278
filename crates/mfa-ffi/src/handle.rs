//! The opaque handle: open, close, the clock and the library version.

use std::ffi::{CString, c_char};

use mfa::{Core, Durability, Error, OpenOptions};

use crate::error::mfa_status;
use crate::panic::{guard, quietly};
use crate::sized::{Sized, field_or, struct_size};
use crate::strings::{arg, opt_arg, out};
use crate::types::{checkpoint_from, mfa_checkpoint};

/// An open store. Opaque: created by `mfa_core_open`, freed by `mfa_core_close`. One handle
/// may be shared by any number of threads at once.
#[allow(non_camel_case_types)]
pub struct mfa_core {
    pub(crate) core: Core,
}

/// What a write that returned `MFA_OK` survives (the `durability` of `mfa_open_options`).
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_durability {
    /// Every commit is flushed to disk before the call returns: survives an application crash
    /// and a power loss. The default.
    MFA_DURABILITY_FULL = 0,
    /// Commits are flushed at checkpoints only: survives an application crash; a power loss or
    /// OS crash may undo the last commits. Never corrupts the store.
    MFA_DURABILITY_NORMAL = 1,
}

/// Options of `mfa_core_open`; `mfa_open_options_init` sets the defaults (system clock,
/// each org's name as the otpauth issuer, create a missing store, full durability). Always
/// call it first: it sets `struct_size`, and later versions append fields.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_open_options {
    /// `sizeof(mfa_open_options)`, set by `mfa_open_options_init`; 0 is refused.
    pub struct_size: u32,
    /// Use a manual clock starting at `start_time` (tests); move it with `mfa_set_time`.
    pub manual_clock: bool,
    /// Unix seconds, 0 to 253402300799; read only when `manual_clock` is true.
    pub start_time: i64,
    /// otpauth issuer for every org, or NULL for each org's name. Borrowed for the call.
    pub issuer: *const c_char,
    /// Create a new store when nothing exists at the path (default true). When false, a missing
    /// file is `MFA_ERR_STORAGE`. An existing empty file is never taken for a new store.
    pub create_if_missing: bool,
    /// An `mfa_durability` value (default `MFA_DURABILITY_FULL`); any other value is
    /// `MFA_ERR_INVALID_INPUT`.
    pub durability: i32,
}

/// Fills `options` with the defaults. NULL does nothing.
///
/// # Safety
/// `options` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_open_options_init(options: *mut mfa_open_options) {
    // SAFETY: the caller promises `options` is NULL or valid for writes.
    if let Some(o) = unsafe { options.as_mut() } {
        *o = mfa_open_options {
            struct_size: struct_size::<mfa_open_options>(),
            manual_clock: false,
            start_time: 0,
            issuer: std::ptr::null(),
            create_if_missing: true,
            durability: mfa_durability::MFA_DURABILITY_FULL as i32,
        };
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

/// The core's options from C's; NULL means the defaults.
///
/// # Safety
/// `options` is NULL or a struct of at least its `struct_size` bytes.
unsafe fn open_options_in(options: *const mfa_open_options) -> Result<OpenOptions, Error> {
    let defaults = OpenOptions::default();
    if options.is_null() {
        return Ok(defaults);
    }
    type T = mfa_open_options;
    // SAFETY: the caller promises a valid struct.
    let o = unsafe { Sized::new(options, "mfa_open_options") }?;
    let manual_clock = field_or!(o, T, manual_clock, false);
    let start_time = field_or!(o, T, start_time, 0);
    let issuer = field_or!(o, T, issuer, std::ptr::null());
    let durability = field_or!(o, T, durability, mfa_durability::MFA_DURABILITY_FULL as i32);
    Ok(OpenOptions {
        manual_clock: manual_clock.then_some(start_time),
        issuer: unsafe { opt_arg(issuer, "issuer") }?.map(str::to_string),
        create_if_missing: field_or!(o, T, create_if_missing, defaults.create_if_missing),
        durability: match durability {
            0 => Durability::Full,
            1 => Durability::Normal,
            other => return Err(Error::InvalidInput(format!("durability {other} is not an mfa_durability"))),
        },
    })
}

/// Opens the store at `path` (UTF-8; `":memory:"` for a private in-memory store) with the
/// host's `key` of `key_len` bytes (must be 32), creating it if nothing exists there (unless
/// `options->create_if_missing` is false). A new store file and its `-wal`/`-shm` are 0600
/// whatever the umask; `mfa_core_info` tells whether an existing one is readable by others.
/// Opening a store whose schema is current does not wait for another process's write.
/// A `postgres://` or `postgresql://` URL opens the store in a PostgreSQL database instead
/// (docs/scale-out.md); a password in it never appears in an error message.
/// `options` may be NULL. On success writes a new handle to `*out`; free it with
/// `mfa_core_close`.
///
/// Errors: `MFA_ERR_INVALID_INPUT` (NULL or non-UTF-8 argument, key not 32 bytes, key does not
/// match the store, bad issuer or durability, malformed URL), `MFA_ERR_STORAGE` (missing when
/// creation is off, empty, not SQLite, corrupt, newer schema, cannot open, server unreachable;
/// such files and databases are left unchanged).
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
        // SAFETY: the caller promises `options` is NULL or valid.
        let opts = unsafe { open_options_in(options) }?;
        let slot = unsafe { out(out_core, "out_core") }?;
        let core = Core::open(path, key, opts)?;
        *slot = Box::into_raw(Box::new(mfa_core { core }));
        Ok(())
    })
}

/// What `mfa_core_info` reports about an open store. Allocated by the library and freed with
/// `mfa_store_info_free`: never allocate, copy or `free()` one yourself, so that later versions
/// can add fields at the end.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_store_info {
    /// The schema version of the file.
    pub schema_version: i64,
    /// The store's path as given to `mfa_core_open`, or NULL in memory and on PostgreSQL. Owned by
    /// the struct.
    pub path: *mut c_char,
    /// Whether `mode` is set (false in memory and on PostgreSQL).
    pub has_mode: bool,
    /// The file's permission bits, e.g. 0600.
    pub mode: u32,
    /// Whether users other than the owner may read the store or its write-ahead log: a host
    /// should warn (the file holds sealed secrets and the audit trail).
    pub readable_by_others: bool,
    /// Whether `file_size` is set (false in memory and on PostgreSQL).
    pub has_file_size: bool,
    /// The store file's size in bytes, without its write-ahead log.
    pub file_size: u64,
    /// Whether the key check in the file still matches this handle's key.
    pub key_check_ok: bool,
    /// How many orgs the store holds.
    pub orgs: u64,
    /// How many users, and how many in each MFA state now (`users_disabled` counts disabled
    /// accounts, also counted under their state).
    pub users_total: u64,
    pub users_not_enrolled: u64,
    pub users_enrollment_required: u64,
    pub users_locked_out: u64,
    pub users_enrolled: u64,
    pub users_disabled: u64,
    /// How many events the audit trail holds.
    pub audit_events: u64,
    /// The head of the audit chain (seq 0 and a MAC of zeros when empty).
    pub audit_head: mfa_checkpoint,
    /// The engine holding the store: "sqlite" (a file, or memory) or "postgresql" (`path` is
    /// then NULL). Owned by the struct.
    pub engine: *mut c_char,
}

/// Writes facts about the open store to a new `*out_info`; free it with `mfa_store_info_free`.
/// Errors: `MFA_ERR_INVALID_INPUT` (NULL), `MFA_ERR_STORAGE` (the file cannot be examined).
///
/// # Safety
/// `core` is NULL or a live handle; `out_info` is NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_core_info(
    core: *const mfa_core,
    out_info: *mut *mut mfa_store_info,
) -> mfa_status {
    guard(|| {
        let core = unsafe { core_ref(core) }?;
        let slot = unsafe { out(out_info, "out_info") }?;
        let info = core.info()?;
        let audit_head = checkpoint_from(&info.audit_head)?;
        // Strings the struct will own stay `CString`s until it is built, so that an error
        // frees them.
        let c_string =
            |s: &str| CString::new(s).map_err(|_| Error::Internal(format!("{s:?} holds a NUL byte")));
        let engine = c_string(info.engine)?;
        let path = info.path.as_ref().map(|p| c_string(&p.to_string_lossy())).transpose()?;
        *slot = Box::into_raw(Box::new(mfa_store_info {
            schema_version: info.schema_version,
            path: path.map_or(std::ptr::null_mut(), CString::into_raw),
            has_mode: info.mode.is_some(),
            mode: info.mode.unwrap_or(0),
            readable_by_others: info.readable_by_others,
            has_file_size: info.file_size.is_some(),
            file_size: info.file_size.unwrap_or(0),
            key_check_ok: info.key_check_ok,
            orgs: info.orgs,
            users_total: info.users.total,
            users_not_enrolled: info.users.not_enrolled,
            users_enrollment_required: info.users.enrollment_required,
            users_locked_out: info.users.locked_out,
            users_enrolled: info.users.enrolled,
            users_disabled: info.users.disabled,
            audit_events: info.audit_events,
            audit_head,
            engine: engine.into_raw(),
        }));
        Ok(())
    })
}

/// Frees what `mfa_core_info` returned. NULL does nothing.
///
/// # Safety
/// `info` is NULL or from `mfa_core_info`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mfa_store_info_free(info: *mut mfa_store_info) {
    if !info.is_null() {
        quietly(|| {
            // SAFETY: the caller promises a struct from `mfa_core_info`, freed once.
            let info = unsafe { Box::from_raw(info) };
            for string in [info.path, info.engine] {
                if !string.is_null() {
                    // SAFETY: both came from `CString::into_raw` and are freed only here.
                    drop(unsafe { CString::from_raw(string) });
                }
            }
        });
    }
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
