//! Python arguments into the core's types. Every argument is taken as a plain Python object and
//! converted here, with the standard library's split: a value of the wrong type (`None`, `bytes`
//! for `str`, a float or a `bool` for an `int`, `1` for a `bool`) is a `TypeError` naming the
//! argument, a bug in the calling code; a value of the right type that is not acceptable (an
//! int out of range, a naive `datetime`, a lone surrogate) is `InvalidInput`, a `ValueError`,
//! like the core's own refusals. Checks of content (UUID syntax, lengths, ranges, NUL bytes)
//! stay in the core.

use std::path::PathBuf;

use mfa_core::{Checkpoint, Policy, PolicyChanges, Role, UnixTime};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDateTime, PyDelta, PyDeltaAccess, PyInt, PyString, PyTuple, PyType,
};
use zeroize::Zeroizing;

use crate::errors::invalid;

static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static POLICY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Earliest and latest clock a handle accepts: 1970 (TOTP counts steps from the epoch) to the
/// end of 9998, so that every time the core derives (a deadline up to 365 days on) is still a
/// Python `datetime` (whose last year is 9999).
const MIN_TIME: UnixTime = 0;
const MAX_TIME: UnixTime = 253_370_764_799;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string())
}

/// The `TypeError` for an argument of the wrong type, worded as the standard library words it
/// (`user must be str or uuid.UUID, not int`). It never shows the value, which may be a secret.
pub(crate) fn wrong_type(what: &str, expected: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{what} must be {expected}, not {}", type_name(obj)))
}

/// Whether `obj` is an `int` and not a `bool` (which Python counts as an int).
fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()
}

/// An optional argument: Python's `None` means "not given", like leaving it out.
pub(crate) fn given<'a, 'py>(obj: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    obj.filter(|o| !o.is_none())
}

/// A `str` (or a `str` subclass such as the package's enums).
pub(crate) fn text(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    match obj.cast::<PyString>() {
        Ok(s) => s.to_cow().map(String::from),
        Err(_) => return Err(wrong_type(what, "str", obj)),
    }
    .map_err(|_| invalid(format!("{what} is not valid Unicode (lone surrogate)")))
}

/// An optional `str`: `None` means not given.
pub(crate) fn opt_text(what: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    given(obj).map(|o| text(what, o)).transpose()
}

/// An id: a `str` (the core checks that it is a UUID) or a `uuid.UUID`.
pub(crate) fn id(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if obj.is_instance_of::<PyString>() {
        return text(what, obj); // the common case first: no `uuid` lookup
    }
    if obj.is_instance(UUID.import(obj.py(), "uuid", "UUID")?)? {
        return Ok(obj.str()?.to_string());
    }
    Err(wrong_type(what, "str or uuid.UUID", obj))
}

/// An optional id: `None` means not given.
pub(crate) fn opt_id(what: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    given(obj).map(|o| id(what, o)).transpose()
}

/// Any iterable of ids (a list, a tuple, a generator); a single `str` or `bytes`, though
/// iterable, is refused rather than taken as ids of one character.
pub(crate) fn ids(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let expected = "an iterable of ids (str or uuid.UUID)";
    if obj.is_instance_of::<PyString>() || obj.is_instance_of::<PyBytes>() {
        return Err(wrong_type(what, expected, obj));
    }
    let items = obj.try_iter().map_err(|_| wrong_type(what, expected, obj))?;
    items.map(|item| id(&format!("each of {what}"), &item?)).collect()
}

/// A `bool`, strictly: `1` or `"yes"` is refused rather than guessed at.
pub(crate) fn flag(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    match obj.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(wrong_type(what, "bool", obj)),
    }
}

/// A whole number (not a `bool`) from 0 to `max`.
pub(crate) fn count(what: &str, obj: &Bound<'_, PyAny>, max: u64) -> PyResult<u64> {
    if !is_int(obj) {
        return Err(wrong_type(what, "int", obj));
    }
    obj.extract::<u64>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| invalid(format!("{what} must be between 0 and {max}, got {obj}")))
}

/// [`count`] for a `u32` field.
pub(crate) fn count32(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    count(what, obj, u32::MAX.into()).map(|n| n as u32)
}

/// `dry_run`, converted by [`flag`] (so `1` is a `TypeError`); a type rather than an
/// `Option` so that its default is `False`, as the stubs say.
pub(crate) struct DryRun(pub bool);

impl<'a, 'py> FromPyObject<'a, 'py> for DryRun {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        flag("dry_run", &obj.to_owned()).map(DryRun)
    }
}

/// A duration: whole seconds as an `int`, or a `datetime.timedelta` of whole seconds. The core
/// checks the range (for a window, 1 s to 365 days).
pub(crate) fn seconds(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(delta) = obj.cast::<PyDelta>() {
        if delta.get_microseconds() != 0 {
            return Err(invalid(format!("{what} must be whole seconds, got {obj}")));
        }
        let total = i64::from(delta.get_days()) * 86_400 + i64::from(delta.get_seconds());
        return u64::try_from(total).map_err(|_| invalid(format!("{what} must not be negative, got {obj}")));
    }
    if !is_int(obj) {
        return Err(wrong_type(what, "int (seconds) or datetime.timedelta", obj));
    }
    obj.extract::<u64>()
        .map_err(|_| invalid(format!("{what} must be between 0 and {} seconds, got {obj}", u64::MAX)))
}

/// An optional duration: `None` means not given.
pub(crate) fn opt_seconds(what: &str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    given(obj).map(|o| seconds(what, o)).transpose()
}

