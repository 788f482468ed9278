//! Plain C structs for the core's values. Ids, emails, names and MACs are copied into fixed
//! buffers inside the struct (nothing to free); only lists, audit events and enrollment URIs
//! own heap memory, each with its one free function.

use std::ffi::c_char;

use mfa::{
    AuditReport, Checkpoint, Error, MfaState, MfaStatus, Org, Policy, ResetReceipt, Role, User, UserStatus,
    Verification, VerifyMethod,
};

use crate::sized::{Sized, field_or, struct_size};
use crate::strings::copy_into;

/// 36 characters of a UUID and a NUL.
pub const MFA_ID_LEN: usize = 37;
/// An email (at most 254 bytes) and a NUL.
pub const MFA_EMAIL_LEN: usize = 255;
/// An org name (at most 200 characters of UTF-8) and a NUL.
pub const MFA_NAME_LEN: usize = 801;
/// A MAC in hex (64 characters) and a NUL.
pub const MFA_MAC_LEN: usize = 65;
/// A base32 TOTP secret (32 characters) and a NUL.
pub const MFA_SECRET_LEN: usize = 33;
/// A recovery code (`abcde-23456`) and a NUL.
pub const MFA_RECOVERY_CODE_LEN: usize = 12;
/// Recovery codes per enrollment.
pub const MFA_RECOVERY_CODE_COUNT: usize = 10;

/// A user's role.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_role {
    MFA_ROLE_MEMBER = 0,
    MFA_ROLE_ADMIN = 1,
    MFA_ROLE_OWNER = 2,
}

/// Whether a user may act and sign in.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_account {
    MFA_ACCOUNT_ACTIVE = 0,
    MFA_ACCOUNT_DISABLED = 1,
}

/// A user's MFA state (docs/concepts.md).
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_state {
    MFA_STATE_NOT_ENROLLED = 0,
    MFA_STATE_ENROLLMENT_REQUIRED = 1,
    MFA_STATE_LOCKED_OUT = 2,
    MFA_STATE_ENROLLED = 3,
}

/// How a verification was satisfied.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_verify_method {
    MFA_VERIFY_TOTP = 0,
    MFA_VERIFY_RECOVERY_CODE = 1,
}

/// An audit event's outcome.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mfa_outcome {
    MFA_OUTCOME_SUCCESS = 0,
    MFA_OUTCOME_DENIED = 1,
    MFA_OUTCOME_FAILURE = 2,
}

/// Org policy; `mfa_policy_init` fills in the documented defaults. Always call it before
/// filling one in: it sets `struct_size`, and later versions append fields. The policy inside an
/// `mfa_org` the library wrote is set up too, and may be passed back as it is.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct mfa_policy {
    /// `sizeof(mfa_policy)`, set by `mfa_policy_init`; 0 is refused.
    pub struct_size: u32,
    pub mfa_required: bool,
    /// Seconds, 1 to 31536000.
    pub enrollment_window: u64,
    pub reset_limit_per_hour: u32,
    pub max_failed_verifications: u32,
    pub require_step_up: bool,
}

/// An org.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_org {
    pub id: [c_char; MFA_ID_LEN],
    pub name: [c_char; MFA_NAME_LEN],
    pub policy: mfa_policy,
    /// Unix seconds.
    pub created_at: i64,
}

/// A user.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_user {
    pub id: [c_char; MFA_ID_LEN],
    pub org: [c_char; MFA_ID_LEN],
    pub email: [c_char; MFA_EMAIL_LEN],
    pub role: mfa_role,
    pub status: mfa_account,
    pub credential_epoch: u64,
    /// Unix seconds.
    pub created_at: i64,
}

/// What `mfa_get_mfa_status` returns.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_user_mfa_status {
    pub user: [c_char; MFA_ID_LEN],
    pub state: mfa_state,
    /// Whether `deadline` is set (for `enrollment_required` and `locked_out`).
    pub has_deadline: bool,
    /// Unix seconds.
    pub deadline: i64,
    pub credential_epoch: u64,
    pub recovery_codes_remaining: u32,
}

/// A successful verification.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_verification {
    pub method: mfa_verify_method,
    pub recovery_codes_remaining: u32,
}

