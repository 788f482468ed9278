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
