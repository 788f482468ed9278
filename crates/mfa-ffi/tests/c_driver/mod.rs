//! The scenario driver for the C ABI: every operation through the `extern "C"` functions,
//! exactly as a C host calls them: C strings in, plain structs out, `mfa_status` codes for
//! errors. Shared by the replay on SQLite (`scenarios.rs`) and on PostgreSQL (`postgres.rs`).

use std::ffi::{CStr, CString, c_char};
use std::mem::MaybeUninit;
use std::ptr;

use ::mfa_core::*;
use mfa_scenarios::{Driver, Failure};
use serde_json::{Map, Value, json};

/// A handle opened through the C ABI; closed on drop.
pub struct CDriver {
    core: *mut mfa_core,
}

impl Drop for CDriver {
    fn drop(&mut self) {
        unsafe { mfa_core_close(self.core) };
    }
}

impl CDriver {
    /// Opens `location` (`:memory:`, a store file's path or a `postgresql://` URL) through
    /// `mfa_core_open` with `key` and a manual clock at `t0`.
    pub fn open(location: &str, key: &[u8], t0: i64) -> Result<CDriver, Failure> {
        let location =
            CString::new(location).map_err(|_| Failure::harness("the store location holds a NUL byte"))?;
        let mut options = MaybeUninit::uninit();
        unsafe { mfa_open_options_init(options.as_mut_ptr()) };
        let mut options = unsafe { options.assume_init() };
        options.manual_clock = true;
        options.start_time = t0;
        let mut core = ptr::null_mut();
        check(unsafe { mfa_core_open(location.as_ptr(), key.as_ptr(), key.len(), &options, &mut core) })?;
        let driver = CDriver { core };
        // The store is on the engine the location names.
        let on_server = location.to_bytes().starts_with(b"postgres");
        let info = fill(|out| unsafe { mfa_core_info(driver.core, out) })?;
        let engine = text(unsafe { (*info).engine });
        unsafe { mfa_store_info_free(info) };
        if engine != if on_server { "postgresql" } else { "sqlite" } {
            return Err(Failure::harness(format!("the store opened on engine {engine}")));
        }
        Ok(driver)
    }
}

/// `Err` with the thread's last error for any status but `MFA_OK`.
fn check(status: mfa_status) -> Result<(), Failure> {
    if status == mfa_status::MFA_OK {
        return Ok(());
    }
    let message = mfa_last_error_message();
    assert!(!message.is_null(), "a failed call left no message");
    let retry_after = mfa_last_error_retry_after();
    Err(Failure {
        code: text(mfa_status_str(status as i32)),
        retry_after: (status == mfa_status::MFA_ERR_RATE_LIMITED).then_some(retry_after),
        message: text(message),
    })
}

fn text(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_str().expect("UTF-8 from the library").to_string()
}

fn opt_text(p: *const c_char) -> Value {
    if p.is_null() { Value::Null } else { Value::from(text(p)) }
}

fn buf(b: &[c_char]) -> String {
    text(b.as_ptr())
}

/// Calls an entry point that fills one out-struct.
fn fill<T>(call: impl FnOnce(*mut T) -> mfa_status) -> Result<T, Failure> {
    let mut slot = MaybeUninit::<T>::uninit();
    check(call(slot.as_mut_ptr()))?;
    Ok(unsafe { slot.assume_init() })
}

fn role_name(r: mfa_role) -> &'static str {
    match r {
        mfa_role::MFA_ROLE_MEMBER => "member",
        mfa_role::MFA_ROLE_ADMIN => "admin",
        mfa_role::MFA_ROLE_OWNER => "owner",
    }
}

fn state_name(s: mfa_state) -> &'static str {
    match s {
        mfa_state::MFA_STATE_NOT_ENROLLED => "not_enrolled",
        mfa_state::MFA_STATE_ENROLLMENT_REQUIRED => "enrollment_required",
        mfa_state::MFA_STATE_LOCKED_OUT => "locked_out",
        mfa_state::MFA_STATE_ENROLLED => "enrolled",
    }
}

