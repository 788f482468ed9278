//! docs/audit.md: a handle given an audit origin records it in the detail of every event it
//! appends, under the MAC, and changes nothing else.

mod common;

use common::*;
use mfa_core::{AuditOrigin, AuditQuery, Policy, ResetOptions, Role};

#[test]
fn s7_every_event_of_a_handle_names_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mfa.db");
    let plain = core_at(&path);
    let org = org(&plain, Policy::default());
    let (_, _) = enroll(&plain, &org.member.id);
    let before = audit_count(&plain);
    drop(plain);

    let origin = AuditOrigin::new("mfa-admin", "alice").unwrap();
    let core = core_at(&path).with_audit_origin(origin);
    core.reset_mfa(&org.admin.id, &org.member.id, &ResetOptions::default()).unwrap();
    // A refusal too, and a bootstrap call without an actor.
    core.reset_mfa(&org.member.id, &org.owner.id, &ResetOptions::default()).unwrap_err();
    core.create_user(&org.id, "new@acme.test", Role::Member).unwrap();

    let events = core.audit_events(&AuditQuery { after_seq: before, ..AuditQuery::default() }).unwrap();
    assert_eq!(events.len(), 3);
    for event in &events {
        assert_eq!(event.detail["via"], serde_json::json!({ "tool": "mfa-admin", "os_user": "alice" }));
    }
    // The actor rules are untouched: the actor is still the user named.
    assert_eq!(events[0].actor.as_deref(), Some(org.admin.id.as_str()));
    assert_eq!(events[0].detail["previous_state"], "enrolled", "the action's own detail is kept");
    assert!(core.verify_audit(None).unwrap().ok);
    // Events appended before, without an origin, have none.
    let earlier = core.audit_events(&AuditQuery::default()).unwrap();
    assert!(earlier[0].detail.get("via").is_none());
}

#[test]
fn s7_audit_origin_fields_are_checked() {
    assert!(AuditOrigin::new("mfa-admin", "alice").is_ok());
    assert!(AuditOrigin::new("mfa-admin", &"a".repeat(mfa_core::MAX_LABEL_CHARS)).is_ok());
    for (tool, user) in [
        ("", "alice"),
        ("mfa-admin", ""),
        ("mfa-admin", "   "),
        ("mfa-admin", "al\x1b[31mice"),
        ("mfa-admin", "al\nice"),
        ("mfa-admin", "ali\u{202e}ce"),
        ("mfa-admin", "a\0"),
    ] {
        assert_eq!(AuditOrigin::new(tool, user).unwrap_err().code(), "invalid_input", "{tool:?} {user:?}");
    }
    let long = "a".repeat(mfa_core::MAX_LABEL_CHARS + 1);
    assert_eq!(AuditOrigin::new("mfa-admin", &long).unwrap_err().code(), "invalid_input");
}
