//! `mfa_core._native`: the Rust half of the `mfa_core` Python package.
//!
//! The package is a thin pure-Python layer (value types, enums and the exception tree in
//! `python/mfa_core/`) over this module, which holds the handle. Everything here converts:
//! Python arguments into the core's types ([`inputs`]), the core's results into the package's
//! value types ([`values`]), and the core's `Error` into the package's exceptions
//! ([`errors`]). Storage work runs with the GIL released, so threads sharing a handle overlap.

mod errors;
mod fork;
mod handle;
mod inputs;
mod key;
mod values;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<handle::Core>()?;
    // The crate's version, which is the workspace's: the package's `__version__`.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ERROR_CODES", mfa_core::Error::CODES.to_vec())?;
    m.add("AUDIT_ACTIONS", mfa_core::ACTIONS.to_vec())?;
    m.add("RECOVERY_CODE_COUNT", mfa_core::RECOVERY_CODE_COUNT)?;
    m.add("MAX_BULK_TARGETS", mfa_core::MAX_BULK_TARGETS)?;
    m.add("MAX_AUDIT_PAGE", mfa_core::MAX_AUDIT_PAGE)?;
    m.add("MAX_REASON_CHARS", mfa_core::MAX_REASON_CHARS)?;
    m.add("MAX_WINDOW_SECONDS", mfa_core::MAX_WINDOW_SECONDS)?;
    m.add_function(wrap_pyfunction!(errors::error_for_code, m)?)?;
    m.add_function(wrap_pyfunction!(key::load_key, m)?)?;
    fork::register(m)
}