fn policy_json(p: &mfa_policy) -> Value {
    json!({
        "mfa_required": p.mfa_required,
        "enrollment_window": p.enrollment_window,
        "reset_limit_per_hour": p.reset_limit_per_hour,
        "max_failed_verifications": p.max_failed_verifications,
        "require_step_up": p.require_step_up,
    })
}

fn org_json(o: &mfa_org) -> Value {
    json!({ "id": buf(&o.id), "name": buf(&o.name), "policy": policy_json(&o.policy), "created_at": o.created_at })
}

fn user_json(u: &mfa_user) -> Value {
    json!({
        "id": buf(&u.id),
        "org": buf(&u.org),
        "email": buf(&u.email),
        "role": role_name(u.role),
        "status": match u.status {
            mfa_account::MFA_ACCOUNT_ACTIVE => "active",
            mfa_account::MFA_ACCOUNT_DISABLED => "disabled",
        },
        "credential_epoch": u.credential_epoch,
        "created_at": u.created_at,
    })
}

fn receipt_json(r: &mfa_receipt) -> Value {
    json!({
        "target": buf(&r.target),
        "previous_state": state_name(r.previous_state),
        "state": state_name(r.state),
        "deadline": r.deadline,
        "credential_epoch": r.credential_epoch,
        "audit_seq": if r.dry_run { Value::Null } else { Value::from(r.audit_seq) },
        "dry_run": r.dry_run,
    })
}

fn codes_json(c: &mfa_recovery_codes) -> Value {
    json!({ "recovery_codes": c.codes[..c.count].iter().map(|c| buf(c)).collect::<Vec<_>>() })
}

/// Owns the C strings of one call's arguments.
struct Args<'a> {
    map: &'a Map<String, Value>,
    keep: Vec<CString>,
}

