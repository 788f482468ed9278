//! The [`Driver`] over the Rust API itself: [`mfa_core::Core`].

use std::path::Path;
use std::str::FromStr;

use mfa_core::{AuditQuery, Checkpoint, Core, Error, OpenOptions, Policy, PolicyChanges, ResetOptions, Role};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::driver::{Driver, Failure};

/// Replays scenarios against [`Core`] directly: arguments become the Rust types, results are
/// the model types serialised (their serde shape is the README's), errors as their code.
pub struct CoreDriver {
    core: Core,
}

impl CoreDriver {
    /// The store file at `path` (created if missing), or a fresh in-memory store for `None`,
    /// with `key` and a manual clock at `t0`.
    pub fn open(path: Option<&Path>, key: &[u8], t0: i64) -> Result<CoreDriver, Failure> {
        let options = OpenOptions { manual_clock: Some(t0), ..OpenOptions::default() };
        let core = match path {
            Some(path) => Core::open(path, key, options),
            None => Core::open_in_memory(key, options),
        };
        Ok(CoreDriver { core: core.map_err(failure)? })
    }

    /// The store at `location` (a file path or a PostgreSQL URL naming a database or schema,
    /// where a store is created if there is none) with `key` and a manual clock at `t0`.
    pub fn open_at(location: &str, key: &[u8], t0: i64) -> Result<CoreDriver, Failure> {
        let options = OpenOptions { manual_clock: Some(t0), ..OpenOptions::default() };
        Ok(CoreDriver { core: Core::open(location, key, options).map_err(failure)? })
    }
}

impl Driver for CoreDriver {
    fn set_time(&mut self, unix_seconds: i64) -> Result<(), Failure> {
        self.core.set_time(unix_seconds).map_err(failure)
    }

    fn call(&mut self, op: &str, args: &Map<String, Value>) -> Result<Value, Failure> {
        let a = Args(args);
        let core = &self.core;
        match op {
            "create_org" => to_json(core.create_org(a.str("name")?, policy(a.get("policy"))?)),
            "create_user" => to_json(core.create_user(a.str("org")?, a.str("email")?, a.role("role")?)),
            "get_user" => to_json(core.get_user(a.str("user")?)),
            "list_users" => to_json(core.list_users(a.str("org")?)),
            "set_role" => to_json(core.set_role(
                a.str("actor")?,
                a.str("target")?,
                a.role("role")?,
                a.opt_str("actor_proof")?,
            )),
            "disable_user" => {
                to_json(core.disable_user(a.str("actor")?, a.str("target")?, a.opt_str("actor_proof")?))
            }
            "enable_user" => to_json(core.enable_user(a.str("actor")?, a.str("target")?)),
            "update_policy" => to_json(core.update_policy(
                a.str("actor")?,
                a.str("org")?,
                &policy_changes("changes", a.get("changes"))?,
                a.opt_str("actor_proof")?,
            )),
            "delete_user" => {
                to_json(core.delete_user(a.str("actor")?, a.str("target")?, a.opt_str("actor_proof")?))
            }
            "rename_user" => to_json(core.rename_user(
                a.str("actor")?,
                a.str("target")?,
                a.str("email")?,
                a.opt_str("actor_proof")?,
            )),
            "begin_enrollment" => core
                .begin_enrollment(a.str("user")?)
                .map(|e| json!({ "secret": e.secret, "uri": e.uri }))
                .map_err(failure),
            "confirm_enrollment" => core
                .confirm_enrollment(a.str("user")?, a.str("code")?)
                .map(|codes| json!({ "recovery_codes": codes.0 }))
                .map_err(failure),
            "regenerate_recovery_codes" => core
                .regenerate_recovery_codes(a.str("user")?, a.str("proof")?)
                .map(|codes| json!({ "recovery_codes": codes.0 }))
                .map_err(failure),
            "verify" => to_json(core.verify(a.str("user")?, a.str("code")?)),
            "mfa_status" => to_json(core.mfa_status(a.str("user")?)),
            "reset_mfa" => to_json(core.reset_mfa(a.str("actor")?, a.str("target")?, &reset_options(&a)?)),
            "reset_mfa_many" => {
                let targets = a.strings("targets")?;
                let outcomes = core.reset_mfa_many(a.str("actor")?, &targets, &reset_options(&a)?);
                outcomes.map_err(failure).map(|list| list.into_iter().map(outcome).collect())
            }
            "audit_events" => to_json(core.audit_events(&AuditQuery {
                after_seq: a.opt_u64("after_seq")?.unwrap_or(0),
                limit: a.opt_u64("limit")?.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                actor: a.opt_str("actor")?.map(str::to_string),
                target: a.opt_str("target")?.map(str::to_string),
                action: a.opt_str("action")?.map(str::to_string),
            })),
            "audit_checkpoint" => to_json(core.audit_checkpoint()),
            "verify_audit" => to_json(core.verify_audit(a.checkpoint("checkpoint")?.as_ref())),
            "info" => to_json(core.info()),
            "backup" => to_json(core.backup(a.str("path")?)),
            "rotate_key" => to_json(core.rotate_key(&a.bytes("key")?)),
            _ => Err(Failure::harness(format!("CoreDriver has no op {op:?}"))),
        }
    }
}

