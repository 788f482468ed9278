//! The boundary every entry point runs behind: panics become `MFA_ERR_INTERNAL`, errors set
//! the thread's last error, and success clears it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mfa::Error;

use crate::error::{MFA_OK, clear_last_error, mfa_status, set_last_error};

pub(crate) fn guard(f: impl FnOnce() -> Result<(), Error>) -> mfa_status {
    let outcome = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::Internal("a panic was caught at the C boundary".into())));
    match outcome {
        Ok(()) => {
            clear_last_error();
            MFA_OK
        }
        Err(err) => {
            set_last_error(&err);
            mfa_status::of(&err)
        }
    }
}

/// For functions that cannot report a status (frees): swallow a panic rather than unwind
/// into C.
pub(crate) fn quietly(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;
    use crate::error::{MFA_ERR_INTERNAL, mfa_last_error_message};

    #[test]
    fn a_panic_becomes_internal_with_a_message() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, MFA_ERR_INTERNAL);
        // SAFETY: a failed call leaves a NUL-terminated message.
        let message = unsafe { CStr::from_ptr(mfa_last_error_message()) }.to_str().unwrap();
        assert_eq!(message, "internal: a panic was caught at the C boundary");
    }

    #[test]
    fn success_clears_the_last_error() {
        assert_eq!(guard(|| Err(Error::NotFound("x".into()))), mfa_status::MFA_ERR_NOT_FOUND);
        assert!(!mfa_last_error_message().is_null());
        assert_eq!(guard(|| Ok(())), MFA_OK);
        assert!(mfa_last_error_message().is_null());
    }

    #[test]
    fn quietly_swallows_a_panic() {
        let mut reached = false;
        quietly(|| {
            reached = true;
            panic!("boom");
        });
        assert!(reached);
    }
}