/// What a reset did (or would do, for a dry run).
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_receipt {
    pub target: [c_char; MFA_ID_LEN],
    pub previous_state: mfa_state,
    pub state: mfa_state,
    /// Unix seconds.
    pub deadline: i64,
    pub credential_epoch: u64,
    /// The `mfa.reset` audit event's seq; 0 for a dry run.
    pub audit_seq: u64,
    pub dry_run: bool,
}

/// The head of the audit chain.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfa_checkpoint {
    pub seq: u64,
    pub mac: [c_char; MFA_MAC_LEN],
}

/// What `mfa_verify_audit` found.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_audit_report {
    pub ok: bool,
    pub checked: u64,
    /// The first bad seq; 0 when `ok`.
    pub first_bad_seq: u64,
}

/// Ten recovery codes, shown once. Secret: clear it with `mfa_recovery_codes_clear`.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct mfa_recovery_codes {
    pub codes: [[c_char; MFA_RECOVERY_CODE_LEN]; MFA_RECOVERY_CODE_COUNT],
    pub count: usize,
}

/// An `mfa_role` argument as C passes it: an `int` that may hold any value, so it is taken as
/// an integer and checked (a Rust enum holding an unknown value would be undefined
/// behaviour). The header shows it as `mfa_role` (see `cbindgen.toml`).
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct RoleArg(pub i32);

impl RoleArg {
    /// The role, or `invalid_input` for a value outside the enum.
    pub(crate) fn role(self) -> Result<Role, Error> {
        match self.0 {
            0 => Ok(Role::Member),
            1 => Ok(Role::Admin),
            2 => Ok(Role::Owner),
            r => Err(Error::InvalidInput(format!("role {r} is not an mfa_role"))),
        }
    }
}

impl From<mfa_role> for RoleArg {
    fn from(r: mfa_role) -> Self {
        RoleArg(r as i32)
    }
}

fn role_out(r: Role) -> mfa_role {
    match r {
        Role::Member => mfa_role::MFA_ROLE_MEMBER,
        Role::Admin => mfa_role::MFA_ROLE_ADMIN,
        Role::Owner => mfa_role::MFA_ROLE_OWNER,
    }
}

pub(crate) fn state_out(s: MfaState) -> mfa_state {
    match s {
        MfaState::NotEnrolled => mfa_state::MFA_STATE_NOT_ENROLLED,
        MfaState::EnrollmentRequired => mfa_state::MFA_STATE_ENROLLMENT_REQUIRED,
        MfaState::LockedOut => mfa_state::MFA_STATE_LOCKED_OUT,
        MfaState::Enrolled => mfa_state::MFA_STATE_ENROLLED,
    }
}

pub(crate) fn outcome_out(o: mfa::Outcome) -> mfa_outcome {
    match o {
        mfa::Outcome::Success => mfa_outcome::MFA_OUTCOME_SUCCESS,
        mfa::Outcome::Denied => mfa_outcome::MFA_OUTCOME_DENIED,
        mfa::Outcome::Failure => mfa_outcome::MFA_OUTCOME_FAILURE,
    }
}

impl From<Policy> for mfa_policy {
    fn from(p: Policy) -> Self {
        mfa_policy {
            struct_size: struct_size::<mfa_policy>(),
            mfa_required: p.mfa_required,
            enrollment_window: p.enrollment_window,
            reset_limit_per_hour: p.reset_limit_per_hour,
            max_failed_verifications: p.max_failed_verifications,
            require_step_up: p.require_step_up,
        }
    }
}

/// The core's policy from a host's `mfa_policy`; NULL means the defaults, and so does each
/// field an older host's shorter struct lacks.
///
/// # Safety
/// `policy` is NULL or a struct of at least its `struct_size` bytes.
pub(crate) unsafe fn policy_in(policy: *const mfa_policy) -> Result<Policy, Error> {
    let d = Policy::default();
    if policy.is_null() {
        return Ok(d);
    }
    type T = mfa_policy;
    // SAFETY: the caller promises a valid struct.
    let p = unsafe { Sized::new(policy, "mfa_policy") }?;
    Ok(Policy {
        mfa_required: field_or!(p, T, mfa_required, d.mfa_required),
        enrollment_window: field_or!(p, T, enrollment_window, d.enrollment_window),
        reset_limit_per_hour: field_or!(p, T, reset_limit_per_hour, d.reset_limit_per_hour),
        max_failed_verifications: field_or!(p, T, max_failed_verifications, d.max_failed_verifications),
        require_step_up: field_or!(p, T, require_step_up, d.require_step_up),
    })
}

