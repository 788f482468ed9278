//! The error codes each call promises (the "Errors:" lines of the rustdoc and of
//! `include/mfa_core.h`). A code outside its call's set is a bug even when nothing crashed.
//!
//! `storage` is documented for I/O faults (busy, full disk, corrupt file); the targets run on
//! in-memory stores with one thread, where none can happen, so it is never accepted here: a
//! caller's argument must not look like a storage fault. `internal` is never accepted.
//! `invalid_input` is in every set: it is also every call's answer on a handle that
//! `rotate_key` retired.

pub const INVALID_INPUT: &str = "invalid_input";
pub const UNAUTHENTICATED: &str = "unauthenticated";
pub const FORBIDDEN: &str = "forbidden";
pub const NOT_FOUND: &str = "not_found";
pub const MFA_NOT_ENABLED: &str = "mfa_not_enabled";
pub const CONFLICT: &str = "conflict";
pub const INVALID_CODE: &str = "invalid_code";
pub const RATE_LIMITED: &str = "rate_limited";

/// The codes `call` may return, by the name it has on every surface.
pub fn allowed(call: &str) -> &'static [&'static str] {
    match call {
        "open" | "create_org" | "set_time" | "totp_code" | "now" | "audit_events" | "verify_audit"
        | "audit_checkpoint" | "list_orgs" | "rotate_key" | "info" => &[INVALID_INPUT],
        // In memory there is no file to copy: `invalid_input`.
        "backup" => &[INVALID_INPUT, CONFLICT],
        // The whole run fails on bad arguments or a refused step-up, checked once.
        "reset_mfa_many" => &[INVALID_INPUT, FORBIDDEN, RATE_LIMITED],
        "get_org" | "get_user" | "find_user_by_email" | "list_users" | "mfa_status" => {
            &[INVALID_INPUT, NOT_FOUND]
        }
        "create_user" => &[INVALID_INPUT, NOT_FOUND, CONFLICT],
        "set_role" | "disable_user" | "delete_user" | "rename_user" => {
            &[INVALID_INPUT, UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, CONFLICT, RATE_LIMITED]
        }
        "update_policy" => &[INVALID_INPUT, UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, RATE_LIMITED],
        "enable_user" => &[INVALID_INPUT, UNAUTHENTICATED, NOT_FOUND, FORBIDDEN],
        "begin_enrollment" => &[INVALID_INPUT, NOT_FOUND, UNAUTHENTICATED, CONFLICT, FORBIDDEN],
        "confirm_enrollment" => {
            &[INVALID_INPUT, NOT_FOUND, UNAUTHENTICATED, CONFLICT, FORBIDDEN, INVALID_CODE, RATE_LIMITED]
        }
        "verify" | "regenerate_recovery_codes" => {
            &[INVALID_INPUT, NOT_FOUND, UNAUTHENTICATED, MFA_NOT_ENABLED, INVALID_CODE, RATE_LIMITED]
        }
        // One target of `reset_mfa_many` fails as `reset_mfa` does.
        "reset_mfa" | "reset_mfa_many.target" => {
            &[INVALID_INPUT, UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, MFA_NOT_ENABLED, RATE_LIMITED]
        }
        other => panic!("no documented codes for {other:?}: add them to contract.rs"),
    }
}

/// Panics (a finding) when `code` is not documented for `call`.
pub fn check(call: &str, code: &str, message: &str) {
    assert!(allowed(call).contains(&code), "{call} returned undocumented code {code:?}: {message}");
}
