//! JS arguments to Rust values. Every check here is about the JS type only (a number where a
//! string belongs, an unknown option, a `Date` that is not a date); what the values mean is the
//! core's to judge. Any mismatch is `invalid_input`, never a napi type error or a crash.

use mfa_core::{AuditQuery, Checkpoint, Error, OpenOptions, Policy, PolicyChanges, ResetOptions, Role};
use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, JsValue, Object, Uint8Array, Unknown};
use napi::{JsDate, ValueType};
use zeroize::Zeroizing;

type Result<T> = std::result::Result<T, Error>;

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidInput(msg.into())
}

fn type_of(value: &Unknown) -> Result<ValueType> {
    value.get_type().map_err(|e| invalid(format!("unreadable argument: {}", e.reason)))
}

/// `undefined` and `null` both mean "not given".
fn is_absent(value: &Unknown) -> Result<bool> {
    Ok(matches!(type_of(value)?, ValueType::Undefined | ValueType::Null))
}

pub(crate) fn string(name: &str, value: &Unknown) -> Result<String> {
    if type_of(value)? != ValueType::String {
        return Err(invalid(format!("{name} must be a string")));
    }
    String::from_unknown(*value).map_err(|e| invalid(format!("{name}: {}", e.reason)))
}

fn boolean(name: &str, value: &Unknown) -> Result<bool> {
    if type_of(value)? != ValueType::Boolean {
        return Err(invalid(format!("{name} must be true or false")));
    }
    bool::from_unknown(*value).map_err(|e| invalid(format!("{name}: {}", e.reason)))
}

/// A whole, non-negative JS number no larger than `max` (numbers are doubles in JS: a
/// fraction, `NaN` or `Infinity` is refused rather than rounded).
fn whole(name: &str, value: &Unknown, max: u64) -> Result<u64> {
    if type_of(value)? != ValueType::Number {
        return Err(invalid(format!("{name} must be a number")));
    }
    let n = f64::from_unknown(*value).map_err(|e| invalid(format!("{name}: {}", e.reason)))?;
    if !(n.is_finite() && n.fract() == 0.0 && n >= 0.0 && n <= max as f64) {
        return Err(invalid(format!("{name} must be a whole number from 0 to {max}, got {n}")));
    }
    Ok(n as u64)
}

/// A `Date` as Unix seconds (rounded down, as the core counts whole seconds).
pub(crate) fn date(name: &str, value: &Unknown) -> Result<i64> {
    let not_a_date = || invalid(format!("{name} must be a valid Date"));
    if !value.is_date().map_err(|_| not_a_date())? {
        return Err(not_a_date());
    }
    let millis = JsDate::from_unknown(*value).and_then(|d| d.value_of()).map_err(|_| not_a_date())?;
    if !millis.is_finite() {
        return Err(not_a_date());
    }
    Ok((millis / 1000.0).floor() as i64)
}

/// The store key: a `Buffer` or `Uint8Array` (its length is the core's to check), copied into
/// memory that is wiped once the store is open.
pub(crate) fn key(value: &Unknown) -> Result<Zeroizing<Vec<u8>>> {
    let not_bytes = || invalid("key must be a Buffer or Uint8Array of 32 bytes");
    if !value.is_typedarray().map_err(|_| not_bytes())? {
        return Err(not_bytes());
    }
    Uint8Array::from_unknown(*value).map(|bytes| Zeroizing::new(bytes.to_vec())).map_err(|_| not_bytes())
}

pub(crate) fn role(value: &Unknown) -> Result<Role> {
    string("role", value)?.parse()
}

pub(crate) fn strings(name: &str, value: &Unknown) -> Result<Vec<String>> {
    let not_a_list = || invalid(format!("{name} must be an array of strings"));
    if !value.is_array().map_err(|_| not_a_list())? {
        return Err(not_a_list());
    }
    let list = Object::from_unknown(*value).map_err(|_| not_a_list())?;
    let len = list.get_array_length().map_err(|_| not_a_list())?;
    (0..len)
        .map(|i| {
            let item: Unknown = list.get_element(i).map_err(|_| not_a_list())?;
            string(&format!("{name}[{i}]"), &item)
        })
        .collect()
}

/// An options object: absent, or a plain object whose keys are all in `known` (a typo such as
/// `dryrun` must not silently drop an option). Calls `field` for each key present and given.
fn options(
    name: &str,
    value: &Unknown,
    known: &[&str],
    mut field: impl FnMut(&str, &Unknown) -> Result<()>,
) -> Result<()> {
    if is_absent(value)? {
        return Ok(());
    }
    let not_an_object = || invalid(format!("{name} must be an object"));
    if type_of(value)? != ValueType::Object || value.is_array().map_err(|_| not_an_object())? {
        return Err(not_an_object());
    }
    let object = Object::from_unknown(*value).map_err(|_| not_an_object())?;
    let keys = Object::keys(&object).map_err(|_| not_an_object())?;
    for key in keys {
        if !known.contains(&key.as_str()) {
            return Err(invalid(format!("{name} has no option {key:?} (known: {})", known.join(", "))));
        }
        let item: Unknown = object.get_named_property(&key).map_err(|_| not_an_object())?;
        if !is_absent(&item)? {
            field(&key, &item)?;
        }
    }
    Ok(())
}

