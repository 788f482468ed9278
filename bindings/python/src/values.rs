//! The core's results as the package's value types (`mfa_core._types`): frozen dataclasses and
//! `str` enums, with times as aware UTC `datetime`s. Secrets (an enrollment's secret and URI,
//! recovery codes) go into types whose `repr` hides them.
//!
//! This runs after every call, so it avoids what costs: each class and each enum member is
//! looked up once per process, and dataclasses are filled in as `pickle` rebuilds them rather
//! than through their generated `__init__`, which a frozen dataclass runs as one Python-level
//! `object.__setattr__` per field.

use mfa_core::{
    AuditEvent, AuditReport, Checkpoint, Enrollment, Error, MfaStatus, Org, Policy, RecoveryCodes,
    ResetReceipt, StoreInfo, UnixTime, User, UserCounts, Verification,
};
use pyo3::IntoPyObjectExt;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDateTime, PyDelta, PyDict, PyList, PyString, PyType, PyTzInfo};
use serde_json::Value;

use crate::errors::exception;

/// A class of `mfa_core._types`, imported on first use.
struct Class {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
}

impl Class {
    const fn new(name: &'static str) -> Self {
        Class { name, cell: PyOnceLock::new() }
    }

    fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.cell.import(py, "mfa_core._types", self.name)
    }

    /// A new instance of this dataclass with no fields yet: `cls.__new__(cls)`, the first half
    /// of how `pickle` rebuilds one.
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Fields<'py>> {
        let class = self.get(py)?;
        let obj = class.call_method1(intern!(py, "__new__"), (class,))?;
        let dict = obj.getattr(intern!(py, "__dict__"))?.cast_into::<PyDict>()?;
        Ok(Fields { obj, dict })
    }
}

static POLICY: Class = Class::new("Policy");
static ORG: Class = Class::new("Org");
static USER: Class = Class::new("User");
static MFA_STATUS: Class = Class::new("MfaStatus");
static ENROLLMENT: Class = Class::new("Enrollment");
static RECOVERY_CODES: Class = Class::new("RecoveryCodes");
static VERIFICATION: Class = Class::new("Verification");
static RESET_RECEIPT: Class = Class::new("ResetReceipt");
static RESET_OUTCOME: Class = Class::new("ResetOutcome");
static AUDIT_EVENT: Class = Class::new("AuditEvent");
static CHECKPOINT: Class = Class::new("Checkpoint");
static AUDIT_REPORT: Class = Class::new("AuditReport");
static STORE_INFO: Class = Class::new("StoreInfo");
static USER_COUNTS: Class = Class::new("UserCounts");

/// A dataclass instance being filled in: the second half of how `pickle` rebuilds one, each
/// field straight into the instance's `__dict__`. Every field must be set, as `__init__`
/// would; `tests/test_values.py` compares each result with one built by its constructor.
struct Fields<'py> {
    obj: Bound<'py, PyAny>,
    dict: Bound<'py, PyDict>,
}

impl<'py> Fields<'py> {
    /// Sets field `key`, an interned name (`intern!`): a key string made once per process, whose
    /// hash Python keeps, rather than one made and hashed on every call.
    fn set(self, key: &Bound<'py, PyString>, value: impl IntoPyObject<'py>) -> PyResult<Self> {
        self.dict.set_item(key, value)?;
        Ok(self)
    }

    fn done(self) -> Bound<'py, PyAny> {
        self.obj
    }
}

/// The members of one of the package's `str` enums with their values, looked up once. A few
/// members each: found by comparing the value in Rust, with no Python string made per call.
struct Members {
    class: Class,
    by_value: PyOnceLock<Vec<(String, Py<PyAny>)>>,
}

impl Members {
    const fn new(name: &'static str) -> Self {
        Members { class: Class::new(name), by_value: PyOnceLock::new() }
    }

    /// The member whose value is `value`, e.g. `Role.OWNER` for `"owner"`.
    fn get<'py>(&self, py: Python<'py>, value: &str) -> PyResult<Bound<'py, PyAny>> {
        let by_value = self.by_value.get_or_try_init(py, || {
            let mut members = Vec::new();
            for member in self.class.get(py)?.try_iter()? {
                let member = member?;
                members.push((member.getattr(intern!(py, "value"))?.extract::<String>()?, member.unbind()));
            }
            Ok::<_, PyErr>(members)
        })?;
        match by_value.iter().find(|(v, _)| v == value) {
            Some((_, member)) => Ok(member.bind(py).clone()),
            None => {
                Err(exception(py, &Error::Internal(format!("{} has no member {value:?}", self.class.name))))
            }
        }
    }
}

