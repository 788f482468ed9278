//! The core's results as the package's value types (`mfa_core._types`): frozen dataclasses and
//! `str` enums, with times as aware UTC `datetime`s. Secrets (an enrollment's secret and URI,
//! recovery codes) go into types whose `repr` hides them.

use mfa_core::{
    AuditEvent, AuditReport, Checkpoint, Enrollment, Error, MfaStatus, Org, Policy, RecoveryCodes,
    ResetReceipt, StoreInfo, UnixTime, User, Verification,
};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDateTime, PyDict, PyList, PyModule, PyTzInfo};
use serde_json::Value;

use crate::errors::exception;

/// The Python module that defines the value types (imported once).
static TYPES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// A class of `mfa_core._types`, by name.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let module = TYPES.get_or_try_init(py, || Ok::<_, PyErr>(py.import("mfa_core._types")?.unbind()))?;
    module.bind(py).getattr(name)
}

/// Keyword arguments for one value type's constructor.
struct Fields<'py>(Bound<'py, PyDict>);

impl<'py> Fields<'py> {
    fn new(py: Python<'py>) -> Self {
        Fields(PyDict::new(py))
    }

    fn set(self, key: &str, value: impl IntoPyObject<'py>) -> PyResult<Self> {
        self.0.set_item(key, value)?;
        Ok(self)
    }

    /// Calls `mfa_core._types.<class>(**fields)`.
    fn build(self, name: &str) -> PyResult<Bound<'py, PyAny>> {
        class(self.0.py(), name)?.call((), Some(&self.0))
    }
}

/// A member of one of the package's `str` enums, e.g. `Role("owner")`.
fn member<'py>(py: Python<'py>, enum_name: &str, value: &str) -> PyResult<Bound<'py, PyAny>> {
    class(py, enum_name)?.call1((value,))
}

/// Unix seconds as an aware UTC `datetime`. The handle only accepts clocks whose derived times
/// all fit a `datetime`; a time from elsewhere that does not (a file written by another tool)
/// is reported as `internal` rather than as a bare `OverflowError`.
pub(crate) fn datetime(py: Python<'_>, t: UnixTime) -> PyResult<Bound<'_, PyDateTime>> {
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::from_timestamp(py, t as f64, Some(&utc))
        .map_err(|_| exception(py, &Error::Internal(format!("time {t} does not fit a Python datetime"))))
}

fn opt_datetime(py: Python<'_>, t: Option<UnixTime>) -> PyResult<Option<Bound<'_, PyDateTime>>> {
    t.map(|t| datetime(py, t)).transpose()
}

/// A JSON value (an audit event's `detail`, problem details) as plain Python data.
pub(crate) fn json<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => u.into_bound_py_any(py),
            (None, Some(i), _) => i.into_bound_py_any(py),
            (None, None, f) => f.unwrap_or(f64::NAN).into_bound_py_any(py),
        },
        Value::String(s) => s.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json(py, v)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

pub(crate) fn policy<'py>(py: Python<'py>, p: &Policy) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("mfa_required", p.mfa_required)?
        .set("enrollment_window", p.enrollment_window)?
        .set("reset_limit_per_hour", p.reset_limit_per_hour)?
        .set("max_failed_verifications", p.max_failed_verifications)?
        .set("require_step_up", p.require_step_up)?
        .build("Policy")
}

pub(crate) fn org<'py>(py: Python<'py>, o: &Org) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("id", &o.id)?
        .set("name", &o.name)?
        .set("policy", policy(py, &o.policy)?)?
        .set("created_at", datetime(py, o.created_at)?)?
        .build("Org")
}

pub(crate) fn user<'py>(py: Python<'py>, u: &User) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("id", &u.id)?
        .set("org", &u.org)?
        .set("email", &u.email)?
        .set("role", member(py, "Role", u.role.as_str())?)?
        .set("status", member(py, "UserStatus", u.status.as_str())?)?
        .set("credential_epoch", u.credential_epoch)?
        .set("created_at", datetime(py, u.created_at)?)?
        .build("User")
}

