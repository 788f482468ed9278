//! mfa-core: an embedded identity core. Keep users and roles, enroll and verify TOTP, and let
//! an authorised actor reset another user's MFA, on one SQLite file with a tamper-evident
//! audit trail.
//!
//! ```
//! use mfa_core::{Core, OpenOptions, Policy, ResetOptions, Role};
//!
//! let core = Core::open_in_memory(&[7u8; 32], OpenOptions::default())?;
//! let org = core.create_org("Acme", Policy::default())?;
//! let owner = core.create_user(&org.id, "owner@acme.example", Role::Owner)?;
//! let bob = core.create_user(&org.id, "bob@acme.example", Role::Member)?;
//!
//! // Bob enrolls with an authenticator app...
//! let enrollment = core.begin_enrollment(&bob.id)?;
//! let code = mfa_core::totp::code_for_step(
//!     &mfa_core::totp::decode_base32(&enrollment.secret)?,
//!     mfa_core::totp::step_at(core.now()),
//! )?;
//! core.confirm_enrollment(&bob.id, &code)?;
//!
//! // ...loses his phone, and the owner resets his MFA.
//! let receipt = core.reset_mfa(&owner.id, &bob.id, &ResetOptions::default())?;
//! assert_eq!(receipt.credential_epoch, 1);
//! assert!(core.verify_audit(None)?.ok);
//! # Ok::<(), mfa_core::Error>(())
//! ```

mod audit;
mod core;
mod crypto;
mod directory;
mod enrollment;
mod error;
pub mod key;
mod migrate;
mod model;
mod policy;
mod reset;
mod store;
pub mod totp;
mod validate;

pub use crate::audit::ACTIONS;
pub use crate::core::Core;
pub use crate::enrollment::RECOVERY_CODE_COUNT;
pub use crate::error::{Error, Result};
pub use crate::migrate::{CopyProgress, CopyReport, is_postgres_url};
pub use crate::model::{
    AuditEvent, AuditOrigin, AuditQuery, AuditReport, Checkpoint, Durability, Enrollment, MfaState,
    MfaStatus, OpenOptions, Org, Outcome, Policy, PolicyChanges, RecoveryCodes, ResetOptions, ResetReceipt,
    Role, StoreInfo, UnixTime, User, UserCounts, UserStatus, Verification, VerifyMethod,
};
pub use crate::store::CURRENT_VERSION as SCHEMA_VERSION;
pub use crate::validate::{
    MAX_AUDIT_PAGE, MAX_BULK_TARGETS, MAX_EMAIL_BYTES, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_REASON_CHARS,
    MAX_WINDOW_SECONDS,
};
pub use crate::validate::{MAX_AUDIT_SEQ, MAX_UNIX_TIME, MIN_UNIX_TIME};

/// The README's Rust blocks are compiled as doc tests, so its quickstart cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
mod thread_safety {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn s8_core_is_send_and_sync() {
        assert_send_sync::<super::Core>();
    }
}