static ROLE: Members = Members::new("Role");
static USER_STATUS: Members = Members::new("UserStatus");
static MFA_STATE: Members = Members::new("MfaState");
static VERIFY_METHOD: Members = Members::new("VerifyMethod");
static OUTCOME: Members = Members::new("Outcome");

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

/// A `Policy`, its window as a `timedelta` (what its `__post_init__` makes of seconds).
pub(crate) fn policy<'py>(py: Python<'py>, p: &Policy) -> PyResult<Bound<'py, PyAny>> {
    let days = i32::try_from(p.enrollment_window / 86_400).unwrap_or(i32::MAX);
    let window = PyDelta::new(py, days, (p.enrollment_window % 86_400) as i32, 0, true)?;
    Ok(POLICY
        .fields(py)?
        .set(intern!(py, "mfa_required"), p.mfa_required)?
        .set(intern!(py, "enrollment_window"), window)?
        .set(intern!(py, "reset_limit_per_hour"), p.reset_limit_per_hour)?
        .set(intern!(py, "max_failed_verifications"), p.max_failed_verifications)?
        .set(intern!(py, "require_step_up"), p.require_step_up)?
        .done())
}

pub(crate) fn org<'py>(py: Python<'py>, o: &Org) -> PyResult<Bound<'py, PyAny>> {
    Ok(ORG
        .fields(py)?
        .set(intern!(py, "id"), &o.id)?
        .set(intern!(py, "name"), &o.name)?
        .set(intern!(py, "policy"), policy(py, &o.policy)?)?
        .set(intern!(py, "created_at"), datetime(py, o.created_at)?)?
        .done())
}

pub(crate) fn user<'py>(py: Python<'py>, u: &User) -> PyResult<Bound<'py, PyAny>> {
    Ok(USER
        .fields(py)?
        .set(intern!(py, "id"), &u.id)?
        .set(intern!(py, "org"), &u.org)?
        .set(intern!(py, "email"), &u.email)?
        .set(intern!(py, "role"), ROLE.get(py, u.role.as_str())?)?
        .set(intern!(py, "status"), USER_STATUS.get(py, u.status.as_str())?)?
        .set(intern!(py, "credential_epoch"), u.credential_epoch)?
        .set(intern!(py, "created_at"), datetime(py, u.created_at)?)?
        .done())
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
    Ok(MFA_STATUS
        .fields(py)?
        .set(intern!(py, "user"), &s.user)?
        .set(intern!(py, "state"), MFA_STATE.get(py, s.state.as_str())?)?
        .set(intern!(py, "deadline"), opt_datetime(py, s.deadline)?)?
        .set(intern!(py, "credential_epoch"), s.credential_epoch)?
        .set(intern!(py, "recovery_codes_remaining"), s.recovery_codes_remaining)?
        .done())
}

pub(crate) fn enrollment<'py>(py: Python<'py>, e: &Enrollment) -> PyResult<Bound<'py, PyAny>> {
    Ok(ENROLLMENT.fields(py)?.set(intern!(py, "secret"), &e.secret)?.set(intern!(py, "uri"), &e.uri)?.done())
}

pub(crate) fn recovery_codes<'py>(py: Python<'py>, codes: &RecoveryCodes) -> PyResult<Bound<'py, PyAny>> {
    RECOVERY_CODES.get(py)?.call1((codes.0.as_slice(),))
}

pub(crate) fn verification<'py>(py: Python<'py>, v: &Verification) -> PyResult<Bound<'py, PyAny>> {
    Ok(VERIFICATION
        .fields(py)?
        .set(intern!(py, "method"), VERIFY_METHOD.get(py, v.method.as_str())?)?
        .set(intern!(py, "recovery_codes_remaining"), v.recovery_codes_remaining)?
        .done())
}

pub(crate) fn receipt<'py>(py: Python<'py>, r: &ResetReceipt) -> PyResult<Bound<'py, PyAny>> {
    Ok(RESET_RECEIPT
        .fields(py)?
        .set(intern!(py, "target"), &r.target)?
        .set(intern!(py, "previous_state"), MFA_STATE.get(py, r.previous_state.as_str())?)?
        .set(intern!(py, "state"), MFA_STATE.get(py, r.state.as_str())?)?
        .set(intern!(py, "deadline"), datetime(py, r.deadline)?)?
        .set(intern!(py, "credential_epoch"), r.credential_epoch)?
        .set(intern!(py, "audit_seq"), r.audit_seq)?
        .set(intern!(py, "dry_run"), r.dry_run)?
        .done())
}