pub(crate) fn list<'py, T>(
    py: Python<'py>,
    items: &[T],
    each: impl Fn(Python<'py>, &T) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for item in items {
        list.append(each(py, item)?)?;
    }
    Ok(list)
}

pub(crate) fn status<'py>(py: Python<'py>, s: &MfaStatus) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("user", &s.user)?
        .set("state", member(py, "MfaState", s.state.as_str())?)?
        .set("deadline", opt_datetime(py, s.deadline)?)?
        .set("credential_epoch", s.credential_epoch)?
        .set("recovery_codes_remaining", s.recovery_codes_remaining)?
        .build("MfaStatus")
}

pub(crate) fn enrollment<'py>(py: Python<'py>, e: &Enrollment) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py).set("secret", &e.secret)?.set("uri", &e.uri)?.build("Enrollment")
}

pub(crate) fn recovery_codes<'py>(py: Python<'py>, codes: &RecoveryCodes) -> PyResult<Bound<'py, PyAny>> {
    class(py, "RecoveryCodes")?.call1((codes.0.as_slice(),))
}

pub(crate) fn verification<'py>(py: Python<'py>, v: &Verification) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("method", member(py, "VerifyMethod", v.method.as_str())?)?
        .set("recovery_codes_remaining", v.recovery_codes_remaining)?
        .build("Verification")
}

pub(crate) fn receipt<'py>(py: Python<'py>, r: &ResetReceipt) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("target", &r.target)?
        .set("previous_state", member(py, "MfaState", r.previous_state.as_str())?)?
        .set("state", member(py, "MfaState", r.state.as_str())?)?
        .set("deadline", datetime(py, r.deadline)?)?
        .set("credential_epoch", r.credential_epoch)?
        .set("audit_seq", r.audit_seq)?
        .set("dry_run", r.dry_run)?
        .build("ResetReceipt")
}

/// One target's outcome in `reset_mfa_many`: its receipt, or the exception a single
/// `reset_mfa` would have raised.
pub(crate) fn outcome<'py>(
    py: Python<'py>,
    target: &str,
    result: &Result<ResetReceipt, Error>,
) -> PyResult<Bound<'py, PyAny>> {
    let fields = Fields::new(py).set("target", target)?;
    let fields = match result {
        Ok(r) => fields.set("receipt", receipt(py, r)?)?.set("error", py.None())?,
        Err(e) => fields.set("receipt", py.None())?.set("error", exception(py, e).into_value(py))?,
    };
    fields.build("ResetOutcome")
}

pub(crate) fn event<'py>(py: Python<'py>, e: &AuditEvent) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("seq", e.seq)?
        .set("at", datetime(py, e.at)?)?
        .set("actor", &e.actor)?
        .set("target", &e.target)?
        .set("org", &e.org)?
        .set("action", &e.action)?
        .set("outcome", member(py, "Outcome", e.outcome.as_str())?)?
        .set("code", &e.code)?
        .set("reason", &e.reason)?
        .set("detail", json(py, &e.detail)?)?
        .set("mac", &e.mac)?
        .build("AuditEvent")
}

pub(crate) fn checkpoint<'py>(py: Python<'py>, c: &Checkpoint) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py).set("seq", c.seq)?.set("mac", &c.mac)?.build("Checkpoint")
}

pub(crate) fn store_info<'py>(py: Python<'py>, i: &StoreInfo) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("schema_version", i.schema_version)?
        .set("path", i.path.as_ref().map(|p| p.to_string_lossy().into_owned()))?
        .set("mode", i.mode)?
        .set("readable_by_others", i.readable_by_others)?
        .build("StoreInfo")
}

pub(crate) fn report<'py>(py: Python<'py>, r: &AuditReport) -> PyResult<Bound<'py, PyAny>> {
    Fields::new(py)
        .set("ok", r.ok)?
        .set("checked", r.checked)?
        .set("first_bad_seq", r.first_bad_seq)?
        .build("AuditReport")
}
