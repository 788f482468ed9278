//! docs/concepts.md, docs/reset.md: states and every rule of `reset_mfa`, in their order of precedence.

mod common;

use common::*;
use mfa_core::{AuditQuery, Error, MfaState, Outcome, Policy, ResetOptions, Role};

fn opts() -> ResetOptions {
    ResetOptions::default()
}

fn required() -> Policy {
    Policy { mfa_required: true, enrollment_window: 3600, ..Policy::default() }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn s3_new_user_in_mfa_required_org_must_enroll_before_deadline() {
    let core = core();
    let o = org(&core, required());
    let s = core.mfa_status(&o.member.id).unwrap();
    assert_eq!(s.state, MfaState::EnrollmentRequired);
    assert_eq!(s.deadline, Some(T0 + 3600));
    let plain = org(&core, Policy::default());
    let s = core.mfa_status(&plain.member.id).unwrap();
    assert_eq!((s.state, s.deadline), (MfaState::NotEnrolled, None));
}

#[test]
fn s3_locked_out_is_derived_from_the_clock() {
    let core = core();
    let o = org(&core, required());
    core.set_time(T0 + 3599).unwrap();
    assert_eq!(core.mfa_status(&o.member.id).unwrap().state, MfaState::EnrollmentRequired);
    core.set_time(T0 + 3600).unwrap();
    assert_eq!(core.mfa_status(&o.member.id).unwrap().state, MfaState::LockedOut);
    // Nothing was stored: moving the clock back gives the window back.
    core.set_time(T0 + 10).unwrap();
    assert_eq!(core.mfa_status(&o.member.id).unwrap().state, MfaState::EnrollmentRequired);
}

#[test]
fn s3_confirmed_totp_is_enrolled_with_ten_recovery_codes() {
    let core = core();
    let o = org(&core, required());
    enroll(&core, &o.member.id);
    let s = core.mfa_status(&o.member.id).unwrap();
    assert_eq!((s.state, s.deadline, s.recovery_codes_remaining), (MfaState::Enrolled, None, 10));
}

#[test]
fn s4_rule1_malformed_ids_and_options_are_invalid_input_and_not_audited() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.member.id);
    let before = audit_count(&core);
    let bad_ids = ["", "nope", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5", "x\0"];
    for bad in bad_ids {
        assert_eq!(code_of(core.reset_mfa(bad, &o.member.id, &opts())), "invalid_input");
        assert_eq!(code_of(core.reset_mfa(&o.owner.id, bad, &opts())), "invalid_input");
    }
    let bad_options = [
        ResetOptions { window: Some(0), ..opts() },
        ResetOptions { window: Some(365 * 24 * 3600 + 1), ..opts() },
        ResetOptions { reason: Some("x".repeat(1001)), ..opts() },
        ResetOptions { reason: Some("a\0b".into()), ..opts() },
        ResetOptions { proof: Some("12\u{0}345".into()), ..opts() },
        ResetOptions { actor_proof: Some("\0".into()), ..opts() },
    ];
    for options in &bad_options {
        assert_eq!(code_of(core.reset_mfa(&o.owner.id, &o.member.id, options)), "invalid_input");
    }
    assert_eq!(audit_count(&core), before);
    // The bounds themselves are accepted, and ids in any case.
    let upper = o.member.id.to_uppercase();
    let ok = ResetOptions { window: Some(365 * 24 * 3600), reason: Some("é".repeat(1000)), ..opts() };
    assert!(core.reset_mfa(&o.owner.id, &upper, &ok).is_ok());
    assert!(core.reset_mfa(&o.owner.id, &o.member.id, &ResetOptions { window: Some(1), ..opts() }).is_ok());
}

#[test]
fn s4_rule2_missing_or_disabled_actor_is_unauthenticated() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.member.id);
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(code_of(core.reset_mfa(ghost, &o.member.id, &opts())), "unauthenticated");
    core.disable_user(&o.owner.id, &o.admin.id, None).unwrap();
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.member.id, &opts())), "unauthenticated");
}

