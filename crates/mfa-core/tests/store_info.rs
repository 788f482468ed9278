//! `Core::info`: the counts, the audit head, the file size and the key check, and nothing
//! secret.

mod common;

use common::*;
use mfa_core::{Policy, ResetOptions, Role, UserCounts};

#[test]
fn info_counts_orgs_users_by_state_and_events_and_gives_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let empty = core.info().unwrap();
    assert_eq!((empty.orgs, empty.users, empty.audit_events), (0, UserCounts::default(), 0));
    assert_eq!((empty.audit_head.seq, empty.audit_head.mac.as_str()), (0, &*"0".repeat(64)));
    assert!(empty.key_check_ok);

    let o = org(&core, Policy { mfa_required: true, enrollment_window: 600, ..Policy::default() });
    core.create_org("Other", Policy::default()).unwrap();
    let (secret, _) = enroll(&core, &o.member.id);
    core.verify(&o.member.id, &code(&core, &secret, 0)).unwrap();
    core.disable_user(&o.owner.id, &o.admin.id, None).unwrap();
    let plain = core.create_org("Plain", Policy::default()).unwrap();
    let free = core.create_user(&plain.id, "free@plain.test", Role::Owner).unwrap();
    advance(&core, 600);
    // The owner, the admin and `other` are past their deadline now; the reset gives the
    // member a fresh one.
    core.reset_mfa(&o.owner.id, &o.member.id, &ResetOptions::default()).unwrap();

    let info = core.info().unwrap();
    assert_eq!(info.orgs, 3);
    assert_eq!(
        info.users,
        UserCounts {
            total: 5,
            not_enrolled: 1,
            enrollment_required: 1,
            locked_out: 3,
            enrolled: 0,
            disabled: 1
        }
    );
    let head = core.audit_checkpoint().unwrap();
    assert_eq!(info.audit_events, head.seq);
    assert_eq!(info.audit_head, head);
    assert!(core.verify_audit(Some(&info.audit_head)).unwrap().ok);
    assert_eq!(info.file_size, Some(std::fs::metadata(&path).unwrap().len()));
    assert!(info.key_check_ok);

    enroll(&core, &free.id);
    let later = core.info().unwrap();
    assert_eq!((later.users.enrolled, later.users.not_enrolled, later.users.locked_out), (1, 0, 3));

    // JSON carries no secret: ids, counts and the public head only.
    let json = serde_json::to_string(&later).unwrap();
    assert!(!json.contains(&secret) && !json.to_lowercase().contains("key\":"), "{json}");

    let memory = common::core().info().unwrap();
    assert_eq!((memory.file_size, memory.key_check_ok), (None, true));
}

#[test]
fn info_reports_a_key_check_that_no_longer_matches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    core.create_org("Acme", Policy::default()).unwrap();
    // Another key's store copied over this one while the handle is open.
    let other_path = dir.path().join("other.db");
    drop(mfa_core::Core::open(&other_path, &[9; 32], Default::default()).unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("ATTACH ?1 AS other", [other_path.to_str().unwrap()]).unwrap();
    db.execute("UPDATE meta SET value = (SELECT value FROM other.meta WHERE key = 'key_check') WHERE key = 'key_check'", [])
        .unwrap();
    drop(db);
    assert!(!core.info().unwrap().key_check_ok);
}