/// One target's outcome in `reset_mfa_many`: its receipt, or the exception a single
/// `reset_mfa` would have raised.
pub(crate) fn outcome<'py>(
    py: Python<'py>,
    target: &str,
    result: &Result<ResetReceipt, Error>,
) -> PyResult<Bound<'py, PyAny>> {
    let fields = RESET_OUTCOME.fields(py)?.set(intern!(py, "target"), target)?;
    let fields = match result {
        Ok(r) => fields.set(intern!(py, "receipt"), receipt(py, r)?)?.set(intern!(py, "error"), py.None())?,
        Err(e) => fields
            .set(intern!(py, "receipt"), py.None())?
            .set(intern!(py, "error"), exception(py, e).into_value(py))?,
    };
    Ok(fields.done())
}

pub(crate) fn event<'py>(py: Python<'py>, e: &AuditEvent) -> PyResult<Bound<'py, PyAny>> {
    Ok(AUDIT_EVENT
        .fields(py)?
        .set(intern!(py, "seq"), e.seq)?
        .set(intern!(py, "at"), datetime(py, e.at)?)?
        .set(intern!(py, "actor"), &e.actor)?
        .set(intern!(py, "target"), &e.target)?
        .set(intern!(py, "org"), &e.org)?
        .set(intern!(py, "action"), &e.action)?
        .set(intern!(py, "outcome"), OUTCOME.get(py, e.outcome.as_str())?)?
        .set(intern!(py, "code"), &e.code)?
        .set(intern!(py, "reason"), &e.reason)?
        .set(intern!(py, "detail"), json(py, &e.detail)?)?
        .set(intern!(py, "mac"), &e.mac)?
        .done())
}

/// A `Checkpoint`, the named tuple `(seq, mac)`.
pub(crate) fn checkpoint<'py>(py: Python<'py>, c: &Checkpoint) -> PyResult<Bound<'py, PyAny>> {
    CHECKPOINT.get(py)?.call1((c.seq, c.mac.as_str()))
}

pub(crate) fn store_info<'py>(py: Python<'py>, i: &StoreInfo) -> PyResult<Bound<'py, PyAny>> {
    Ok(STORE_INFO
        .fields(py)?
        .set(intern!(py, "schema_version"), i.schema_version)?
        .set(intern!(py, "path"), i.path.as_ref().map(|p| p.to_string_lossy().into_owned()))?
        .set(intern!(py, "mode"), i.mode)?
        .set(intern!(py, "readable_by_others"), i.readable_by_others)?
        .set(intern!(py, "file_size"), i.file_size)?
        .set(intern!(py, "key_check_ok"), i.key_check_ok)?
        .set(intern!(py, "orgs"), i.orgs)?
        .set(intern!(py, "users"), user_counts(py, &i.users)?)?
        .set(intern!(py, "audit_events"), i.audit_events)?
        .set(intern!(py, "audit_head"), checkpoint(py, &i.audit_head)?)?
        .set(intern!(py, "engine"), i.engine)?
        .done())
}

fn user_counts<'py>(py: Python<'py>, u: &UserCounts) -> PyResult<Bound<'py, PyAny>> {
    Ok(USER_COUNTS
        .fields(py)?
        .set(intern!(py, "total"), u.total)?
        .set(intern!(py, "not_enrolled"), u.not_enrolled)?
        .set(intern!(py, "enrollment_required"), u.enrollment_required)?
        .set(intern!(py, "locked_out"), u.locked_out)?
        .set(intern!(py, "enrolled"), u.enrolled)?
        .set(intern!(py, "disabled"), u.disabled)?
        .done())
}

pub(crate) fn report<'py>(py: Python<'py>, r: &AuditReport) -> PyResult<Bound<'py, PyAny>> {
    Ok(AUDIT_REPORT
        .fields(py)?
        .set(intern!(py, "ok"), r.ok)?
        .set(intern!(py, "checked"), r.checked)?
        .set(intern!(py, "first_bad_seq"), r.first_bad_seq)?
        .done())
}