#[test]
fn s4_rule3_missing_target_and_other_org_target_are_indistinguishable() {
    let core = core();
    let o = org(&core, Policy::default());
    let elsewhere = org(&core, Policy::default());
    enroll(&core, &elsewhere.member.id);
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let missing = core.reset_mfa(&o.owner.id, ghost, &opts()).unwrap_err();
    let foreign = core.reset_mfa(&o.owner.id, &elsewhere.member.id, &opts()).unwrap_err();
    assert_eq!((missing.code(), foreign.code()), ("not_found", "not_found"));
    let shape = |e: &Error, id: &str| e.message().replace(id, "ID");
    assert_eq!(shape(&missing, ghost), shape(&foreign, &elsewhere.member.id));
    assert_eq!(core.mfa_status(&elsewhere.member.id).unwrap().state, MfaState::Enrolled);
}

#[test]
fn s4_rule4_self_reset_needs_a_valid_proof() {
    let core = core();
    let o = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &o.member.id);
    let me = &o.member.id;
    assert_eq!(code_of(core.reset_mfa(me, me, &opts())), "forbidden");
    let wrong = ResetOptions { proof: Some(wrong_code(&core, &secret)), ..opts() };
    assert_eq!(code_of(core.reset_mfa(me, me, &wrong)), "forbidden");
    let letters = ResetOptions { proof: Some("abcdef".into()), ..opts() };
    assert_eq!(code_of(core.reset_mfa(me, me, &letters)), "forbidden");
    let right = ResetOptions { proof: Some(code(&core, &secret, 0)), ..opts() };
    let receipt = core.reset_mfa(me, me, &right).unwrap();
    assert_eq!(receipt.state, MfaState::EnrollmentRequired);
    // An owner too needs a proof for itself; a recovery code is a valid proof.
    let (_, owner_codes) = enroll(&core, &o.owner.id);
    assert_eq!(code_of(core.reset_mfa(&o.owner.id, &o.owner.id, &opts())), "forbidden");
    let by_recovery = ResetOptions { proof: Some(owner_codes.0[3].clone()), ..opts() };
    assert!(core.reset_mfa(&o.owner.id, &o.owner.id, &by_recovery).is_ok());
    drop(codes);
}

#[test]
fn s4_rule5_member_cannot_reset_anyone_else() {
    let core = core();
    let o = org(&core, Policy::default());
    for target in [&o.owner, &o.admin, &o.other] {
        enroll(&core, &target.id);
        assert_eq!(code_of(core.reset_mfa(&o.member.id, &target.id, &opts())), "forbidden");
    }
}

#[test]
fn s4_rule5_admin_cannot_reset_owner() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.owner.id);
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.owner.id, &opts())), "forbidden");
    assert_eq!(core.mfa_status(&o.owner.id).unwrap().state, MfaState::Enrolled);
}

#[test]
fn s4_rule5_admin_resets_admins_and_members_and_owner_resets_anyone() {
    let core = core();
    let o = org(&core, Policy::default());
    let org_id = o.id.clone();
    let second_admin = core.create_user(&org_id, "admin2@acme.test", Role::Admin).unwrap();
    let second_owner = core.create_user(&org_id, "owner2@acme.test", Role::Owner).unwrap();
    for (actor, target) in [
        (&o.admin.id, &second_admin.id),
        (&o.admin.id, &o.member.id),
        (&o.owner.id, &second_owner.id),
        (&o.owner.id, &o.admin.id),
        (&o.owner.id, &o.other.id),
    ] {
        enroll(&core, target);
        let receipt = core.reset_mfa(actor, target, &opts()).unwrap();
        assert_eq!(receipt.previous_state, MfaState::Enrolled);
    }
}

#[test]
fn s4_rule6_not_enrolled_is_mfa_not_enabled_but_pending_and_locked_out_may_be_reset() {
    let core = core();
    let plain = org(&core, Policy::default());
    assert_eq!(code_of(core.reset_mfa(&plain.owner.id, &plain.member.id, &opts())), "mfa_not_enabled");
    // A begun but unconfirmed enrollment without a deadline is still not_enrolled.
    core.begin_enrollment(&plain.member.id).unwrap();
    assert_eq!(code_of(core.reset_mfa(&plain.owner.id, &plain.member.id, &opts())), "mfa_not_enabled");

    let o = org(&core, required());
    let pending = core.reset_mfa(&o.owner.id, &o.member.id, &opts()).unwrap();
    assert_eq!(pending.previous_state, MfaState::EnrollmentRequired);
    core.set_time(T0 + 4000 + 3600).unwrap();
    assert_eq!(core.mfa_status(&o.other.id).unwrap().state, MfaState::LockedOut);
    let locked = core.reset_mfa(&o.owner.id, &o.other.id, &opts()).unwrap();
    assert_eq!(locked.previous_state, MfaState::LockedOut);
}

