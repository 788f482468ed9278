//! The values that cross the public API: orgs, users, states, options, receipts, audit events.
//!
//! Times are Unix seconds (`i64`, UTC) at every boundary, so each binding converts them to its
//! own date type in one place. Ids are lowercase hyphenated UUID strings.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, invalid};

/// Unix time in seconds, UTC.
pub type UnixTime = i64;

/// A user's role in its org. `Owner` > `Admin` > `Member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl FromStr for Role {
    type Err = Error;
    /// Parses `owner`, `admin` or `member` (any case).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(invalid(format!(
                "role must be owner, admin or member, got {:?}",
                crate::validate::excerpt(s)
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a user may act and sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user's MFA state (docs/concepts.md). `LockedOut` is derived from the clock, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// No confirmed TOTP and no deadline: password-only sign-in is allowed.
    NotEnrolled,
    /// No confirmed TOTP; must enroll before the deadline.
    EnrollmentRequired,
    /// No confirmed TOTP and the deadline has passed: only a new reset reopens a window.
    LockedOut,
    /// Confirmed TOTP: a code is required at sign-in.
    Enrolled,
}

impl MfaState {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaState::NotEnrolled => "not_enrolled",
            MfaState::EnrollmentRequired => "enrollment_required",
            MfaState::LockedOut => "locked_out",
            MfaState::Enrolled => "enrolled",
        }
    }
}

impl fmt::Display for MfaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Org policy (docs/concepts.md). `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// New users start in `enrollment_required`.
    pub mfa_required: bool,
    /// Seconds a new or reset user has to enroll (1 s to 365 days).
    pub enrollment_window: u64,
    /// Successful resets one actor may make in any hour (at least 1).
    pub reset_limit_per_hour: u32,
    /// Consecutive failed code checks (sign-in, proofs, and confirming an enrollment share one
    /// count) before throttling: 1 to 100, the most NIST SP 800-63B allows.
    pub max_failed_verifications: u32,
    /// An enrolled actor must pass their own current code to reset, re-role or disable anyone.
    pub require_step_up: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mfa_required: false,
            enrollment_window: 7 * 24 * 3600,
            reset_limit_per_hour: 20,
            max_failed_verifications: 5,
            require_step_up: false,
        }
    }
}

/// A change to an org's policy: only the fields given (`Some`) change, each checked as at
/// creation. A shorter `enrollment_window` applies to users created or reset afterwards; the
/// deadlines already set stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PolicyChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrollment_window: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_limit_per_hour: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_failed_verifications: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_step_up: Option<bool>,
}

impl PolicyChanges {
    /// Whether no field is given.
    pub fn is_empty(&self) -> bool {
        *self == PolicyChanges::default()
    }

    /// `policy` with the given fields replaced.
    pub fn apply(&self, policy: Policy) -> Policy {
        Policy {
            mfa_required: self.mfa_required.unwrap_or(policy.mfa_required),
            enrollment_window: self.enrollment_window.unwrap_or(policy.enrollment_window),
            reset_limit_per_hour: self.reset_limit_per_hour.unwrap_or(policy.reset_limit_per_hour),
            max_failed_verifications: self
                .max_failed_verifications
                .unwrap_or(policy.max_failed_verifications),
            require_step_up: self.require_step_up.unwrap_or(policy.require_step_up),
        }
    }
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub policy: Policy,
    pub created_at: UnixTime,
}

/// A user of an org, without any MFA secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub org: String,
    pub email: String,
    pub role: Role,
    pub status: UserStatus,
    /// Increments on every MFA reset; hosts end sessions opened under an older epoch.
    pub credential_epoch: u64,
    pub created_at: UnixTime,
}

/// What `mfa_status` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaStatus {
    pub user: String,
    pub state: MfaState,
    /// Enrollment deadline, for `enrollment_required` and `locked_out`.
    pub deadline: Option<UnixTime>,
    pub credential_epoch: u64,
    /// Unused recovery codes left (0 unless enrolled).
    pub recovery_codes_remaining: u32,
}

/// A pending enrollment: the secret to show the user once. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Enrollment {
    /// Base32 (RFC 4648, no padding) TOTP secret, for manual entry.
    pub secret: String,
    /// `otpauth://totp/...` URI for a QR code; contains the secret.
    pub uri: String,
}

