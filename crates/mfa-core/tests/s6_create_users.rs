//! docs/directory.md, in bulk: `create_users` checks and audits each entry as `create_user` does, in one
//! transaction, and a refused entry leaves the others created.

mod common;

use common::*;
use mfa_core::{AuditQuery, MfaState, Outcome, Policy, Role};

#[test]
fn s6_create_users_creates_each_good_entry_and_reports_each_bad_one() {
    let core = core();
    let org = core.create_org("Acme", Policy { mfa_required: true, ..Policy::default() }).unwrap();
    core.create_user(&org.id, "taken@acme.test", Role::Member).unwrap();
    let before = audit_count(&core);
    let entries = [
        ("ann@acme.test", Role::Owner),
        ("not-an-email", Role::Member),
        ("TAKEN@acme.test", Role::Member),
        ("bob@acme.test", Role::Admin),
        ("Bob@Acme.test", Role::Member),
    ];
    let outcomes = core.create_users(&org.id, &entries).unwrap();
    let codes: Vec<&str> = outcomes.iter().map(|o| o.as_ref().map_or_else(|e| e.code(), |_| "ok")).collect();
    assert_eq!(codes, ["ok", "invalid_input", "conflict", "ok", "conflict"]);
    let ann = outcomes[0].as_ref().unwrap();
    assert_eq!(
        (ann.email.as_str(), ann.role, ann.org.as_str()),
        ("ann@acme.test", Role::Owner, org.id.as_str())
    );
    assert_eq!(core.mfa_status(&ann.id).unwrap().state, MfaState::EnrollmentRequired);
    assert_eq!(core.find_user_by_email(&org.id, "BOB@acme.test").unwrap().role, Role::Admin);

    // As one `create_user` each: two successes and two audited conflicts; the malformed email
    // names nobody and is not audited.
    let events = core.audit_events(&AuditQuery { after_seq: before, ..AuditQuery::default() }).unwrap();
    let seen: Vec<(&str, Outcome, Option<&str>)> =
        events.iter().map(|e| (e.action.as_str(), e.outcome, e.code.as_deref())).collect();
    assert_eq!(
        seen,
        [
            ("user.create", Outcome::Success, None),
            ("user.create", Outcome::Denied, Some("conflict")),
            ("user.create", Outcome::Success, None),
            ("user.create", Outcome::Denied, Some("conflict")),
        ]
    );
    assert_eq!(events[0].target.as_deref(), Some(ann.id.as_str()));
    assert_eq!(events[0].detail["role"], "owner");
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn s6_create_users_refuses_a_bad_call_as_a_whole() {
    let core = core();
    let org = core.create_org("Acme", Policy::default()).unwrap();
    let none: [(&str, Role); 0] = [];
    assert!(core.create_users(&org.id, &none).unwrap().is_empty());
    let one = [("a@acme.test", Role::Member)];
    assert_eq!(core.create_users("org", &one).unwrap_err().code(), "invalid_input");
    let too_many: Vec<(String, Role)> =
        (0..=mfa_core::MAX_BULK_TARGETS).map(|i| (format!("u{i}@acme.test"), Role::Member)).collect();
    assert_eq!(core.create_users(&org.id, &too_many).unwrap_err().code(), "invalid_input");
    assert!(core.list_users(&org.id).unwrap().is_empty());
    // A missing org is each entry's `not_found`, audited as `create_user` audits it.
    let ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    let outcomes = core.create_users(ghost, &one).unwrap();
    assert_eq!(outcomes[0].as_ref().unwrap_err().code(), "not_found");
}