#[test]
fn s4_rule7_rate_limit_with_exact_retry_after() {
    let core = core();
    let policy = Policy { mfa_required: true, reset_limit_per_hour: 3, ..Policy::default() };
    let o = org(&core, policy);
    let targets: Vec<String> = (0..5)
        .map(|i| core.create_user(&o.id, &format!("m{i}@acme.test"), Role::Member).unwrap().id)
        .collect();
    for (i, t) in targets.iter().take(3).enumerate() {
        core.set_time(T0 + 100 * i as i64).unwrap();
        core.reset_mfa(&o.admin.id, t, &opts()).unwrap();
    }
    core.set_time(T0 + 1000).unwrap();
    let err = core.reset_mfa(&o.admin.id, &targets[3], &opts()).unwrap_err();
    // The oldest of the three (at T0) leaves the hour at T0 + 3600.
    assert_eq!((err.code(), err.retry_after()), ("rate_limited", Some(2600)));
    // Denied attempts do not count; another actor has its own budget.
    core.set_time(T0 + 3599).unwrap();
    assert_eq!(core.reset_mfa(&o.admin.id, &targets[3], &opts()).unwrap_err().retry_after(), Some(1));
    assert!(core.reset_mfa(&o.owner.id, &targets[4], &opts()).is_ok());
    core.set_time(T0 + 3600).unwrap();
    assert!(core.reset_mfa(&o.admin.id, &targets[3], &opts()).is_ok());
    let err = core.reset_mfa(&o.admin.id, &targets[0], &opts()).unwrap_err();
    assert_eq!(err.retry_after(), Some(100), "next to leave is the reset at T0 + 100");
}

#[test]
fn s4_rules_apply_in_the_contract_order() {
    let core = core();
    let policy = Policy { mfa_required: false, reset_limit_per_hour: 1, ..Policy::default() };
    let o = org(&core, policy);
    let elsewhere = org(&core, Policy::default());
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    enroll(&core, &o.other.id);
    enroll(&core, &o.owner.id);
    core.reset_mfa(&o.admin.id, &o.other.id, &opts()).unwrap(); // the admin's hourly budget is spent
    let bad_window = ResetOptions { window: Some(0), ..opts() };

    // 1 before 2: a malformed option wins over a missing actor.
    assert_eq!(code_of(core.reset_mfa(ghost, ghost, &bad_window)), "invalid_input");
    // 2 before 3: a missing actor wins over a missing target.
    assert_eq!(code_of(core.reset_mfa(ghost, ghost, &opts())), "unauthenticated");
    // 3 before 5: a member asking about another org's user learns nothing.
    assert_eq!(code_of(core.reset_mfa(&o.member.id, &elsewhere.owner.id, &opts())), "not_found");
    // 4 before 6: a self-reset without proof is forbidden even with nothing enrolled.
    assert_eq!(code_of(core.reset_mfa(&o.member.id, &o.member.id, &opts())), "forbidden");
    // 5 before 6: a member may not reset a not_enrolled user either.
    assert_eq!(code_of(core.reset_mfa(&o.member.id, &o.admin.id, &opts())), "forbidden");
    // 5 before 7: the rate-limited admin still gets forbidden for an owner.
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.owner.id, &opts())), "forbidden");
    // 6 before 7: the rate-limited admin gets mfa_not_enabled for a not_enrolled user.
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.member.id, &opts())), "mfa_not_enabled");
    // 7 last.
    enroll(&core, &o.member.id);
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.member.id, &opts())), "rate_limited");
}