fn failure(err: Error) -> Failure {
    Failure {
        code: err.code().to_string(),
        retry_after: err.retry_after(),
        message: err.message().to_string(),
    }
}

fn to_json<T: Serialize>(result: Result<T, Error>) -> Result<Value, Failure> {
    let value = result.map_err(failure)?;
    serde_json::to_value(value).map_err(|e| Failure::harness(format!("result does not serialise: {e}")))
}

/// One `reset_mfa_many` outcome: `{"ok": receipt}` or `{"error": code}` (+ `retry_after`).
fn outcome(result: Result<mfa_core::ResetReceipt, Error>) -> Value {
    match result {
        Ok(receipt) => json!({ "ok": receipt }),
        Err(err) => match err.retry_after() {
            Some(seconds) => json!({ "error": err.code(), "retry_after": seconds }),
            None => json!({ "error": err.code() }),
        },
    }
}

fn reset_options(a: &Args) -> Result<ResetOptions, Failure> {
    Ok(ResetOptions {
        window: a.opt_u64("window")?,
        reason: a.opt_str("reason")?.map(str::to_string),
        dry_run: a.opt_bool("dry_run")?.unwrap_or(false),
        proof: a.opt_str("proof")?.map(str::to_string),
        actor_proof: a.opt_str("actor_proof")?.map(str::to_string),
    })
}

/// A policy from any subset of its fields; the others keep the documented defaults.
fn policy(value: Option<&Value>) -> Result<Policy, Failure> {
    Ok(policy_changes("policy", value)?.apply(Policy::default()))
}

/// The fields of a policy object that are given, for `create_org` and `update_policy`.
fn policy_changes(name: &str, value: Option<&Value>) -> Result<PolicyChanges, Failure> {
    let mut changes = PolicyChanges::default();
    let Some(value) = value else { return Ok(changes) };
    let fields = value.as_object().ok_or_else(|| Failure::harness(format!("{name:?} must be an object")))?;
    let p = Args(fields);
    for key in fields.keys() {
        match key.as_str() {
            "mfa_required" => changes.mfa_required = Some(p.bool("mfa_required")?),
            "enrollment_window" => changes.enrollment_window = Some(p.u64("enrollment_window")?),
            "reset_limit_per_hour" => changes.reset_limit_per_hour = Some(p.u32("reset_limit_per_hour")?),
            "max_failed_verifications" => {
                changes.max_failed_verifications = Some(p.u32("max_failed_verifications")?)
            }
            "require_step_up" => changes.require_step_up = Some(p.bool("require_step_up")?),
            other => return Err(Failure::harness(format!("unknown policy field {other:?}"))),
        }
    }
    Ok(changes)
}

/// Typed access to a step's arguments; a missing or mistyped one is a harness failure.
struct Args<'a>(&'a Map<String, Value>);

impl<'a> Args<'a> {
    /// The value of `key`, with `null` read as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn typed<T>(
        &self,
        key: &str,
        what: &str,
        read: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, Failure> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                read(v).map(Some).ok_or_else(|| Failure::harness(format!("{key:?} must be {what}, got {v}")))
            }
        }
    }

    fn required<T>(&self, key: &str, value: Option<T>) -> Result<T, Failure> {
        value.ok_or_else(|| Failure::harness(format!("missing argument {key:?}")))
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, Failure> {
        self.typed(key, "a string", Value::as_str)
    }

    fn str(&self, key: &str) -> Result<&'a str, Failure> {
        self.required(key, self.opt_str(key)?)
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, Failure> {
        self.typed(key, "a whole number", Value::as_u64)
    }

    fn u64(&self, key: &str) -> Result<u64, Failure> {
        self.required(key, self.opt_u64(key)?)
    }

    fn u32(&self, key: &str) -> Result<u32, Failure> {
        let n =
            self.typed(key, "a whole number below 2^32", |v| v.as_u64().and_then(|n| u32::try_from(n).ok()))?;
        self.required(key, n)
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Failure> {
        self.typed(key, "true or false", Value::as_bool)
    }

    fn bool(&self, key: &str) -> Result<bool, Failure> {
        self.required(key, self.opt_bool(key)?)
    }

    /// A role is passed to the core's parser, which answers `invalid_input` for unknown ones.
    fn role(&self, key: &str) -> Result<Role, Failure> {
        Role::from_str(self.str(key)?).map_err(failure)
    }

    /// A checkpoint `{"seq", "mac"}`, if given.
    fn checkpoint(&self, key: &str) -> Result<Option<Checkpoint>, Failure> {
        self.typed(key, "a checkpoint", |v| {
            Some(Checkpoint { seq: v.get("seq")?.as_u64()?, mac: v.get("mac")?.as_str()?.to_string() })
        })
    }

    /// A list of byte values (a key).
    fn bytes(&self, key: &str) -> Result<Vec<u8>, Failure> {
        let bytes = self.typed(key, "a list of bytes", |v| {
            v.as_array()?
                .iter()
                .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Option<Vec<u8>>>()
        })?;
        self.required(key, bytes)
    }

    fn strings(&self, key: &str) -> Result<Vec<&'a str>, Failure> {
        let list = self.typed(key, "a list of strings", |v| {
            v.as_array()?.iter().map(Value::as_str).collect::<Option<Vec<_>>>()
        })?;
        self.required(key, list)
    }
}