impl fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrollment").field("secret", &"<redacted>").field("uri", &"<redacted>").finish()
    }
}

/// Ten single-use recovery codes, shown once. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCodes(pub Vec<String>);

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes(<{} redacted>)", self.0.len())
    }
}

/// How a `verify` call was satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMethod {
    Totp,
    RecoveryCode,
}

impl VerifyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMethod::Totp => "totp",
            VerifyMethod::RecoveryCode => "recovery_code",
        }
    }
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub method: VerifyMethod,
    pub recovery_codes_remaining: u32,
}

/// Options of `reset_mfa` (docs/reset.md). `Debug` never shows the proofs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ResetOptions {
    /// Enrollment window in seconds (1 s to 365 days); `None`: the org's `enrollment_window`.
    pub window: Option<u64>,
    /// Why, up to 1,000 characters; stored in the audit event.
    pub reason: Option<String>,
    /// Check everything, change and record nothing.
    pub dry_run: bool,
    /// The target's current TOTP code or an unused recovery code; needed only for self-reset.
    pub proof: Option<String>,
    /// The actor's own current code; needed only under `require_step_up`.
    pub actor_proof: Option<String>,
}

impl fmt::Debug for ResetOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |p: &Option<String>| p.as_ref().map(|_| "<redacted>");
        f.debug_struct("ResetOptions")
            .field("window", &self.window)
            .field("reason", &self.reason)
            .field("dry_run", &self.dry_run)
            .field("proof", &redact(&self.proof))
            .field("actor_proof", &redact(&self.actor_proof))
            .finish()
    }
}

/// What a reset did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetReceipt {
    pub target: String,
    pub previous_state: MfaState,
    pub state: MfaState,
    pub deadline: UnixTime,
    pub credential_epoch: u64,
    /// The `mfa.reset` audit event; `None` for a dry run.
    pub audit_seq: Option<u64>,
    pub dry_run: bool,
}

/// Outcome of an audited event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Outcome> {
        match s {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// One event of the audit trail (docs/audit.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: u64,
    pub at: UnixTime,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub org: Option<String>,
    /// One of [`crate::audit::ACTIONS`].
    pub action: String,
    pub outcome: Outcome,
    /// The error code when the outcome is not `success`.
    pub code: Option<String>,
    pub reason: Option<String>,
    /// A JSON object with action-specific facts (never a secret).
    pub detail: serde_json::Value,
    /// Lowercase hex HMAC-SHA256 chaining this event to the previous one.
    pub mac: String,
}

/// Filters for `audit_events`. `Default` is the first page of everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events with `seq > after_seq`.
    pub after_seq: u64,
    /// At most this many events (1 to 10,000; `None`: 100).
    pub limit: Option<u32>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
}

/// The head of the audit chain, for a host to store elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// 0 when the trail is empty.
    pub seq: u64,
    /// Lowercase hex MAC of event `seq` (64 zeros when empty).
    pub mac: String,
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub ok: bool,
    /// Events whose MAC was checked and found good.
    pub checked: u64,
    /// The first seq that is missing, edited, reordered or inserted; `None` when ok.
    pub first_bad_seq: Option<u64>,
}

/// Where a handle's changes come from, added to the `detail` of every audit event the handle
/// appends as `{"via": {"tool": ..., "os_user": ...}}`. It records which program and which
/// operating-system account made a change on behalf of an actor; the actor rules are unchanged.
/// The audit MAC covers `detail`, so the origin cannot be edited unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditOrigin {
    tool: String,
    os_user: String,
}