#[test]
fn s4_effects_destroy_secret_and_codes_and_bump_epoch_in_one_audited_step() {
    let core = core();
    let o = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &o.member.id);
    // Leave some failure state behind.
    core.verify(&o.member.id, &wrong_code(&core, &secret)).unwrap_err();
    let before = audit_count(&core);
    let reason = ResetOptions { window: Some(600), reason: Some("lost phone".into()), ..opts() };
    let r = core.reset_mfa(&o.admin.id, &o.member.id, &reason).unwrap();
    assert_eq!(r.target, o.member.id);
    assert_eq!((r.previous_state, r.state), (MfaState::Enrolled, MfaState::EnrollmentRequired));
    assert_eq!((r.deadline, r.credential_epoch, r.dry_run), (core.now() + 600, 1, false));
    assert_eq!(r.audit_seq, Some(before + 1));
    assert_eq!(audit_count(&core), before + 1);

    assert_eq!(core.get_user(&o.member.id).unwrap().credential_epoch, 1);
    let status = core.mfa_status(&o.member.id).unwrap();
    assert_eq!((status.state, status.deadline), (MfaState::EnrollmentRequired, Some(core.now() + 600)));
    assert_eq!(status.recovery_codes_remaining, 0);
    assert_eq!(code_of(core.verify(&o.member.id, &code(&core, &secret, 0))), "mfa_not_enabled");
    assert_eq!(code_of(core.verify(&o.member.id, &codes.0[0])), "mfa_not_enabled");

    // Re-enrolling gives a new secret; the failure counter started from zero.
    let (new_secret, _) = enroll(&core, &o.member.id);
    assert_ne!(new_secret, secret);
    assert_eq!(code_of(core.verify(&o.member.id, &codes.0[1])), "invalid_code");

    let event = &core
        .audit_events(&AuditQuery { after_seq: before, limit: Some(1), ..Default::default() })
        .unwrap()[0];
    assert_eq!(event.action, "mfa.reset");
    assert_eq!((event.outcome, event.code.as_deref()), (Outcome::Success, None));
    assert_eq!(event.actor.as_deref(), Some(o.admin.id.as_str()));
    assert_eq!(event.target.as_deref(), Some(o.member.id.as_str()));
    assert_eq!(event.org.as_deref(), Some(o.id.as_str()));
    assert_eq!(event.reason.as_deref(), Some("lost phone"));
    assert_eq!(event.detail["previous_state"], "enrolled");
    assert_eq!(event.detail["credential_epoch"], 1);
}

#[test]
fn s4_dry_run_checks_everything_and_changes_and_records_nothing() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.member.id);
    enroll(&core, &o.owner.id);
    let before = audit_count(&core);
    let status = core.mfa_status(&o.member.id).unwrap();
    let dry = ResetOptions { dry_run: true, window: Some(60), ..opts() };
    let r = core.reset_mfa(&o.admin.id, &o.member.id, &dry).unwrap();
    assert!(r.dry_run);
    assert_eq!((r.audit_seq, r.credential_epoch, r.deadline), (None, 1, core.now() + 60));
    assert_eq!(core.mfa_status(&o.member.id).unwrap(), status);
    // A refused dry run is refused with the same code, and records nothing either.
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.owner.id, &dry)), "forbidden");
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.other.id, &dry)), "mfa_not_enabled");
    assert_eq!(audit_count(&core), before);
}

#[test]
fn s4_every_refusal_is_audited_as_denied_with_its_code() {
    let core = core();
    let o = org(&core, Policy { reset_limit_per_hour: 1, ..Policy::default() });
    let elsewhere = org(&core, Policy::default());
    enroll(&core, &o.owner.id);
    enroll(&core, &o.other.id);
    core.reset_mfa(&o.admin.id, &o.other.id, &opts()).unwrap();
    enroll(&core, &o.other.id);
    core.disable_user(&o.owner.id, &o.member.id, None).unwrap();
    let before = audit_count(&core);
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let attempts: [(&str, &str, &str); 6] = [
        (ghost, &o.other.id, "unauthenticated"),
        (&o.member.id, &o.other.id, "unauthenticated"),
        (&o.admin.id, &elsewhere.owner.id, "not_found"),
        (&o.admin.id, &o.owner.id, "forbidden"),
        (&o.owner.id, &o.admin.id, "mfa_not_enabled"),
        (&o.admin.id, &o.other.id, "rate_limited"),
    ];
    for (actor, target, expected) in attempts {
        assert_eq!(code_of(core.reset_mfa(actor, target, &opts())), expected);
    }
    let events = core.audit_events(&AuditQuery { after_seq: before, ..Default::default() }).unwrap();
    assert_eq!(events.len(), attempts.len());
    for (event, (actor, target, expected)) in events.iter().zip(attempts) {
        assert_eq!((event.action.as_str(), event.outcome), ("mfa.reset", Outcome::Denied));
        // The org is known for every actor that exists, disabled ones included.
        let org = if actor == ghost { None } else { Some(o.id.as_str()) };
        assert_eq!(event.org.as_deref(), org, "{expected}");
        assert_eq!(event.code.as_deref(), Some(expected));
        assert_eq!((event.actor.as_deref(), event.target.as_deref()), (Some(actor), Some(target)));
    }
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn s4_window_expiry_locks_out_and_a_new_reset_reopens_it() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.member.id);
    let r = core.reset_mfa(&o.admin.id, &o.member.id, &ResetOptions { window: Some(120), ..opts() }).unwrap();
    core.set_time(r.deadline).unwrap();
    assert_eq!(core.mfa_status(&o.member.id).unwrap().state, MfaState::LockedOut);
    assert_eq!(code_of(core.begin_enrollment(&o.member.id)), "forbidden");
    let again = core.reset_mfa(&o.admin.id, &o.member.id, &opts()).unwrap();
    assert_eq!((again.previous_state, again.credential_epoch), (MfaState::LockedOut, 2));
    assert_eq!(core.mfa_status(&o.member.id).unwrap().state, MfaState::EnrollmentRequired);
    assert!(core.begin_enrollment(&o.member.id).is_ok());
}

