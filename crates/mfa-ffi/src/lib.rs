//! The C ABI of mfa-core: `libmfa_core.so` / `libmfa_core.a` and `include/mfa_core.h`.
//!
//! Every entry point is a thin wrapper: it checks its pointers and strings, calls the core,
//! and copies the result into plain C structs. Conventions, for every function:
//!
//! - It returns an `mfa_status`: `MFA_OK` or the documented error code. The detail message is
//!   in `mfa_last_error_message()`, per thread.
//! - NULL where a value is required, or a string that is not UTF-8, gives
//!   `MFA_ERR_INVALID_INPUT`. A panic inside gives `MFA_ERR_INTERNAL`; none crosses the
//!   boundary.
//! - Out-parameters are written only on success.
//! - Strings passed in are borrowed for the call. What the library hands out is either inside
//!   the struct (fixed buffers, nothing to free) or freed by the one function each type names.
//! - A handle may be used from any number of threads at once.

#![allow(clippy::missing_safety_doc)] // every unsafe entry point has a `# Safety` section

mod audit;
mod directory;
mod enrollment;
mod error;
mod handle;
mod key;
mod lists;
mod panic;
mod reset;
mod sized;
mod strings;
mod types;

pub use audit::*;
pub use directory::*;
pub use enrollment::*;
pub use error::{
    mfa_last_error_message, mfa_last_error_problem_details, mfa_last_error_retry_after, mfa_status,
    mfa_status_http, mfa_status_str,
};
pub use handle::*;
pub use key::*;
pub use lists::*;
pub use reset::*;
pub use strings::mfa_string_free;
pub use types::*;
