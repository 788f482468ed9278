//! The core's `Error` as the package's exceptions (`mfa_core._errors`): one class per error
//! code, chosen by an exhaustive match so that a new variant breaks this build until mapped.

use mfa_core::Error;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

use crate::values::json;

/// The Python module that defines the exception tree (imported once).
static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The exception class of each error code, by its name in `mfa_core._errors`.
fn class_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidInput(_) => "InvalidInput",
        Error::Unauthenticated(_) => "Unauthenticated",
        Error::Forbidden(_) => "Forbidden",
        Error::NotFound(_) => "NotFound",
        Error::MfaNotEnabled(_) => "MfaNotEnabled",
        Error::Conflict(_) => "Conflict",
        Error::InvalidCode(_) => "InvalidCode",
        Error::RateLimited { .. } => "RateLimited",
        Error::Storage(_) => "Storage",
        Error::Internal(_) => "Internal",
    }
}

/// The exception for `err`: its class, its message (never a secret: the core's messages hold
/// none) and the core's RFC 7807 problem details, from which the exception takes `code`,
/// `http_status` and `retry_after`.
pub(crate) fn exception(py: Python<'_>, err: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let module =
            ERRORS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("mfa_core._errors")?.unbind()))?;
        let class = module.bind(py).getattr(class_name(err))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("problem", json(py, &err.problem_details())?)?;
        Ok(PyErr::from_value(class.call((err.message(),), Some(&kwargs))?))
    };
    // Building the exception can only fail if the package is broken (a class removed); that
    // failure is then the clearest thing to raise.
    build().unwrap_or_else(|broken| broken)
}

/// `map_err` adapter for core results.
pub(crate) fn raise(err: Error) -> PyErr {
    Python::attach(|py| exception(py, &err))
}

/// An `invalid_input` exception for a value this layer refuses before the core sees it (a
/// number out of range, a naive `datetime`, a closed handle). A value of the wrong Python type
/// is a `TypeError` instead (`inputs::wrong_type`).
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    raise(Error::InvalidInput(message.into()))
}

/// The exception the handle raises for `code`, without provoking it. For the test suite: some
/// codes (`internal`, `storage` in most forms) cannot be provoked on demand, and every code
/// must be shown to arrive as its class with the core's status and problem details.
#[pyfunction]
#[pyo3(name = "_error_for_code", signature = (code, message, retry_after = 0))]
pub(crate) fn error_for_code(
    py: Python<'_>,
    code: &str,
    message: String,
    retry_after: u64,
) -> PyResult<Py<PyAny>> {
    let err = match code {
        "invalid_input" => Error::InvalidInput(message),
        "unauthenticated" => Error::Unauthenticated(message),
        "forbidden" => Error::Forbidden(message),
        "not_found" => Error::NotFound(message),
        "mfa_not_enabled" => Error::MfaNotEnabled(message),
        "conflict" => Error::Conflict(message),
        "invalid_code" => Error::InvalidCode(message),
        "rate_limited" => Error::RateLimited { message, retry_after },
        "storage" => Error::Storage(message),
        "internal" => Error::Internal(message),
        other => return Err(invalid(format!("no error code {other:?}"))),
    };
    Ok(exception(py, &err).into_value(py).into_any())
}
