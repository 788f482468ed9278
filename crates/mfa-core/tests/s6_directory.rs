//! docs/directory.md: bootstrap calls and role/status changes under the actor rules.

mod common;

use common::*;
use mfa_core::{AuditQuery, Outcome, Policy, Role, UserStatus};

#[test]
fn s6_create_org_and_user_validate_their_input() {
    let core = core();
    for bad in ["", "   ", "a:b", "x\0", &"n".repeat(201)] {
        assert_eq!(core.create_org(bad, Policy::default()).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    for policy in [
        Policy { enrollment_window: 0, ..Policy::default() },
        Policy { enrollment_window: 365 * 86400 + 1, ..Policy::default() },
        Policy { reset_limit_per_hour: 0, ..Policy::default() },
        Policy { max_failed_verifications: 0, ..Policy::default() },
    ] {
        assert_eq!(core.create_org("Acme", policy).unwrap_err().code(), "invalid_input");
    }
    let org = core.create_org("Acme", Policy::default()).unwrap();
    assert_eq!(org.policy, Policy::default());
    let long = format!("{}@x.test", "a".repeat(250));
    for bad in ["", "nobody", "a b@c.test", "a@b\0", &long] {
        assert_eq!(core.create_user(&org.id, bad, Role::Member).unwrap_err().code(), "invalid_input");
    }
    assert_eq!(core.create_user("org", "a@b.test", Role::Member).unwrap_err().code(), "invalid_input");
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(core.create_user(ghost, "a@b.test", Role::Member).unwrap_err().code(), "not_found");
    let u = core.create_user(&org.id, "Ann@Acme.test", Role::Admin).unwrap();
    assert_eq!(
        (u.email.as_str(), u.role, u.status, u.credential_epoch),
        ("Ann@Acme.test", Role::Admin, UserStatus::Active, 0)
    );
    assert_eq!(u.id, u.id.to_lowercase());
    assert_eq!(uuid_version(&u.id), 7);
}

fn uuid_version(id: &str) -> u32 {
    id[14..15].parse().unwrap()
}

#[test]
fn s6_emails_are_unique_per_org_ignoring_case() {
    let core = core();
    let a = core.create_org("A", Policy::default()).unwrap();
    let b = core.create_org("B", Policy::default()).unwrap();
    core.create_user(&a.id, "ann@x.test", Role::Member).unwrap();
    assert_eq!(core.create_user(&a.id, "ANN@X.test", Role::Owner).unwrap_err().code(), "conflict");
    assert!(core.create_user(&b.id, "ann@x.test", Role::Member).is_ok());
    assert_eq!(core.find_user_by_email(&a.id, "Ann@X.TEST").unwrap().email, "ann@x.test");
}

#[test]
fn s6_get_and_list_users() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.get_user(&o.admin.id.to_uppercase()).unwrap(), o.admin);
    let emails: Vec<String> = core.list_users(&o.id).unwrap().into_iter().map(|u| u.email).collect();
    assert_eq!(emails, ["admin@acme.test", "member@acme.test", "other@acme.test", "owner@acme.test"]);
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(core.get_user(ghost).unwrap_err().code(), "not_found");
    assert_eq!(core.list_users(ghost).unwrap_err().code(), "not_found");
    assert_eq!(core.list_orgs().unwrap().len(), 1);
}

#[test]
fn s6_role_changes_follow_the_reset_rules_and_only_owners_grant_owner() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.set_role(&o.member.id, &o.other.id, Role::Admin, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.set_role(&o.admin.id, &o.owner.id, Role::Member, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.set_role(&o.admin.id, &o.member.id, Role::Owner, None).unwrap_err().code(), "forbidden");
    assert_eq!(core.set_role(&o.admin.id, &o.member.id, Role::Admin, None).unwrap().role, Role::Admin);
    assert_eq!(core.set_role(&o.owner.id, &o.member.id, Role::Owner, None).unwrap().role, Role::Owner);
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(core.set_role(ghost, &o.member.id, Role::Admin, None).unwrap_err().code(), "unauthenticated");
    assert_eq!(core.set_role(&o.owner.id, ghost, Role::Admin, None).unwrap_err().code(), "not_found");
}

#[test]
fn s6_the_last_active_owner_cannot_be_demoted_or_disabled() {
    let core = core();
    let o = org(&core, Policy::default());
    assert_eq!(core.set_role(&o.owner.id, &o.owner.id, Role::Admin, None).unwrap_err().code(), "conflict");
    assert_eq!(core.disable_user(&o.owner.id, &o.owner.id, None).unwrap_err().code(), "conflict");
    let second = core.set_role(&o.owner.id, &o.admin.id, Role::Owner, None).unwrap();
    assert_eq!(core.disable_user(&second.id, &o.owner.id, None).unwrap().status, UserStatus::Disabled);
    // The remaining active owner is now the last one.
    assert_eq!(core.set_role(&second.id, &second.id, Role::Member, None).unwrap_err().code(), "conflict");
    assert_eq!(core.enable_user(&second.id, &o.owner.id).unwrap().status, UserStatus::Active);
    assert_eq!(core.set_role(&second.id, &second.id, Role::Member, None).unwrap().role, Role::Member);
}

#[test]
fn s6_disabled_actors_cannot_act_and_changes_are_audited() {
    let core = core();
    let o = org(&core, Policy::default());
    let before = audit_count(&core);
    core.disable_user(&o.owner.id, &o.admin.id, None).unwrap();
    assert_eq!(core.enable_user(&o.admin.id, &o.admin.id).unwrap_err().code(), "unauthenticated");
    assert_eq!(core.enable_user(&o.member.id, &o.admin.id).unwrap_err().code(), "forbidden");
    core.enable_user(&o.owner.id, &o.admin.id).unwrap();
    core.set_role(&o.admin.id, &o.member.id, Role::Admin, None).unwrap();
    let events = core.audit_events(&AuditQuery { after_seq: before, ..Default::default() }).unwrap();
    let summary: Vec<(&str, Outcome, Option<&str>)> =
        events.iter().map(|e| (e.action.as_str(), e.outcome, e.code.as_deref())).collect();
    assert_eq!(
        summary,
        [
            ("user.disable", Outcome::Success, None),
            ("user.enable", Outcome::Denied, Some("unauthenticated")),
            ("user.enable", Outcome::Denied, Some("forbidden")),
            ("user.enable", Outcome::Success, None),
            ("user.role", Outcome::Success, None),
        ]
    );
    assert_eq!(events[4].detail["from"], "member");
    assert_eq!(events[4].detail["to"], "admin");
}

/// Rule 1 covers the step-up proof even when no step-up would read it: a NUL byte is
/// `invalid_input`, and nothing is changed or audited.
#[test]
fn s6_a_malformed_actor_proof_is_invalid_input_without_step_up() {
    let core = core();
    let Org { owner, member, .. } = org(&core, Policy::default());
    let before = audit_count(&core);
    let err = core.set_role(&owner.id, &member.id, Role::Admin, Some("123456\0")).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    let err = core.disable_user(&owner.id, &member.id, Some("\0")).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert_eq!(core.get_user(&member.id).unwrap().role, Role::Member);
    assert_eq!(core.get_user(&member.id).unwrap().status, UserStatus::Active);
    assert_eq!(audit_count(&core), before);
}
