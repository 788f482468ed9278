//! The plain objects the addon returns: the core's model with camelCase keys, `Date`s for
//! times, and `null` for absent values. Secrets appear only where the API shows them once
//! (`beginEnrollment`, and recovery codes, which `main.js` wraps).

use mfa_core as core;
use napi::bindgen_prelude::{Env, JsValue, ToNapiValue, TypeName};
use napi::{ValueType, sys};
use napi_derive::napi;

use zeroize::Zeroizing;

use crate::error::MfaError;

/// A point in time, Unix seconds in the core, a JS `Date` here. (Named `Date` so that the
/// generated TypeScript says `Date`.)
pub struct Date(pub i64);

impl TypeName for Date {
    fn type_name() -> &'static str {
        "Date"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Date {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let date = env.create_date(val.0 as f64 * 1000.0)?;
        Ok(date.raw())
    }
}

/// JS numbers are doubles: counts and sequence numbers are exact up to 2^53, far beyond any
/// store's reach.
fn number(n: u64) -> f64 {
    n as f64
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Policy {
    pub mfa_required: bool,
    /// Seconds.
    pub enrollment_window: f64,
    pub reset_limit_per_hour: u32,
    pub max_failed_verifications: u32,
    pub require_step_up: bool,
}

impl From<core::Policy> for Policy {
    fn from(p: core::Policy) -> Self {
        Policy {
            mfa_required: p.mfa_required,
            enrollment_window: number(p.enrollment_window),
            reset_limit_per_hour: p.reset_limit_per_hour,
            max_failed_verifications: p.max_failed_verifications,
            require_step_up: p.require_step_up,
        }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub policy: Policy,
    pub created_at: Date,
}

impl From<core::Org> for Org {
    fn from(o: core::Org) -> Self {
        Org { id: o.id, name: o.name, policy: o.policy.into(), created_at: Date(o.created_at) }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct User {
    pub id: String,
    pub org: String,
    pub email: String,
    #[napi(ts_type = "Role")]
    pub role: String,
    #[napi(ts_type = "'active' | 'disabled'")]
    pub status: String,
    /// Increments on every MFA reset: end sessions opened under an older epoch.
    pub credential_epoch: f64,
    pub created_at: Date,
}

impl From<core::User> for User {
    fn from(u: core::User) -> Self {
        User {
            id: u.id,
            org: u.org,
            email: u.email,
            role: u.role.as_str().into(),
            status: u.status.as_str().into(),
            credential_epoch: number(u.credential_epoch),
            created_at: Date(u.created_at),
        }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct MfaStatus {
    pub user: String,
    #[napi(ts_type = "MfaState")]
    pub state: String,
    /// For `enrollment_required` and `locked_out`.
    pub deadline: Option<Date>,
    pub credential_epoch: f64,
    pub recovery_codes_remaining: u32,
}

impl From<core::MfaStatus> for MfaStatus {
    fn from(s: core::MfaStatus) -> Self {
        MfaStatus {
            user: s.user,
            state: s.state.as_str().into(),
            deadline: s.deadline.map(Date),
            credential_epoch: number(s.credential_epoch),
            recovery_codes_remaining: s.recovery_codes_remaining,
        }
    }
}

/// The secret to show the user once, and the `otpauth://` URI (which holds it) for a QR code.
/// A class with getters rather than a plain object, so that `console.log` and `JSON.stringify`
/// of it show neither: secrets never reach logs by accident.
#[napi]
pub struct Enrollment {
    secret: Zeroizing<String>,
    uri: Zeroizing<String>,
}

#[napi]
impl Enrollment {
    /// Base32 (RFC 4648, no padding), for manual entry in an authenticator app.
    #[napi(getter)]
    pub fn secret(&self) -> String {
        self.secret.to_string()
    }

    /// `otpauth://totp/ISSUER:EMAIL?secret=...`, for a QR code.
    #[napi(getter)]
    pub fn uri(&self) -> String {
        self.uri.to_string()
    }
}

impl From<core::Enrollment> for Enrollment {
    fn from(mut e: core::Enrollment) -> Self {
        // Taken, not cloned: each copy is zeroized when dropped.
        Enrollment {
            secret: Zeroizing::new(std::mem::take(&mut e.secret)),
            uri: Zeroizing::new(std::mem::take(&mut e.uri)),
        }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Verification {
    #[napi(ts_type = "'totp' | 'recovery_code'")]
    pub method: String,
    pub recovery_codes_remaining: u32,
}

impl From<core::Verification> for Verification {
    fn from(v: core::Verification) -> Self {
        Verification {
            method: v.method.as_str().into(),
            recovery_codes_remaining: v.recovery_codes_remaining,
        }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ResetReceipt {
    pub target: String,
    #[napi(ts_type = "MfaState")]
    pub previous_state: String,
    #[napi(ts_type = "MfaState")]
    pub state: String,
    pub deadline: Date,
    pub credential_epoch: f64,
    /// The `mfa.reset` audit event; `null` for a dry run.
    pub audit_seq: Option<f64>,
    pub dry_run: bool,
}

impl From<core::ResetReceipt> for ResetReceipt {
    fn from(r: core::ResetReceipt) -> Self {
        ResetReceipt {
            target: r.target,
            previous_state: r.previous_state.as_str().into(),
            state: r.state.as_str().into(),
            deadline: Date(r.deadline),
            credential_epoch: number(r.credential_epoch),
            audit_seq: r.audit_seq.map(number),
            dry_run: r.dry_run,
        }
    }
}

/// One target of `resetMfaMany`: its receipt or its error, in the order given.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ResetOutcome {
    /// The target as given.
    pub target: String,
    pub receipt: Option<ResetReceipt>,
    pub error: Option<MfaError>,
}

impl ResetOutcome {
    pub fn new(target: String, result: core::Result<core::ResetReceipt>) -> Self {
        match result {
            Ok(receipt) => ResetOutcome { target, receipt: Some(receipt.into()), error: None },
            Err(err) => ResetOutcome { target, receipt: None, error: Some(MfaError(err)) },
        }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AuditEvent {
    pub seq: f64,
    pub at: Date,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub org: Option<String>,
    pub action: String,
    #[napi(ts_type = "'success' | 'denied' | 'failure'")]
    pub outcome: String,
    /// The error code (lowercase, e.g. `forbidden`) when the outcome is not `success`.
    pub code: Option<String>,
    pub reason: Option<String>,
    /// Action-specific facts (never a secret).
    #[napi(ts_type = "Record<string, unknown>")]
    pub detail: serde_json::Value,
    /// Lowercase hex HMAC-SHA256 chaining this event to the previous one.
    pub mac: String,
}

impl From<core::AuditEvent> for AuditEvent {
    fn from(e: core::AuditEvent) -> Self {
        AuditEvent {
            seq: number(e.seq),
            at: Date(e.at),
            actor: e.actor,
            target: e.target,
            org: e.org,
            action: e.action,
            outcome: e.outcome.as_str().into(),
            code: e.code,
            reason: e.reason,
            detail: e.detail,
            mac: e.mac,
        }
    }
}

/// The head of the audit chain, to store where the database cannot rewrite it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct Checkpoint {
    pub seq: f64,
    pub mac: String,
}

impl From<core::Checkpoint> for Checkpoint {
    fn from(c: core::Checkpoint) -> Self {
        Checkpoint { seq: number(c.seq), mac: c.mac }
    }
}

#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AuditReport {
    pub ok: bool,
    pub checked: f64,
    pub first_bad_seq: Option<f64>,
}

impl From<core::AuditReport> for AuditReport {
    fn from(r: core::AuditReport) -> Self {
        AuditReport { ok: r.ok, checked: number(r.checked), first_bad_seq: r.first_bad_seq.map(number) }
    }
}

/// What `info` reports about the open store.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct StoreInfo {
    pub schema_version: i64,
    /// The file as given to `open`; `null` in memory and on PostgreSQL.
    pub path: Option<String>,
    /// The file's permission bits (`0o600` for a store this library created); `null` in memory
    /// and on PostgreSQL.
    pub mode: Option<u32>,
    /// Whether users other than the owner can read the store or its write-ahead log.
    pub readable_by_others: bool,
    /// The store file's size in bytes, without its write-ahead log; `null` in memory and on
    /// PostgreSQL.
    pub file_size: Option<f64>,
    /// Whether the key check in the file still matches this handle's key.
    pub key_check_ok: bool,
    pub orgs: f64,
    /// Users by MFA state at the handle's current time.
    pub users: UserCounts,
    pub audit_events: f64,
    /// The head of the audit chain (seq 0 when empty): a checkpoint, not a secret.
    pub audit_head: Checkpoint,
    /// The engine holding the store: `"sqlite"` (a file, or memory) or `"postgresql"` (`path`
    /// is then `null`).
    pub engine: String,
}

/// Users counted by MFA state; `disabled` counts disabled accounts, also counted under their
/// state.
#[napi(object, object_from_js = false)]
pub struct UserCounts {
    pub total: f64,
    pub not_enrolled: f64,
    pub enrollment_required: f64,
    pub locked_out: f64,
    pub enrolled: f64,
    pub disabled: f64,
}

impl From<core::UserCounts> for UserCounts {
    fn from(u: core::UserCounts) -> Self {
        UserCounts {
            total: number(u.total),
            not_enrolled: number(u.not_enrolled),
            enrollment_required: number(u.enrollment_required),
            locked_out: number(u.locked_out),
            enrolled: number(u.enrolled),
            disabled: number(u.disabled),
        }
    }
}

impl From<core::StoreInfo> for StoreInfo {
    fn from(i: core::StoreInfo) -> Self {
        StoreInfo {
            schema_version: i.schema_version,
            path: i.path.map(|p| p.to_string_lossy().into_owned()),
            mode: i.mode,
            readable_by_others: i.readable_by_others,
            file_size: i.file_size.map(number),
            key_check_ok: i.key_check_ok,
            orgs: number(i.orgs),
            users: i.users.into(),
            audit_events: number(i.audit_events),
            audit_head: i.audit_head.into(),
            engine: i.engine.to_owned(),
        }
    }
}