/// `{ manualClock?: Date, issuer?: string, createIfMissing?: boolean, durability?: 'full' |
/// 'normal' }`.
pub(crate) fn open_options(value: &Unknown) -> Result<OpenOptions> {
    let mut out = OpenOptions::default();
    let known = ["manualClock", "issuer", "createIfMissing", "durability"];
    options("options", value, &known, |key, v| {
        match key {
            "manualClock" => out.manual_clock = Some(date("manualClock", v)?),
            "createIfMissing" => out.create_if_missing = boolean("createIfMissing", v)?,
            "durability" => out.durability = string("durability", v)?.parse()?,
            _ => out.issuer = Some(string("issuer", v)?),
        }
        Ok(())
    })?;
    Ok(out)
}

/// Any subset of the policy fields; the others keep the documented defaults.
pub(crate) fn policy(value: &Unknown) -> Result<Policy> {
    let mut p = Policy::default();
    let known =
        ["mfaRequired", "enrollmentWindow", "resetLimitPerHour", "maxFailedVerifications", "requireStepUp"];
    options("policy", value, &known, |key, v| {
        match key {
            "mfaRequired" => p.mfa_required = boolean(key, v)?,
            "enrollmentWindow" => p.enrollment_window = whole(key, v, u64::MAX)?,
            "resetLimitPerHour" => p.reset_limit_per_hour = whole(key, v, u32::MAX.into())? as u32,
            "maxFailedVerifications" => p.max_failed_verifications = whole(key, v, u32::MAX.into())? as u32,
            _ => p.require_step_up = boolean(key, v)?,
        }
        Ok(())
    })?;
    Ok(p)
}

/// `PolicyInput` for `updatePolicy`: each field given (not `undefined` or `null`) changes.
pub(crate) fn policy_changes(value: &Unknown) -> Result<PolicyChanges> {
    let mut c = PolicyChanges::default();
    let known =
        ["mfaRequired", "enrollmentWindow", "resetLimitPerHour", "maxFailedVerifications", "requireStepUp"];
    options("changes", value, &known, |key, v| {
        match key {
            "mfaRequired" => c.mfa_required = Some(boolean(key, v)?),
            "enrollmentWindow" => c.enrollment_window = Some(whole(key, v, u64::MAX)?),
            "resetLimitPerHour" => c.reset_limit_per_hour = Some(whole(key, v, u32::MAX.into())? as u32),
            "maxFailedVerifications" => {
                c.max_failed_verifications = Some(whole(key, v, u32::MAX.into())? as u32)
            }
            _ => c.require_step_up = Some(boolean(key, v)?),
        }
        Ok(())
    })?;
    Ok(c)
}

/// `{ windowSeconds?, reason?, dryRun?, proof?, actorProof? }`.
pub(crate) fn reset_options(value: &Unknown) -> Result<ResetOptions> {
    let mut o = ResetOptions::default();
    let known = ["windowSeconds", "reason", "dryRun", "proof", "actorProof"];
    options("options", value, &known, |key, v| {
        match key {
            "windowSeconds" => o.window = Some(whole(key, v, u64::MAX)?),
            "reason" => o.reason = Some(string(key, v)?),
            "dryRun" => o.dry_run = boolean(key, v)?,
            "proof" => o.proof = Some(string(key, v)?),
            _ => o.actor_proof = Some(string(key, v)?),
        }
        Ok(())
    })?;
    Ok(o)
}

/// `{ actorProof? }`, the step-up code of the directory changes.
pub(crate) fn actor_proof(value: &Unknown) -> Result<Option<String>> {
    let mut proof = None;
    options("options", value, &["actorProof"], |key, v| {
        proof = Some(string(key, v)?);
        Ok(())
    })?;
    Ok(proof)
}

/// `{ afterSeq?, limit?, actor?, target?, action? }`.
pub(crate) fn audit_query(value: &Unknown) -> Result<AuditQuery> {
    let mut q = AuditQuery::default();
    options("query", value, &["afterSeq", "limit", "actor", "target", "action"], |key, v| {
        match key {
            "afterSeq" => q.after_seq = whole(key, v, u64::MAX)?,
            "limit" => q.limit = Some(whole(key, v, u32::MAX.into())? as u32),
            "actor" => q.actor = Some(string(key, v)?),
            "target" => q.target = Some(string(key, v)?),
            _ => q.action = Some(string(key, v)?),
        }
        Ok(())
    })?;
    Ok(q)
}

/// `{ seq, mac }`, as `auditCheckpoint()` returned it; absent: no checkpoint.
pub(crate) fn checkpoint(value: &Unknown) -> Result<Option<Checkpoint>> {
    if is_absent(value)? {
        return Ok(None);
    }
    let (mut seq, mut mac) = (None, None);
    options("checkpoint", value, &["seq", "mac"], |key, v| {
        match key {
            "seq" => seq = Some(whole(key, v, u64::MAX)?),
            _ => mac = Some(string(key, v)?),
        }
        Ok(())
    })?;
    match (seq, mac) {
        (Some(seq), Some(mac)) => Ok(Some(Checkpoint { seq, mac })),
        _ => Err(invalid("checkpoint needs both seq and mac")),
    }
}