impl AuditOrigin {
    /// Both fields must be 1 to 64 characters with no control or bidirectional-formatting
    /// characters, so that a hostile account name cannot garble a terminal or the trail.
    /// Errors: `invalid_input`.
    pub fn new(tool: &str, os_user: &str) -> Result<AuditOrigin, Error> {
        Ok(AuditOrigin {
            tool: crate::validate::label("tool", tool)?,
            os_user: crate::validate::label("os_user", os_user)?,
        })
    }
}

/// How to open a store. `Default`: system clock, each org's name as issuer, create the file
/// if it does not exist, full durability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// Start a manual clock at this Unix time; `set_time` then moves it (tests). 0 to
    /// 253402300799 (the end of 9999); anything else is `invalid_input` at open.
    pub manual_clock: Option<UnixTime>,
    /// otpauth issuer for every org; `None`: each org's name.
    pub issuer: Option<String>,
    /// Create a new store when nothing exists at the path (default `true`). With `false`, a
    /// missing file is `storage`: tools that only work on an existing store set it so that a
    /// mistyped path is an error rather than a new, empty store. An existing empty file is never
    /// taken for a new store, whatever this says.
    pub create_if_missing: bool,
    /// What a successful write survives; see [`Durability`].
    pub durability: Durability,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            manual_clock: None,
            issuer: None,
            create_if_missing: true,
            durability: Durability::Full,
        }
    }
}

/// What a write that returned success survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Durability {
    /// Every commit is flushed to the disk before the call returns (SQLite
    /// `synchronous=FULL`): a returned write survives an application crash and a power loss.
    #[default]
    Full,
    /// Commits reach the operating system but are flushed only at checkpoints (SQLite's WAL
    /// `synchronous=NORMAL`): a returned write survives an application crash, but a power loss
    /// or OS crash may undo the last commits. The store is never corrupted either way. Faster
    /// on disks with slow flushes.
    Normal,
}

impl Durability {
    /// `"full"` or `"normal"`, as the bindings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
        }
    }
}

impl FromStr for Durability {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(invalid(format!("durability must be \"full\" or \"normal\", got {other:?}"))),
        }
    }
}

/// What [`crate::Core::info`] reports about the open store. More facts may be added later, so
/// it cannot be built or matched exhaustively outside this crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StoreInfo {
    /// The engine holding the store: `"sqlite"` (a file, or memory) or `"postgresql"`.
    pub engine: &'static str,
    /// The schema version of the file (the library's [`crate::SCHEMA_VERSION`] once open).
    pub schema_version: i64,
    /// The file, as given to `open`; `None` for an in-memory store and on PostgreSQL.
    pub path: Option<std::path::PathBuf>,
    /// The file's permission bits (`0o600` for a store this library created); `None` in memory,
    /// on PostgreSQL or on systems without Unix permissions.
    pub mode: Option<u32>,
    /// Whether users other than the file's owner may read the store or its write-ahead log
    /// (any group or other read bit). The store holds sealed secrets and the audit trail: a
    /// host should warn, and `chmod 600` the files.
    pub readable_by_others: bool,
    /// The size of the store file in bytes, without its write-ahead log; `None` in memory and
    /// on PostgreSQL.
    pub file_size: Option<u64>,
    /// Whether the key check stored in the file matches this handle's key, read again now
    /// (it did at open; `false` means the file was replaced under the handle).
    pub key_check_ok: bool,
    /// How many orgs the store holds.
    pub orgs: u64,
    /// How many users, by MFA state at the handle's current time.
    pub users: UserCounts,
    /// How many events the audit trail holds.
    pub audit_events: u64,
    /// The head of the audit chain (seq 0 and a MAC of zeros when the trail is empty); a
    /// checkpoint to keep elsewhere, not a secret.
    pub audit_head: Checkpoint,
}

/// Users counted by MFA state (see [`MfaState`]); `disabled` counts disabled accounts, which
/// are also counted under their MFA state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    pub total: u64,
    pub not_enrolled: u64,
    pub enrollment_required: u64,
    pub locked_out: u64,
    pub enrolled: u64,
    pub disabled: u64,
}
