//! The accepted ranges of clock values, windows and audit positions (docs/limits.md): the far
//! ends work, and anything past them is `invalid_input`, never `internal`, `storage` or a
//! wrapped time.

mod common;

use common::*;
use mfa_core::{
    AuditQuery, Core, MAX_AUDIT_SEQ, MAX_UNIX_TIME, MAX_WINDOW_SECONDS, MfaState, OpenOptions, Policy,
    ResetOptions, Role,
};

fn required(window: u64) -> Policy {
    Policy { mfa_required: true, enrollment_window: window, ..Policy::default() }
}

#[test]
fn manual_clocks_outside_1970_to_9999_are_refused_at_open() {
    for bad in [-1, MAX_UNIX_TIME + 1, i64::MAX, i64::MIN] {
        let opened =
            Core::open_in_memory(&KEY, OpenOptions { manual_clock: Some(bad), ..Default::default() });
        assert_eq!(opened.unwrap_err().code(), "invalid_input", "{bad}");
    }
    for good in [0, MAX_UNIX_TIME] {
        let core = Core::open_in_memory(&KEY, OpenOptions { manual_clock: Some(good), ..Default::default() });
        assert_eq!(core.unwrap().now(), good);
    }
}

#[test]
fn set_time_near_i64_max_is_invalid_input_and_leaves_the_clock() {
    let core = core();
    for bad in [9_223_372_036_854_775_800, i64::MAX, MAX_UNIX_TIME + 1, -1] {
        assert_eq!(core.set_time(bad).unwrap_err().code(), "invalid_input", "{bad}");
        assert_eq!(core.now(), T0);
    }
}

#[test]
fn verify_and_confirm_work_at_the_last_accepted_second() {
    let core = core();
    let o = org(&core, Policy::default());
    core.set_time(MAX_UNIX_TIME - 60).unwrap();
    let (secret, _) = enroll(&core, &o.member.id);
    core.set_time(MAX_UNIX_TIME).unwrap();
    let current = code(&core, &secret, 0);
    // Step t + 1 lies past the range, so only t - 1 and t are accepted here.
    let valid = [code(&core, &secret, -1), current.clone()];
    let wrong = ["000000", "000001", "000002"].into_iter().find(|c| !valid.iter().any(|v| v == c)).unwrap();
    assert_eq!(core.verify(&o.member.id, wrong).unwrap_err().code(), "invalid_code");
    assert!(core.verify(&o.member.id, &current).is_ok());
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn deadlines_at_the_far_end_of_the_clock_do_not_wrap() {
    let core = core();
    core.set_time(MAX_UNIX_TIME).unwrap();
    let org = core.create_org("Far", required(MAX_WINDOW_SECONDS)).unwrap();
    let owner = core.create_user(&org.id, "owner@far.test", Role::Owner).unwrap();
    let member = core.create_user(&org.id, "member@far.test", Role::Member).unwrap();
    let status = core.mfa_status(&member.id).unwrap();
    assert_eq!(status.state, MfaState::EnrollmentRequired);
    assert_eq!(status.deadline, Some(MAX_UNIX_TIME + MAX_WINDOW_SECONDS as i64));

    let window = Some(MAX_WINDOW_SECONDS);
    let receipt =
        core.reset_mfa(&owner.id, &member.id, &ResetOptions { window, ..Default::default() }).unwrap();
    assert_eq!(receipt.deadline, MAX_UNIX_TIME + MAX_WINDOW_SECONDS as i64);
    assert_eq!(core.mfa_status(&member.id).unwrap().state, MfaState::EnrollmentRequired);
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn audit_positions_past_2_pow_63_are_invalid_input_not_storage() {
    let core = core();
    org(&core, Policy::default());
    for after_seq in [MAX_AUDIT_SEQ + 1, 1 << 63, u64::MAX] {
        let query = AuditQuery { after_seq, ..Default::default() };
        assert_eq!(core.audit_events(&query).unwrap_err().code(), "invalid_input", "{after_seq}");
    }
    let last = AuditQuery { after_seq: MAX_AUDIT_SEQ, ..Default::default() };
    assert!(core.audit_events(&last).unwrap().is_empty());
}
