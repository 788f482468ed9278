//! Operating a store for years works on PostgreSQL as on a file (docs/key-rotation.md,
//! docs/directory.md): a key rotation moves every row and keeps the trail verifiable, and a
//! handle still on the old key cannot write afterwards.

use mfa_core::{AuditQuery, Core, MfaState, OpenOptions, Policy, PolicyChanges, Role};

use crate::common::*;
use crate::server::{KEY, Schema};

const NEW_KEY: [u8; 32] = [8; 32];

fn open(url: &str, key: &[u8]) -> mfa_core::Result<Core> {
    Core::open(url, key, OpenOptions { manual_clock: Some(T0 + 600), ..Default::default() })
}

pub fn key_rotation_policy_and_users(base: &str) {
    let schema = Schema::new(base, "lifecycle");
    let core = schema.core();
    let org = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &org.member.id);
    let before = core.audit_checkpoint().unwrap();
    // A second handle on the old key, as another host would hold.
    let stale = schema.core();

    core.update_policy(
        &org.owner.id,
        &org.id,
        &PolicyChanges { reset_limit_per_hour: Some(3), ..Default::default() },
        None,
    )
    .unwrap();
    core.rename_user(&org.owner.id, &org.other.id, "renamed@acme.test", None).unwrap();
    let head = core.rotate_key(&NEW_KEY).unwrap();
    assert_eq!(
        core.get_user(&org.member.id).unwrap_err().code(),
        "invalid_input",
        "the rotating handle is retired"
    );
    let err = stale.create_user(&org.id, "stale@acme.test", Role::Member).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "a handle on the old key: {err}");
    drop((core, stale));

    assert_eq!(open(&schema.url, &KEY).unwrap_err().code(), "invalid_input", "the old key is refused");
    let core = open(&schema.url, &NEW_KEY).unwrap();
    assert!(core.verify_audit(Some(&before)).unwrap().ok);
    assert!(core.verify_audit(Some(&head)).unwrap().ok);
    assert_eq!(core.get_org(&org.id).unwrap().policy.reset_limit_per_hour, 3);
    assert_eq!(core.get_user(&org.other.id).unwrap().email, "renamed@acme.test");
    assert!(core.find_user_by_email(&org.id, "stale@acme.test").is_err());
    // TOTP works under the new key; recovery codes were invalidated.
    core.verify(&org.member.id, &code(&core, &secret, 0)).unwrap();
    advance(&core, 30);
    assert_eq!(core.verify(&org.member.id, &codes.0[0]).unwrap_err().code(), "invalid_code");
    assert_eq!(core.mfa_status(&org.member.id).unwrap().state, MfaState::Enrolled);

    core.delete_user(&org.owner.id, &org.member.id, None).unwrap();
    assert_eq!(core.get_user(&org.member.id).unwrap_err().code(), "not_found");
    core.create_user(&org.id, &org.member.email, Role::Member).unwrap();
    let deleted =
        core.audit_events(&AuditQuery { action: Some("user.delete".into()), ..Default::default() }).unwrap();
    assert_eq!(deleted[0].target.as_deref(), Some(org.member.id.as_str()), "the trail keeps the id");
    assert!(core.verify_audit(None).unwrap().ok);
}
