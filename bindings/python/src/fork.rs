//! Which process a handle belongs to, checked on every call without a system call.
//!
//! A child made by `os.fork()` (a `multiprocessing` worker, say) inherits its parent's handles,
//! whose SQLite connections it must not use. Comparing `getpid()` on every call would tell, but
//! costs a system call each time (close to a microsecond on a virtual machine); instead the
//! module registers `os.register_at_fork(after_in_child=...)` once, which counts the forks this
//! process descends from, and a handle keeps the count of the process that opened it.

use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Forks between the process that imported the module and this one.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// This process's fork generation.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Runs in the child after every `os.fork()`.
#[pyfunction]
fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Registers the fork hook; called once, when the module is imported.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("after_in_child", wrap_pyfunction!(after_fork_in_child, m)?)?;
    let os = py.import("os")?;
    if os.hasattr("register_at_fork")? {
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    } // else Windows, which has no fork()
    Ok(())
}
