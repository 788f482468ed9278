//! `load_key`: the master key from a key file, in the one format every surface reads.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::raise;
use crate::inputs;

/// Reads the key file at `path` (32 raw bytes, or 64 hex digits with optional whitespace around
/// them) and returns the 32 key bytes for `Core.open`. Raises `InvalidInput` for an unreadable
/// file, a wrong format or, on Unix, a file other users can read.
#[pyfunction]
pub(crate) fn load_key<'py>(py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let path = inputs::path(path)?;
    let key = py.detach(|| mfa_core::key::from_file(&path)).map_err(raise)?;
    Ok(PyBytes::new(py, key.as_slice()))
}
