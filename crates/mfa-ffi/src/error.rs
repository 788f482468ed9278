//! The status codes of the C ABI and the per-thread last error.

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use mfa::Error;

/// The result of every fallible function: `MFA_OK` (0) or one `MFA_ERR_<CODE>` per error
/// error code. Values are stable: they are never renumbered, and a retired value stays
/// reserved.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_status {
    MFA_OK = 0,
    MFA_ERR_INVALID_INPUT = 1,
    MFA_ERR_UNAUTHENTICATED = 2,
    MFA_ERR_FORBIDDEN = 3,
    MFA_ERR_NOT_FOUND = 4,
    MFA_ERR_MFA_NOT_ENABLED = 5,
    MFA_ERR_CONFLICT = 6,
    MFA_ERR_INVALID_CODE = 7,
    MFA_ERR_RATE_LIMITED = 8,
    MFA_ERR_STORAGE = 9,
    MFA_ERR_INTERNAL = 10,
}

pub(crate) use mfa_status::*;

impl mfa_status {
    pub(crate) fn of(err: &Error) -> mfa_status {
        match err {
            Error::InvalidInput(_) => MFA_ERR_INVALID_INPUT,
            Error::Unauthenticated(_) => MFA_ERR_UNAUTHENTICATED,
            Error::Forbidden(_) => MFA_ERR_FORBIDDEN,
            Error::NotFound(_) => MFA_ERR_NOT_FOUND,
            Error::MfaNotEnabled(_) => MFA_ERR_MFA_NOT_ENABLED,
            Error::Conflict(_) => MFA_ERR_CONFLICT,
            Error::InvalidCode(_) => MFA_ERR_INVALID_CODE,
            Error::RateLimited { .. } => MFA_ERR_RATE_LIMITED,
            Error::Storage(_) => MFA_ERR_STORAGE,
            Error::Internal(_) => MFA_ERR_INTERNAL,
        }
    }

    /// A core error of this status's kind, to ask it for its HTTP status.
    fn error(self) -> Error {
        let e = String::new;
        match self {
            MFA_OK | MFA_ERR_INTERNAL => Error::Internal(e()),
            MFA_ERR_INVALID_INPUT => Error::InvalidInput(e()),
            MFA_ERR_UNAUTHENTICATED => Error::Unauthenticated(e()),
            MFA_ERR_FORBIDDEN => Error::Forbidden(e()),
            MFA_ERR_NOT_FOUND => Error::NotFound(e()),
            MFA_ERR_MFA_NOT_ENABLED => Error::MfaNotEnabled(e()),
            MFA_ERR_CONFLICT => Error::Conflict(e()),
            MFA_ERR_INVALID_CODE => Error::InvalidCode(e()),
            MFA_ERR_RATE_LIMITED => Error::RateLimited { message: e(), retry_after: 0 },
            MFA_ERR_STORAGE => Error::Storage(e()),
        }
    }

    /// The error code as static NUL-terminated text.
    fn text(self) -> &'static [u8] {
        match self {
            MFA_OK => b"ok\0",
            MFA_ERR_INVALID_INPUT => b"invalid_input\0",
            MFA_ERR_UNAUTHENTICATED => b"unauthenticated\0",
            MFA_ERR_FORBIDDEN => b"forbidden\0",
            MFA_ERR_NOT_FOUND => b"not_found\0",
            MFA_ERR_MFA_NOT_ENABLED => b"mfa_not_enabled\0",
            MFA_ERR_CONFLICT => b"conflict\0",
            MFA_ERR_INVALID_CODE => b"invalid_code\0",
            MFA_ERR_RATE_LIMITED => b"rate_limited\0",
            MFA_ERR_STORAGE => b"storage\0",
            MFA_ERR_INTERNAL => b"internal\0",
        }
    }
}

/// Every status, for looking one up by its integer value.
const KNOWN: [mfa_status; 11] = [
    MFA_OK,
    MFA_ERR_INVALID_INPUT,
    MFA_ERR_UNAUTHENTICATED,
    MFA_ERR_FORBIDDEN,
    MFA_ERR_NOT_FOUND,
    MFA_ERR_MFA_NOT_ENABLED,
    MFA_ERR_CONFLICT,
    MFA_ERR_INVALID_CODE,
    MFA_ERR_RATE_LIMITED,
    MFA_ERR_STORAGE,
    MFA_ERR_INTERNAL,
];

struct LastError {
    message: CString,
    retry_after: u64,
    /// RFC 7807 problem details as JSON text, for hosts that answer HTTP.
    problem: String,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

pub(crate) fn set_last_error(err: &Error) {
    // Messages never hold a NUL (inputs with one are refused before they are echoed), but a
    // stored value from a damaged file might: drop such bytes rather than lose the message.
    let text = err.to_string().replace('\0', "");
    let message = CString::new(text).unwrap_or_default();
    let last = LastError {
        message,
        retry_after: err.retry_after().unwrap_or(0),
        problem: err.problem_details().to_string(),
    };
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(last));
}

pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|e| *e.borrow_mut() = None);
}

/// The error code of a status (`"forbidden"`, ...), or `"unknown"` for a value that is not
/// an `mfa_status`. Static text: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_status_str(status: i32) -> *const c_char {
    let text = KNOWN.iter().find(|s| **s as i32 == status).map_or(&b"unknown\0"[..], |s| s.text());
    text.as_ptr().cast()
}

/// The detail message of the last failed call on this thread, or NULL when the last call
/// succeeded. Owned by the library and valid until the next call on this thread: copy it,
/// never free it. Never contains a secret.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_last_error_message() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |e| e.message.as_ptr()))
}

/// Seconds to wait after the last call on this thread failed with `MFA_ERR_RATE_LIMITED`;
/// 0 otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_last_error_retry_after() -> u64 {
    LAST_ERROR.with(|e| e.borrow().as_ref().map_or(0, |e| e.retry_after))
}

/// The last failure on this thread as RFC 7807 problem details (a JSON object with `type`,
/// `title`, `status`, `detail`, `code` and, when rate limited, `retry_after`), for hosts that
/// answer HTTP; NULL when the last call succeeded. Free it with `mfa_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_last_error_problem_details() -> *mut c_char {
    LAST_ERROR.with(|e| {
        e.borrow()
            .as_ref()
            .and_then(|e| CString::new(e.problem.as_str()).ok())
            .map_or(std::ptr::null_mut(), CString::into_raw)
    })
}

/// The HTTP status a host should answer for a status (`MFA_ERR_FORBIDDEN` gives 403, ...):
/// 200 for `MFA_OK`, 500 for a value that is not an `mfa_status`.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_status_http(status: i32) -> u16 {
    match KNOWN.iter().find(|s| **s as i32 == status) {
        Some(MFA_OK) => 200,
        Some(s) => s.error().http_status(),
        None => 500,
    }
}