/// The zeroed value of a struct made only of integers, bools, enums with a 0 variant and
/// arrays of them, filled in by the `*_from` functions below.
macro_rules! zeroed {
    () => {
        // SAFETY: every field of these structs is valid as all-zero bytes.
        unsafe { std::mem::zeroed() }
    };
}

pub(crate) fn org_from(o: &Org) -> Result<mfa_org, Error> {
    let mut out: mfa_org = zeroed!();
    copy_into(&mut out.id, &o.id)?;
    copy_into(&mut out.name, &o.name)?;
    out.policy = o.policy.into();
    out.created_at = o.created_at;
    Ok(out)
}

pub(crate) fn user_from(u: &User) -> Result<mfa_user, Error> {
    let mut out: mfa_user = zeroed!();
    copy_into(&mut out.id, &u.id)?;
    copy_into(&mut out.org, &u.org)?;
    copy_into(&mut out.email, &u.email)?;
    out.role = role_out(u.role);
    out.status = match u.status {
        UserStatus::Active => mfa_account::MFA_ACCOUNT_ACTIVE,
        UserStatus::Disabled => mfa_account::MFA_ACCOUNT_DISABLED,
    };
    out.credential_epoch = u.credential_epoch;
    out.created_at = u.created_at;
    Ok(out)
}

pub(crate) fn status_from(s: &MfaStatus) -> Result<mfa_user_mfa_status, Error> {
    let mut out: mfa_user_mfa_status = zeroed!();
    copy_into(&mut out.user, &s.user)?;
    out.state = state_out(s.state);
    out.has_deadline = s.deadline.is_some();
    out.deadline = s.deadline.unwrap_or(0);
    out.credential_epoch = s.credential_epoch;
    out.recovery_codes_remaining = s.recovery_codes_remaining;
    Ok(out)
}

pub(crate) fn verification_from(v: &Verification) -> mfa_verification {
    mfa_verification {
        method: match v.method {
            VerifyMethod::Totp => mfa_verify_method::MFA_VERIFY_TOTP,
            VerifyMethod::RecoveryCode => mfa_verify_method::MFA_VERIFY_RECOVERY_CODE,
        },
        recovery_codes_remaining: v.recovery_codes_remaining,
    }
}

pub(crate) fn receipt_from(r: &ResetReceipt) -> Result<mfa_receipt, Error> {
    let mut out: mfa_receipt = zeroed!();
    copy_into(&mut out.target, &r.target)?;
    out.previous_state = state_out(r.previous_state);
    out.state = state_out(r.state);
    out.deadline = r.deadline;
    out.credential_epoch = r.credential_epoch;
    out.audit_seq = r.audit_seq.unwrap_or(0);
    out.dry_run = r.dry_run;
    Ok(out)
}

pub(crate) fn checkpoint_from(c: &Checkpoint) -> Result<mfa_checkpoint, Error> {
    let mut out: mfa_checkpoint = zeroed!();
    out.seq = c.seq;
    copy_into(&mut out.mac, &c.mac)?;
    Ok(out)
}

pub(crate) fn report_from(r: &AuditReport) -> mfa_audit_report {
    mfa_audit_report { ok: r.ok, checked: r.checked, first_bad_seq: r.first_bad_seq.unwrap_or(0) }
}

pub(crate) fn codes_from(codes: &[String]) -> Result<mfa_recovery_codes, Error> {
    let mut out: mfa_recovery_codes = zeroed!();
    for (slot, code) in out.codes.iter_mut().zip(codes) {
        copy_into(slot, code)?;
    }
    out.count = codes.len().min(MFA_RECOVERY_CODE_COUNT);
    Ok(out)
}
