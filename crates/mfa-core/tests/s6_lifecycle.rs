//! A store that lives for years: policy changes, and users who leave or change their email.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use mfa_core::{AuditQuery, MfaState, Outcome, Policy, PolicyChanges, ResetOptions, Role};
use serde_json::json;

fn events(core: &mfa_core::Core, action: &str) -> Vec<mfa_core::AuditEvent> {
    core.audit_events(&AuditQuery { action: Some(action.into()), limit: Some(1000), ..Default::default() })
        .unwrap()
}

#[test]
fn update_policy_changes_only_the_given_fields_and_audits_old_and_new() {
    let core = core();
    let o = org(&core, Policy::default());
    let changes =
        PolicyChanges { enrollment_window: Some(3600), require_step_up: Some(true), ..Default::default() };
    let org = core.update_policy(&o.owner.id, &o.id, &changes, None).unwrap();
    let expected = Policy { enrollment_window: 3600, require_step_up: true, ..Policy::default() };
    assert_eq!(org.policy, expected);
    assert_eq!(core.get_org(&o.id).unwrap().policy, expected);
    let e = events(&core, "org.policy");
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].outcome, e[0].actor.as_deref(), e[0].org.as_deref()),
        (Outcome::Success, Some(&*o.owner.id), Some(&*o.id))
    );
    assert_eq!(
        e[0].detail,
        json!({ "from": { "enrollment_window": 604800, "require_step_up": false },
                "to": { "enrollment_window": 3600, "require_step_up": true } })
    );
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn update_policy_is_for_owners_of_the_org_only() {
    let core = core();
    let o = org(&core, Policy::default());
    let other = core.create_org("Other", Policy::default()).unwrap();
    let change = PolicyChanges { reset_limit_per_hour: Some(3), ..Default::default() };
    assert_eq!(core.update_policy(&o.admin.id, &o.id, &change, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.update_policy(&o.member.id, &o.id, &change, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.update_policy(&o.owner.id, &other.id, &change, None).unwrap_err().code(), "not_found");
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(core.update_policy(ghost, &o.id, &change, None).unwrap_err().code(), "unauthenticated");
    assert_eq!(core.update_policy(&o.owner.id, ghost, &change, None).unwrap_err().code(), "not_found");
    assert_eq!(core.get_org(&o.id).unwrap().policy, Policy::default());
    let denied: Vec<_> = events(&core, "org.policy").iter().map(|e| e.code.clone().unwrap()).collect();
    assert_eq!(denied, ["forbidden", "forbidden", "not_found", "unauthenticated", "not_found"]);
}

#[test]
fn update_policy_validates_like_creation_and_needs_a_field() {
    let core = core();
    let o = org(&core, Policy::default());
    let before = audit_count(&core);
    for bad in [
        PolicyChanges::default(),
        PolicyChanges { enrollment_window: Some(0), ..Default::default() },
        PolicyChanges { enrollment_window: Some(365 * 86400 + 1), ..Default::default() },
        PolicyChanges { reset_limit_per_hour: Some(0), ..Default::default() },
        PolicyChanges { max_failed_verifications: Some(0), ..Default::default() },
        PolicyChanges {
            max_failed_verifications: Some(1001),
            mfa_required: Some(true),
            ..Default::default()
        },
    ] {
        assert_eq!(
            core.update_policy(&o.owner.id, &o.id, &bad, None).unwrap_err().code(),
            "invalid_input",
            "{bad:?}"
        );
    }
    let ok = PolicyChanges { mfa_required: Some(true), ..Default::default() };
    assert_eq!(
        core.update_policy(&o.owner.id, &o.id, &ok, Some("12\0")).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(audit_count(&core), before);
    assert_eq!(core.get_org(&o.id).unwrap().policy, Policy::default());
}

#[test]
fn a_shorter_enrollment_window_applies_to_new_resets_only() {
    let core = core();
    let o = org(&core, Policy { mfa_required: true, ..Policy::default() });
    let week = 7 * 86400;
    assert_eq!(core.mfa_status(&o.member.id).unwrap().deadline, Some(T0 + week));
    core.update_policy(
        &o.owner.id,
        &o.id,
        &PolicyChanges { enrollment_window: Some(600), ..Default::default() },
        None,
    )
    .unwrap();
    advance(&core, 3600);
    // Set before the change: still the week.
    let old = core.mfa_status(&o.member.id).unwrap();
    assert_eq!((old.state, old.deadline), (MfaState::EnrollmentRequired, Some(T0 + week)));
    // A user created and a reset made afterwards get the short window.
    let new = core.create_user(&o.id, "new@acme.test", Role::Member).unwrap();
    assert_eq!(core.mfa_status(&new.id).unwrap().deadline, Some(core.now() + 600));
    enroll(&core, &o.other.id);
    let receipt = core.reset_mfa(&o.owner.id, &o.other.id, &ResetOptions::default()).unwrap();
    assert_eq!(receipt.deadline, core.now() + 600);
}

#[test]
fn turning_step_up_off_needs_the_owners_code_while_it_is_on() {
    let core = core();
    let o = org(&core, Policy { require_step_up: true, ..Policy::default() });
    let (secret, _) = enroll(&core, &o.owner.id);
    let off = PolicyChanges { require_step_up: Some(false), ..Default::default() };
    assert_eq!(core.update_policy(&o.owner.id, &o.id, &off, None).unwrap_err().code(), "forbidden");
    let wrong = wrong_code(&core, &secret);
    assert_eq!(core.update_policy(&o.owner.id, &o.id, &off, Some(&wrong)).unwrap_err().code(), "forbidden");
    let org = core.update_policy(&o.owner.id, &o.id, &off, Some(&code(&core, &secret, 0))).unwrap();
    assert!(!org.policy.require_step_up);
}

#[test]
fn delete_user_follows_the_disable_rules() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.delete_user(&o.admin.id, &o.owner.id, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.delete_user(&o.member.id, &o.other.id, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.delete_user(&o.owner.id, &o.owner.id, None).unwrap_err().code(), "conflict");
    let elsewhere = core.create_org("Other", Policy::default()).unwrap();
    let stranger = core.create_user(&elsewhere.id, "s@other.test", Role::Member).unwrap();
    assert_eq!(core.delete_user(&o.owner.id, &stranger.id, None).unwrap_err().code(), "not_found");
    core.delete_user(&o.admin.id, &o.member.id, None).unwrap();
    assert_eq!(core.get_user(&o.member.id).unwrap_err().code(), "not_found");
    // A deleted user can no longer act.
    assert_eq!(core.delete_user(&o.member.id, &o.other.id, None).unwrap_err().code(), "unauthenticated");
    let codes: Vec<_> = events(&core, "user.delete").iter().map(|e| (e.outcome, e.code.clone())).collect();
    assert_eq!(
        codes,
        [
            (Outcome::Denied, Some("forbidden".into())),
            (Outcome::Denied, Some("forbidden".into())),
            (Outcome::Denied, Some("conflict".into())),
            (Outcome::Denied, Some("not_found".into())),
            (Outcome::Success, None),
            (Outcome::Denied, Some("unauthenticated".into())),
        ]
    );
}

#[test]
fn delete_user_destroys_the_credentials_keeps_the_trail_and_frees_the_email() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let o = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &o.member.id);
    core.begin_enrollment(&o.other.id).unwrap();
    core.delete_user(&o.owner.id, &o.member.id, None).unwrap();
    core.delete_user(&o.owner.id, &o.other.id, None).unwrap();
    assert_eq!(core.verify(&o.member.id, &code(&core, &secret, 0)).unwrap_err().code(), "not_found");
    assert_eq!(core.verify(&o.member.id, &codes.0[0]).unwrap_err().code(), "not_found");
    drop(core);
    // Nothing of either user is left in the tables: the id stays only in the audit trail.
    let db = rusqlite::Connection::open(&path).unwrap();
    for (table, column) in [("users", "id"), ("recovery_codes", "user_id"), ("reset_log", "actor")] {
        for id in [&o.member.id, &o.other.id] {
            let n: i64 = db
                .query_row(&format!("SELECT count(*) FROM {table} WHERE {column} = ?1"), [id], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{table}");
        }
    }
    drop(db);
    let core = core_at(&path);
    let e = events(&core, "user.delete");
    assert_eq!(e[0].target.as_deref(), Some(&*o.member.id));
    assert_eq!(e[0].detail, json!({ "role": "member", "status": "active", "mfa": "enrolled" }));
    assert!(
        core.audit_events(&AuditQuery { target: Some(o.member.id.clone()), ..Default::default() })
            .unwrap()
            .len()
            >= 3
    );
    assert!(core.verify_audit(None).unwrap().ok);
    let again = core.create_user(&o.id, "MEMBER@acme.test", Role::Member).unwrap();
    assert_ne!(again.id, o.member.id);
    assert_eq!(core.mfa_status(&again.id).unwrap().state, MfaState::NotEnrolled);
}

#[test]
fn a_disabled_owner_can_be_deleted_and_an_active_one_only_when_another_remains() {
    let core = core();
    let o = org(&core, Policy::default());
    let second = core.create_user(&o.id, "second@acme.test", Role::Owner).unwrap();
    core.disable_user(&o.owner.id, &second.id, None).unwrap();
    assert_eq!(core.delete_user(&o.owner.id, &o.owner.id, None).unwrap_err().code(), "conflict");
    core.delete_user(&o.owner.id, &second.id, None).unwrap();
    let third = core.create_user(&o.id, "third@acme.test", Role::Owner).unwrap();
    core.delete_user(&third.id, &o.owner.id, None).unwrap();
    assert_eq!(core.list_users(&o.id).unwrap().iter().filter(|u| u.role == Role::Owner).count(), 1);
}

#[test]
fn rename_user_changes_the_email_and_audits_both() {
    let core = core();
    let o = org(&core, Policy::default());
    let renamed = core.rename_user(&o.admin.id, &o.member.id, "Mia@Acme.test", None).unwrap();
    assert_eq!((renamed.id.as_str(), renamed.email.as_str()), (o.member.id.as_str(), "Mia@Acme.test"));
    assert_eq!(core.find_user_by_email(&o.id, "mia@acme.TEST").unwrap().id, o.member.id);
    assert_eq!(core.find_user_by_email(&o.id, "member@acme.test").unwrap_err().code(), "not_found");
    // A change of case only is the same user's email.
    core.rename_user(&o.admin.id, &o.member.id, "mia@acme.test", None).unwrap();
    assert_eq!(
        core.rename_user(&o.admin.id, &o.member.id, "OTHER@acme.test", None).unwrap_err().code(),
        "conflict"
    );
    assert_eq!(
        core.rename_user(&o.admin.id, &o.member.id, "not an email", None).unwrap_err().code(),
        "invalid_input"
    );
    assert_eq!(
        core.rename_user(&o.admin.id, &o.owner.id, "boss@acme.test", None).unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        core.rename_user(&o.member.id, &o.other.id, "x@acme.test", None).unwrap_err().code(),
        "forbidden"
    );
    // The old email is free again.
    core.create_user(&o.id, "member@acme.test", Role::Member).unwrap();
    let e = events(&core, "user.rename");
    assert_eq!(e[0].detail, json!({ "from": "member@acme.test", "to": "Mia@Acme.test" }));
    assert_eq!(e[1].detail, json!({ "from": "Mia@Acme.test", "to": "mia@acme.test" }));
    let codes: Vec<_> = e[2..].iter().map(|e| e.code.clone().unwrap()).collect();
    assert_eq!(codes, ["conflict", "forbidden", "forbidden"]);
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn delete_and_rename_need_step_up_when_the_org_requires_it() {
    let core = core();
    let o = org(&core, Policy { require_step_up: true, ..Policy::default() });
    let (secret, _) = enroll(&core, &o.admin.id);
    assert_eq!(core.delete_user(&o.admin.id, &o.member.id, None).unwrap_err().code(), "forbidden");
    assert_eq!(
        core.rename_user(&o.admin.id, &o.member.id, "m@acme.test", None).unwrap_err().code(),
        "forbidden"
    );
    core.rename_user(&o.admin.id, &o.member.id, "m@acme.test", Some(&code(&core, &secret, 0))).unwrap();
    advance(&core, 30);
    core.delete_user(&o.admin.id, &o.member.id, Some(&code(&core, &secret, 0))).unwrap();
}

/// A delete and a reset of the same user from two threads: whichever runs second sees the
/// other's effect, and the trail stays intact.
#[test]
fn delete_racing_a_reset_of_the_same_user() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let core = Arc::new(core_at(&dir.path().join("store.db")));
        let o = org(&core, Policy::default());
        enroll(&core, &o.member.id);
        let barrier = Arc::new(Barrier::new(2));
        let (c, b, owner, member) = (core.clone(), barrier.clone(), o.owner.id.clone(), o.member.id.clone());
        let reset = std::thread::spawn(move || {
            b.wait();
            c.reset_mfa(&owner, &member, &ResetOptions::default()).map(|_| ()).map_err(|e| e.code())
        });
        barrier.wait();
        let deleted = core.delete_user(&o.admin.id, &o.member.id, None);
        let reset = reset.join().unwrap();
        assert!(deleted.is_ok(), "{deleted:?}");
        // The reset either ran first and succeeded, or found the user gone.
        assert!(matches!(reset, Ok(()) | Err("not_found")), "{reset:?}");
        assert_eq!(core.get_user(&o.member.id).unwrap_err().code(), "not_found");
        let resets = events(&core, "mfa.reset");
        assert_eq!(resets.len(), 1);
        assert_eq!(resets[0].outcome == Outcome::Success, reset.is_ok());
        let delete_seq = events(&core, "user.delete")[0].seq;
        assert_eq!(resets[0].seq < delete_seq, reset.is_ok());
        assert!(core.verify_audit(None).unwrap().ok);
    }
}

/// Two owners deleting each other at once: exactly one succeeds, the other finds itself gone
/// (`unauthenticated`), and the org keeps an owner.
#[test]
fn two_owners_deleting_each_other() {
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let core = Arc::new(core_at(&dir.path().join("store.db")));
        let o = org(&core, Policy::default());
        let second = core.create_user(&o.id, "second@acme.test", Role::Owner).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let (c, b, first_id, second_id) =
            (core.clone(), barrier.clone(), o.owner.id.clone(), second.id.clone());
        let other = std::thread::spawn(move || {
            b.wait();
            c.delete_user(&second_id, &first_id, None).map_err(|e| e.code())
        });
        barrier.wait();
        let mine = core.delete_user(&o.owner.id, &second.id, None).map_err(|e| e.code());
        let theirs = other.join().unwrap();
        assert!(
            matches!((&mine, &theirs), (Ok(()), Err("unauthenticated")) | (Err("unauthenticated"), Ok(()))),
            "{mine:?} {theirs:?}"
        );
        let owners: Vec<_> =
            core.list_users(&o.id).unwrap().into_iter().filter(|u| u.role == Role::Owner).collect();
        assert_eq!(owners.len(), 1);
        assert!(core.verify_audit(None).unwrap().ok);
    }
}