/// A point in time: an aware `datetime` (any zone), or Unix seconds as an `int`. A naive
/// `datetime` is refused: guessing its zone would move the clock by hours.
pub(crate) fn time(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<UnixTime> {
    let t = if obj.is_instance_of::<PyDateTime>() {
        if obj.call_method0("utcoffset")?.is_none() {
            return Err(invalid(format!("{what} must be an aware datetime (with tzinfo), got a naive one")));
        }
        let seconds: f64 = obj.call_method0("timestamp")?.extract()?;
        seconds.floor() as UnixTime
    } else if is_int(obj) {
        obj.extract::<UnixTime>().unwrap_or(UnixTime::MAX)
    } else {
        return Err(wrong_type(what, "datetime.datetime (aware) or int (Unix seconds)", obj));
    };
    if !(MIN_TIME..=MAX_TIME).contains(&t) {
        return Err(invalid(format!("{what} must be between 1970-01-01 and 9998-12-31T23:59:59Z")));
    }
    Ok(t)
}

/// The 32-byte master key as `bytes` or `bytearray`; the core checks its length. Our copy is
/// wiped when dropped (the caller's Python object is theirs to manage).
pub(crate) fn key(obj: &Bound<'_, PyAny>) -> PyResult<Zeroizing<Vec<u8>>> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(Zeroizing::new(bytes.as_bytes().to_vec()));
    }
    if let Ok(array) = obj.cast::<PyByteArray>() {
        return Ok(Zeroizing::new(array.to_vec()));
    }
    Err(wrong_type("key", "bytes or bytearray (32 bytes)", obj))
}

/// A file path: `str` or `os.PathLike` giving a `str` (a `bytes` path is refused: the core
/// takes text).
pub(crate) fn path(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let expected = "str or os.PathLike[str]";
    let fspath = obj.py().import("os")?.getattr("fspath")?;
    let path = fspath.call1((obj,)).map_err(|_| wrong_type("path", expected, obj))?;
    if !path.is_instance_of::<PyString>() {
        return Err(wrong_type("path", expected, &path));
    }
    Ok(PathBuf::from(text("path", &path)?))
}

/// A role: `"owner"`, `"admin"`, `"member"` or a `Role` (a `str` enum); the core parses it.
pub(crate) fn role(obj: &Bound<'_, PyAny>) -> PyResult<Role> {
    text("role", obj)?.parse::<Role>().map_err(crate::errors::raise)
}

/// A `Policy`, or `None` for the documented defaults.
pub(crate) fn policy(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Policy> {
    let Some(obj) = given(obj) else { return Ok(Policy::default()) };
    let class = POLICY.import(obj.py(), "mfa_core._types", "Policy")?;
    if !obj.is_instance(class)? {
        return Err(wrong_type("policy", "mfa_core.Policy", obj));
    }
    Ok(Policy {
        mfa_required: flag("policy.mfa_required", &obj.getattr("mfa_required")?)?,
        enrollment_window: seconds("policy.enrollment_window", &obj.getattr("enrollment_window")?)?,
        reset_limit_per_hour: count32("policy.reset_limit_per_hour", &obj.getattr("reset_limit_per_hour")?)?,
        max_failed_verifications: count32(
            "policy.max_failed_verifications",
            &obj.getattr("max_failed_verifications")?,
        )?,
        require_step_up: flag("policy.require_step_up", &obj.getattr("require_step_up")?)?,
    })
}

/// The keyword arguments of `update_policy`: each one given (not `None`) changes that field.
pub(crate) fn policy_changes(
    mfa_required: Option<&Bound<'_, PyAny>>,
    enrollment_window: Option<&Bound<'_, PyAny>>,
    reset_limit_per_hour: Option<&Bound<'_, PyAny>>,
    max_failed_verifications: Option<&Bound<'_, PyAny>>,
    require_step_up: Option<&Bound<'_, PyAny>>,
) -> PyResult<PolicyChanges> {
    Ok(PolicyChanges {
        mfa_required: given(mfa_required).map(|v| flag("mfa_required", v)).transpose()?,
        enrollment_window: given(enrollment_window).map(|v| seconds("enrollment_window", v)).transpose()?,
        reset_limit_per_hour: given(reset_limit_per_hour)
            .map(|v| count32("reset_limit_per_hour", v))
            .transpose()?,
        max_failed_verifications: given(max_failed_verifications)
            .map(|v| count32("max_failed_verifications", v))
            .transpose()?,
        require_step_up: given(require_step_up).map(|v| flag("require_step_up", v)).transpose()?,
    })
}

/// An optional checkpoint: what `audit_checkpoint` returned (a `Checkpoint`, a named tuple) or
/// any `(seq, mac)` tuple, such as one read back from a host's own storage. The core checks the
/// MAC's shape.
pub(crate) fn checkpoint(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Checkpoint>> {
    let Some(obj) = given(obj) else { return Ok(None) };
    let Ok(pair) = obj.cast::<PyTuple>() else {
        return Err(wrong_type("checkpoint", "mfa_core.Checkpoint or a (seq, mac) tuple", obj));
    };
    if pair.len() != 2 {
        return Err(invalid(format!("checkpoint must be (seq, mac), got a tuple of {}", pair.len())));
    }
    Ok(Some(Checkpoint {
        seq: count("checkpoint.seq", &pair.get_item(0)?, u64::MAX)?,
        mac: text("checkpoint.mac", &pair.get_item(1)?)?,
    }))
}