#[test]
fn s4_step_up_requires_the_actors_own_current_code() {
    let core = core();
    let o = org(&core, Policy { require_step_up: true, ..Policy::default() });
    let (admin_secret, _) = enroll(&core, &o.admin.id);
    enroll(&core, &o.member.id);
    enroll(&core, &o.other.id);
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.member.id, &opts())), "forbidden");
    let wrong = ResetOptions { actor_proof: Some(wrong_code(&core, &admin_secret)), ..opts() };
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.member.id, &wrong)), "forbidden");
    let proof = code(&core, &admin_secret, 0);
    let right = ResetOptions { actor_proof: Some(proof.clone()), ..opts() };
    assert!(core.reset_mfa(&o.admin.id, &o.member.id, &right).is_ok());
    // The proof was spent: it cannot be replayed for a second target.
    assert_eq!(code_of(core.reset_mfa(&o.admin.id, &o.other.id, &right)), "forbidden");
    // An actor with nothing enrolled is not asked for one (the owner here).
    assert!(core.reset_mfa(&o.owner.id, &o.other.id, &opts()).is_ok());
    // Re-role and disable need it too; enable does not.
    assert_eq!(code_of(core.set_role(&o.admin.id, &o.other.id, Role::Admin, None)), "forbidden");
    assert_eq!(code_of(core.disable_user(&o.admin.id, &o.other.id, None)), "forbidden");
    advance(&core, 30);
    let p = code(&core, &admin_secret, 0);
    assert!(core.disable_user(&o.admin.id, &o.other.id, Some(&p)).is_ok());
    assert!(core.enable_user(&o.admin.id, &o.other.id).is_ok());
}

#[test]
fn s4_reset_many_gives_one_outcome_per_target_in_order() {
    let core = core();
    let o = org(&core, Policy { reset_limit_per_hour: 3, ..Policy::default() });
    let elsewhere = org(&core, Policy::default());
    let members: Vec<String> = (0..4)
        .map(|i| core.create_user(&o.id, &format!("b{i}@acme.test"), Role::Member).unwrap().id)
        .collect();
    for m in &members {
        enroll(&core, m);
    }
    enroll(&core, &o.owner.id);
    let targets = vec![
        members[0].clone(),
        "not-a-uuid".to_string(),
        o.owner.id.clone(),
        elsewhere.member.id.clone(),
        o.other.id.clone(),
        members[1].clone(),
        members[2].clone(),
        members[3].clone(),
    ];
    let outcomes = core.reset_mfa_many(&o.admin.id, &targets, &opts()).unwrap();
    let codes: Vec<&str> = outcomes.iter().map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "ok")).collect();
    assert_eq!(
        codes,
        ["ok", "invalid_input", "forbidden", "not_found", "mfa_not_enabled", "ok", "ok", "rate_limited"]
    );
    // One refusal did not undo the others.
    for m in &members[..3] {
        assert_eq!(core.get_user(m).unwrap().credential_epoch, 1);
    }
    assert_eq!(core.get_user(&members[3]).unwrap().credential_epoch, 0);
    let too_many = vec![members[0].clone(); 10_001];
    assert_eq!(code_of(core.reset_mfa_many(&o.admin.id, &too_many, &opts())), "invalid_input");
    assert!(core.verify_audit(None).unwrap().ok);
}
