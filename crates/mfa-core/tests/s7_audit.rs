//! docs/audit.md: the audit trail's content, paging, checkpoints, and the absence of secrets.

mod common;

use common::*;
use mfa_core::{AuditQuery, Checkpoint, Policy, ResetOptions};

#[test]
fn s7_events_are_gapless_and_page_with_filters() {
    let core = core();
    let o = org(&core, Policy::default());
    enroll(&core, &o.member.id);
    core.reset_mfa(&o.admin.id, &o.member.id, &ResetOptions::default()).unwrap();
    let all = core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    let seqs: Vec<u64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=all.len() as u64).collect::<Vec<_>>());
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "org.create",
            "user.create",
            "user.create",
            "user.create",
            "user.create",
            "mfa.enroll.begin",
            "mfa.enroll.confirm",
            "mfa.reset"
        ]
    );
    assert!(all.iter().all(|e| e.mac.len() == 64 && mfa_core::ACTIONS.contains(&e.action.as_str())));

    let page = core.audit_events(&AuditQuery { after_seq: 2, limit: Some(2), ..Default::default() }).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    let by_target = AuditQuery { target: Some(o.member.id.to_uppercase()), ..Default::default() };
    assert_eq!(core.audit_events(&by_target).unwrap().len(), 4);
    let by_actor = AuditQuery {
        actor: Some(o.admin.id.clone()),
        action: Some("mfa.reset".into()),
        ..Default::default()
    };
    assert_eq!(core.audit_events(&by_actor).unwrap().len(), 1);
    for bad in [
        AuditQuery { limit: Some(0), ..Default::default() },
        AuditQuery { limit: Some(10_001), ..Default::default() },
        AuditQuery { action: Some("mfa.nope".into()), ..Default::default() },
        AuditQuery { actor: Some("x".into()), ..Default::default() },
    ] {
        assert_eq!(core.audit_events(&bad).unwrap_err().code(), "invalid_input");
    }
}

#[test]
fn s7_checkpoint_names_the_head_and_verifies() {
    let core = core();
    assert_eq!(core.audit_checkpoint().unwrap(), Checkpoint { seq: 0, mac: "0".repeat(64) });
    let empty = core.verify_audit(None).unwrap();
    assert_eq!((empty.ok, empty.checked, empty.first_bad_seq), (true, 0, None));
    org(&core, Policy::default());
    let cp = core.audit_checkpoint().unwrap();
    assert_eq!(cp.seq, 5);
    let r = core.verify_audit(Some(&cp)).unwrap();
    assert_eq!((r.ok, r.checked), (true, 5));
    let forged = Checkpoint { seq: 5, mac: "ab".repeat(32) };
    assert_eq!(core.verify_audit(Some(&forged)).unwrap().first_bad_seq, Some(5));
    let bad = Checkpoint { seq: 1, mac: "zz".into() };
    assert_eq!(core.verify_audit(Some(&bad)).unwrap_err().code(), "invalid_input");
}

#[test]
fn s7_no_secret_code_or_key_enters_the_trail() {
    let core = core();
    let o = org(&core, Policy { require_step_up: true, ..Policy::default() });
    let (secret, codes) = enroll(&core, &o.member.id);
    let (admin_secret, _) = enroll(&core, &o.admin.id);
    let verify_code = code(&core, &secret, 0);
    core.verify(&o.member.id, &verify_code).unwrap();
    core.verify(&o.member.id, &codes.0[0]).unwrap();
    let wrong = wrong_code(&core, &secret);
    core.verify(&o.member.id, &wrong).unwrap_err();
    let proof = code(&core, &admin_secret, 0);
    let options = ResetOptions {
        actor_proof: Some(proof.clone()),
        reason: Some("help desk".into()),
        ..Default::default()
    };
    core.reset_mfa(&o.admin.id, &o.member.id, &options).unwrap();
    let trail = serde_json::to_string(
        &core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap(),
    )
    .unwrap();
    let key_hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    for needle in [secret.as_str(), admin_secret.as_str(), &verify_code, &wrong, &proof, &key_hex]
        .into_iter()
        .chain(codes.0.iter().map(String::as_str))
    {
        assert!(!trail.contains(needle), "the trail contains a secret");
    }
    assert!(trail.contains("help desk"));
}

/// Paging by target alone merges the target's own events (verifications, enrollment) with the
/// events others made about it (resets, directory changes), in seq order, page by page.
#[test]
fn s7_pages_by_target_hold_own_and_others_events_in_order() {
    let core = core();
    let o = org(&core, Policy::default());
    let (secret, _) = enroll(&core, &o.member.id);
    core.verify(&o.member.id, &code(&core, &secret, 0)).unwrap();
    core.reset_mfa(&o.admin.id, &o.member.id, &ResetOptions::default()).unwrap();
    let (secret, _) = enroll(&core, &o.member.id);
    core.verify(&o.member.id, &wrong_code(&core, &secret)).unwrap_err();
    core.reset_mfa(&o.owner.id, &o.member.id, &ResetOptions::default()).unwrap();
    enroll(&core, &o.other.id);

    let all = core.audit_events(&AuditQuery { limit: Some(10_000), ..Default::default() }).unwrap();
    for action in [None, Some("mfa.reset"), Some("mfa.verify")] {
        let expected: Vec<u64> = all
            .iter()
            .filter(|e| e.target.as_deref() == Some(&o.member.id))
            .filter(|e| action.is_none_or(|a| e.action == a))
            .map(|e| e.seq)
            .collect();
        let mut paged = Vec::new();
        let mut after_seq = 0;
        loop {
            let q = AuditQuery {
                target: Some(o.member.id.clone()),
                action: action.map(str::to_string),
                after_seq,
                limit: Some(2),
                ..Default::default()
            };
            let page = core.audit_events(&q).unwrap();
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            paged.extend(page.iter().map(|e| e.seq));
        }
        assert_eq!(paged, expected, "action {action:?}");
    }
    // Both kinds are there: the member's own events and the two resets by others.
    let member_events: Vec<_> = all.iter().filter(|e| e.target.as_deref() == Some(&o.member.id)).collect();
    assert!(member_events.iter().any(|e| e.actor.as_deref() == Some(&o.member.id)));
    assert_eq!(member_events.iter().filter(|e| e.action == "mfa.reset").count(), 2);
}