impl Args<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn c(&mut self, s: &str) -> Result<*const c_char, Failure> {
        let s = CString::new(s).map_err(|_| Failure::harness("a C string cannot hold a NUL byte"))?;
        self.keep.push(s);
        Ok(self.keep.last().expect("just pushed").as_ptr())
    }

    /// A string argument as a C string, NULL when absent.
    fn opt_str(&mut self, key: &str) -> Result<*const c_char, Failure> {
        match self.get(key) {
            None => Ok(ptr::null()),
            Some(Value::String(s)) => {
                let s = s.clone();
                self.c(&s)
            }
            Some(v) => Err(Failure::harness(format!("{key:?} must be a string, got {v}"))),
        }
    }

    fn str(&mut self, key: &str) -> Result<*const c_char, Failure> {
        let p = self.opt_str(key)?;
        if p.is_null() { Err(Failure::harness(format!("missing argument {key:?}"))) } else { Ok(p) }
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, Failure> {
        self.get(key)
            .map(|v| {
                v.as_u64().ok_or_else(|| Failure::harness(format!("{key:?} must be a whole number, got {v}")))
            })
            .transpose()
    }

    /// `checkpoint` as the C struct, if given. A MAC text too long for the array fills it with no
    /// NUL, which the library refuses as the core refuses a MAC that is not 64 digits.
    fn checkpoint(&self) -> Result<Option<mfa_checkpoint>, Failure> {
        let Some(v) = self.get("checkpoint") else { return Ok(None) };
        let bad = || Failure::harness(format!("\"checkpoint\" must be {{\"seq\", \"mac\"}}, got {v}"));
        let seq = v.get("seq").and_then(Value::as_u64).ok_or_else(bad)?;
        let text = v.get("mac").and_then(Value::as_str).ok_or_else(bad)?;
        let mut mac = [0 as c_char; MFA_MAC_LEN];
        for (slot, byte) in mac.iter_mut().zip(text.bytes()) {
            *slot = byte as c_char;
        }
        Ok(Some(mfa_checkpoint { seq, mac }))
    }

    /// A list of byte values (a key).
    fn bytes(&self, key: &str) -> Result<Vec<u8>, Failure> {
        let bytes = self.get(key).and_then(Value::as_array).and_then(|items| {
            items.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect::<Option<Vec<u8>>>()
        });
        bytes.ok_or_else(|| Failure::harness(format!("{key:?} must be a list of bytes")))
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Failure> {
        self.get(key)
            .map(|v| v.as_bool().ok_or_else(|| Failure::harness(format!("{key:?} must be a bool"))))
            .transpose()
    }

    /// A role name as the integer a C host passes; an unknown name becomes a value outside the
    /// enum, which the library must refuse.
    fn role(&self, key: &str) -> Result<RoleArg, Failure> {
        match self.get(key).and_then(Value::as_str) {
            Some("member") => Ok(mfa_role::MFA_ROLE_MEMBER.into()),
            Some("admin") => Ok(mfa_role::MFA_ROLE_ADMIN.into()),
            Some("owner") => Ok(mfa_role::MFA_ROLE_OWNER.into()),
            Some(_) => Ok(RoleArg(-1)),
            None => Err(Failure::harness(format!("missing argument {key:?}"))),
        }
    }

    fn policy(&self) -> Result<mfa_policy, Failure> {
        let mut p = MaybeUninit::uninit();
        unsafe { mfa_policy_init(p.as_mut_ptr()) };
        let mut p = unsafe { p.assume_init() };
        let Some(fields) = self.get("policy") else { return Ok(p) };
        let fields = fields.as_object().ok_or_else(|| Failure::harness("\"policy\" must be an object"))?;
        for (key, v) in fields {
            let bad = || Failure::harness(format!("policy field {key:?} has a bad value {v}"));
            match key.as_str() {
                "mfa_required" => p.mfa_required = v.as_bool().ok_or_else(bad)?,
                "enrollment_window" => p.enrollment_window = v.as_u64().ok_or_else(bad)?,
                "reset_limit_per_hour" => {
                    p.reset_limit_per_hour = v.as_u64().and_then(|n| n.try_into().ok()).ok_or_else(bad)?
                }
                "max_failed_verifications" => {
                    p.max_failed_verifications = v.as_u64().and_then(|n| n.try_into().ok()).ok_or_else(bad)?
                }
                "require_step_up" => p.require_step_up = v.as_bool().ok_or_else(bad)?,
                other => return Err(Failure::harness(format!("unknown policy field {other:?}"))),
            }
        }
        Ok(p)
    }

    /// `changes` of `update_policy`: each field given sets its `has_` flag.
    fn policy_changes(&self) -> Result<mfa_policy_changes, Failure> {
        let mut c = MaybeUninit::uninit();
        unsafe { mfa_policy_changes_init(c.as_mut_ptr()) };
        let mut c = unsafe { c.assume_init() };
        let Some(fields) = self.get("changes") else { return Ok(c) };
        let fields = fields.as_object().ok_or_else(|| Failure::harness("\"changes\" must be an object"))?;
        for (key, v) in fields {
            let bad = || Failure::harness(format!("policy field {key:?} has a bad value {v}"));
            let small = || v.as_u64().and_then(|n| n.try_into().ok()).ok_or_else(bad);
            match key.as_str() {
                "mfa_required" => (c.has_mfa_required, c.mfa_required) = (true, v.as_bool().ok_or_else(bad)?),
                "enrollment_window" => {
                    (c.has_enrollment_window, c.enrollment_window) = (true, v.as_u64().ok_or_else(bad)?)
                }
                "reset_limit_per_hour" => {
                    (c.has_reset_limit_per_hour, c.reset_limit_per_hour) = (true, small()?)
                }
                "max_failed_verifications" => {
                    (c.has_max_failed_verifications, c.max_failed_verifications) = (true, small()?)
                }
                "require_step_up" => {
                    (c.has_require_step_up, c.require_step_up) = (true, v.as_bool().ok_or_else(bad)?)
                }
                other => return Err(Failure::harness(format!("unknown policy field {other:?}"))),
            }
        }
        Ok(c)
    }

    fn reset_options(&mut self) -> Result<mfa_reset_options, Failure> {
        let mut o = MaybeUninit::uninit();
        unsafe { mfa_reset_options_init(o.as_mut_ptr()) };
        let mut o = unsafe { o.assume_init() };
        if let Some(window) = self.opt_u64("window")? {
            o.has_window = true;
            o.window = window;
        }
        o.reason = self.opt_str("reason")?;
        o.dry_run = self.opt_bool("dry_run")?.unwrap_or(false);
        o.proof = self.opt_str("proof")?;
        o.actor_proof = self.opt_str("actor_proof")?;
        Ok(o)
    }
}

impl Driver for CDriver {
    fn set_time(&mut self, unix_seconds: i64) -> Result<(), Failure> {
        check(unsafe { mfa_set_time(self.core, unix_seconds) })
    }

    fn call(&mut self, op: &str, args: &Map<String, Value>) -> Result<Value, Failure> {
        let core = self.core;
        let mut a = Args { map: args, keep: Vec::new() };
        match op {
            "create_org" => {
                let (name, policy) = (a.str("name")?, a.policy()?);
                fill(|out| unsafe { mfa_create_org(core, name, &policy, out) }).map(|o| org_json(&o))
            }
            "create_user" => {
                let (org, email, role) = (a.str("org")?, a.str("email")?, a.role("role")?);
                fill(|out| unsafe { mfa_create_user(core, org, email, role, out) }).map(|u| user_json(&u))
            }
            "get_user" => {
                let user = a.str("user")?;
                fill(|out| unsafe { mfa_get_user(core, user, out) }).map(|u| user_json(&u))
            }
            "list_users" => {
                let org = a.str("org")?;
                let mut list = fill(|out| unsafe { mfa_list_users(core, org, out) })?;
                let users = unsafe { std::slice::from_raw_parts(list.items, list.len) }
                    .iter()
                    .map(user_json)
                    .collect();
                unsafe { mfa_user_list_free(&mut list) };
                Ok(Value::Array(users))
            }
            "set_role" => {
                let (actor, target, role, proof) =
                    (a.str("actor")?, a.str("target")?, a.role("role")?, a.opt_str("actor_proof")?);
                fill(|out| unsafe { mfa_set_role(core, actor, target, role, proof, out) })
                    .map(|u| user_json(&u))
            }
            "disable_user" => {
                let (actor, target, proof) = (a.str("actor")?, a.str("target")?, a.opt_str("actor_proof")?);
                fill(|out| unsafe { mfa_disable_user(core, actor, target, proof, out) })
                    .map(|u| user_json(&u))
            }
            "enable_user" => {
                let (actor, target) = (a.str("actor")?, a.str("target")?);
                fill(|out| unsafe { mfa_enable_user(core, actor, target, out) }).map(|u| user_json(&u))
            }
            "backup" => {
                let path = a.str("path")?;
                fill(|out| unsafe { mfa_backup(core, path, out) })
                    .map(|c| json!({ "seq": c.seq, "mac": buf(&c.mac) }))
            }
            "rotate_key" => {
                let key = a.bytes("key")?;
                fill(|out| unsafe { mfa_rotate_key(core, key.as_ptr(), key.len(), out) })
                    .map(|c| json!({ "seq": c.seq, "mac": buf(&c.mac) }))
            }
            "info" => {
                let info = fill(|out| unsafe { mfa_core_info(core, out) })?;
                let i = unsafe { &*info };
                let value = json!({
                    "engine": opt_text(i.engine),
                    "schema_version": i.schema_version,
                    "path": opt_text(i.path),
                    "mode": if i.has_mode { Value::from(i.mode) } else { Value::Null },
                    "readable_by_others": i.readable_by_others,
                    "file_size": if i.has_file_size { Value::from(i.file_size) } else { Value::Null },
                    "key_check_ok": i.key_check_ok,
                    "orgs": i.orgs,
                    "users": {
                        "total": i.users_total,
                        "not_enrolled": i.users_not_enrolled,
                        "enrollment_required": i.users_enrollment_required,
                        "locked_out": i.users_locked_out,
                        "enrolled": i.users_enrolled,
                        "disabled": i.users_disabled,
                    },
                    "audit_events": i.audit_events,
                    "audit_head": { "seq": i.audit_head.seq, "mac": buf(&i.audit_head.mac) },
                });
                unsafe { mfa_store_info_free(info) };
                Ok(value)
            }
            "update_policy" => {
                let (actor, org, proof) = (a.str("actor")?, a.str("org")?, a.opt_str("actor_proof")?);
                let changes = a.policy_changes()?;
                fill(|out| unsafe { mfa_update_policy(core, actor, org, &changes, proof, out) })
                    .map(|o| org_json(&o))
            }
            "delete_user" => {
                let (actor, target, proof) = (a.str("actor")?, a.str("target")?, a.opt_str("actor_proof")?);
                check(unsafe { mfa_delete_user(core, actor, target, proof) }).map(|()| Value::Null)
            }
            "rename_user" => {
                let (actor, target, proof) = (a.str("actor")?, a.str("target")?, a.opt_str("actor_proof")?);
                let email = a.str("email")?;
                fill(|out| unsafe { mfa_rename_user(core, actor, target, email, proof, out) })
                    .map(|u| user_json(&u))
            }
            "begin_enrollment" => {
                let user = a.str("user")?;
                let mut e = fill(|out| unsafe { mfa_begin_enrollment(core, user, out) })?;
                let value = json!({ "secret": buf(&e.secret), "uri": text(e.uri) });
                unsafe { mfa_enrollment_free(&mut e) };
                Ok(value)
            }
            "confirm_enrollment" => {
                let (user, code) = (a.str("user")?, a.str("code")?);
                let mut codes = fill(|out| unsafe { mfa_confirm_enrollment(core, user, code, out) })?;
                let value = codes_json(&codes);
                unsafe { mfa_recovery_codes_clear(&mut codes) };
                Ok(value)
            }
            "regenerate_recovery_codes" => {
                let (user, proof) = (a.str("user")?, a.str("proof")?);
                let mut codes = fill(|out| unsafe { mfa_regenerate_recovery_codes(core, user, proof, out) })?;
                let value = codes_json(&codes);
                unsafe { mfa_recovery_codes_clear(&mut codes) };
                Ok(value)
            }
            "verify" => {
                let (user, code) = (a.str("user")?, a.str("code")?);
                let v = fill(|out| unsafe { mfa_verify(core, user, code, out) })?;
                let method = match v.method {
                    mfa_verify_method::MFA_VERIFY_TOTP => "totp",
                    mfa_verify_method::MFA_VERIFY_RECOVERY_CODE => "recovery_code",
                };
                Ok(json!({ "method": method, "recovery_codes_remaining": v.recovery_codes_remaining }))
            }
            "mfa_status" => {
                let user = a.str("user")?;
                let s = fill(|out| unsafe { mfa_get_mfa_status(core, user, out) })?;
                Ok(json!({
                    "user": buf(&s.user),
                    "state": state_name(s.state),
                    "deadline": if s.has_deadline { Value::from(s.deadline) } else { Value::Null },
                    "credential_epoch": s.credential_epoch,
                    "recovery_codes_remaining": s.recovery_codes_remaining,
                }))
            }
            "reset_mfa" => {
                let (actor, target, options) = (a.str("actor")?, a.str("target")?, a.reset_options()?);
                fill(|out| unsafe { mfa_reset_mfa(core, actor, target, &options, out) })
                    .map(|r| receipt_json(&r))
            }
            "reset_mfa_many" => {
                let actor = a.str("actor")?;
                let names = a.get("targets").and_then(Value::as_array).cloned();
                let names = names.ok_or_else(|| Failure::harness("\"targets\" must be a list"))?;
                let mut targets = Vec::new();
                for name in &names {
                    let name =
                        name.as_str().ok_or_else(|| Failure::harness("\"targets\" must hold strings"))?;
                    targets.push(a.c(name)?);
                }
                let options = a.reset_options()?;
                let mut list = fill(|out| unsafe {
                    mfa_reset_mfa_many(core, actor, targets.as_ptr(), targets.len(), &options, out)
                })?;
                let outcomes = unsafe { std::slice::from_raw_parts(list.items, list.len) }
                    .iter()
                    .map(|o| match o.status {
                        mfa_status::MFA_OK => json!({ "ok": receipt_json(&o.receipt) }),
                        mfa_status::MFA_ERR_RATE_LIMITED => {
                            json!({ "error": text(mfa_status_str(o.status as i32)), "retry_after": o.retry_after })
                        }
                        status => json!({ "error": text(mfa_status_str(status as i32)) }),
                    })
                    .collect();
                unsafe { mfa_bulk_outcome_list_free(&mut list) };
                Ok(Value::Array(outcomes))
            }
            "audit_events" => {
                let mut q = MaybeUninit::uninit();
                unsafe { mfa_audit_query_init(q.as_mut_ptr()) };
                let mut q = unsafe { q.assume_init() };
                q.after_seq = a.opt_u64("after_seq")?.unwrap_or(0);
                if let Some(limit) = a.opt_u64("limit")? {
                    q.limit = u32::try_from(limit).unwrap_or(u32::MAX);
                }
                q.actor = a.opt_str("actor")?;
                q.target = a.opt_str("target")?;
                q.action = a.opt_str("action")?;
                let mut list = fill(|out| unsafe { mfa_audit_events(core, &q, out) })?;
                let events = unsafe { std::slice::from_raw_parts(list.items, list.len) }
                    .iter()
                    .map(|e| {
                        let detail: Value = serde_json::from_str(&text(e.detail)).expect("detail is JSON");
                        json!({
                            "seq": e.seq,
                            "at": e.at,
                            "actor": opt_text(e.actor),
                            "target": opt_text(e.target),
                            "org": opt_text(e.org),
                            "action": text(e.action),
                            "outcome": match e.outcome {
                                mfa_outcome::MFA_OUTCOME_SUCCESS => "success",
                                mfa_outcome::MFA_OUTCOME_DENIED => "denied",
                                mfa_outcome::MFA_OUTCOME_FAILURE => "failure",
                            },
                            "code": opt_text(e.code),
                            "reason": opt_text(e.reason),
                            "detail": detail,
                            "mac": buf(&e.mac),
                        })
                    })
                    .collect();
                unsafe { mfa_audit_event_list_free(&mut list) };
                Ok(Value::Array(events))
            }
            "audit_checkpoint" => {
                let c = fill(|out| unsafe { mfa_audit_checkpoint(core, out) })?;
                Ok(json!({ "seq": c.seq, "mac": buf(&c.mac) }))
            }
            "verify_audit" => {
                let checkpoint = a.checkpoint()?;
                let checkpoint = checkpoint.as_ref().map_or(ptr::null(), |c| c as *const mfa_checkpoint);
                let r = fill(|out| unsafe { mfa_verify_audit(core, checkpoint, out) })?;
                let first_bad = if r.ok { Value::Null } else { Value::from(r.first_bad_seq) };
                Ok(json!({ "ok": r.ok, "checked": r.checked, "first_bad_seq": first_bad }))
            }
            _ => Err(Failure::harness(format!("the C driver has no op {op:?}"))),
        }
    }
}