/// A changed policy and a renamed user are written under new row MACs: the store reopens and
/// reads them, and a later edit behind the core's back is still caught.
#[test]
fn changed_rows_carry_valid_macs_and_stay_protected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let o = org(&core, Policy::default());
    let change = PolicyChanges { reset_limit_per_hour: Some(2), ..Default::default() };
    core.update_policy(&o.owner.id, &o.id, &change, None).unwrap();
    core.rename_user(&o.owner.id, &o.member.id, "mia@acme.test", None).unwrap();
    drop(core);
    let core = core_at(&path);
    assert_eq!(core.get_org(&o.id).unwrap().policy.reset_limit_per_hour, 2);
    assert_eq!(core.find_user_by_email(&o.id, "mia@acme.test").unwrap().id, o.member.id);
    drop(core);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("UPDATE orgs SET reset_limit_per_hour = 1000", []).unwrap();
    db.execute(
        "UPDATE users SET email = 'x@acme.test', email_key = 'x@acme.test' WHERE id = ?1",
        [&o.member.id],
    )
    .unwrap();
    drop(db);
    let core = core_at(&path);
    assert_eq!(core.get_org(&o.id).unwrap_err().code(), "storage");
    assert_eq!(core.get_user(&o.member.id).unwrap_err().code(), "storage");
}
