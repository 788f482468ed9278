//! docs/key-rotation.md: moving a store to a new master key. The trail verifies end to end with
//! the new key (earlier checkpoints too), TOTP keeps working, recovery codes are invalidated,
//! the old key and the rotating handle are refused, rotations chain, and row MACs still catch
//! tampering under the new key.

mod common;

use common::*;
use mfa_core::{AuditQuery, Core, MfaState, OpenOptions, Policy, ResetOptions};

const NEW_KEY: [u8; 32] = [8; 32];
const THIRD_KEY: [u8; 32] = [6; 32];

fn open(path: &std::path::Path, key: &[u8]) -> mfa_core::Result<Core> {
    Core::open(path, key, OpenOptions { manual_clock: Some(T0 + 600), ..Default::default() })
}

#[test]
fn rotation_moves_the_store_to_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let org = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &org.member.id);
    // A pending enrollment: its sealed secret must move too.
    let pending = core.begin_enrollment(&org.other.id).unwrap().secret.clone();
    let before = core.audit_checkpoint().unwrap();

    assert_eq!(core.rotate_key(&KEY).unwrap_err().code(), "invalid_input", "the current key");
    assert_eq!(core.rotate_key(&[8; 31]).unwrap_err().code(), "invalid_input");
    let head = core.rotate_key(&NEW_KEY).unwrap();
    assert_eq!(head.seq, before.seq + 1);
    // The rotating handle is retired: its keys are gone from the store.
    let refused = core.get_user(&org.member.id).unwrap_err();
    assert_eq!(refused.code(), "invalid_input");
    assert!(refused.to_string().contains("rotated"), "{refused}");
    assert_eq!(core.rotate_key(&THIRD_KEY).unwrap_err().code(), "invalid_input");
    assert_eq!(core.backup(dir.path().join("copy.db")).unwrap_err().code(), "invalid_input");
    assert_eq!(core.verify_audit(None).unwrap_err().code(), "invalid_input");
    drop(core);

    let old = open(&path, &KEY).unwrap_err();
    assert_eq!(old.code(), "invalid_input");
    assert!(old.to_string().contains("key does not match"), "{old}");

    let core = open(&path, &NEW_KEY).unwrap();
    assert!(core.info().unwrap().key_check_ok);
    let report = core.verify_audit(Some(&before)).unwrap();
    assert!(report.ok && report.checked == head.seq, "{report:?}");
    assert!(core.verify_audit(Some(&head)).unwrap().ok);
    let events =
        core.audit_events(&AuditQuery { action: Some("key.rotate".into()), ..Default::default() }).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].detail["secrets_resealed"], 2);
    assert_eq!(events[0].detail["recovery_codes_invalidated"], codes.0.len());
    assert_eq!(events[0].detail["users_losing_recovery_codes"], 1);
    assert_eq!(events[0].detail["epoch"], 1);

    // TOTP works under the new key; recovery codes were invalidated and the user can see it.
    core.verify(&org.member.id, &code(&core, &secret, 0)).unwrap();
    assert_eq!(core.mfa_status(&org.member.id).unwrap().recovery_codes_remaining, 0);
    advance(&core, 30);
    assert_eq!(core.verify(&org.member.id, &codes.0[0]).unwrap_err().code(), "invalid_code");
    let fresh = core.regenerate_recovery_codes(&org.member.id, &code(&core, &secret, 0)).unwrap();
    advance(&core, 30);
    core.verify(&org.member.id, &fresh.0[0]).unwrap();
    core.confirm_enrollment(&org.other.id, &code(&core, &pending, 0)).unwrap();
    assert_eq!(core.mfa_status(&org.other.id).unwrap().state, MfaState::Enrolled);
    core.reset_mfa(&org.owner.id, &org.other.id, &ResetOptions::default()).unwrap();
    let after = core.audit_checkpoint().unwrap();
    assert!(core.verify_audit(Some(&before)).unwrap().ok);
    assert!(core.verify_audit(Some(&after)).unwrap().ok);

    // A second rotation keeps both earlier epochs verifiable.
    core.rotate_key(&THIRD_KEY).unwrap();
    drop(core);
    assert_eq!(open(&path, &NEW_KEY).unwrap_err().code(), "invalid_input");
    let core = open(&path, &THIRD_KEY).unwrap();
    for cp in [&before, &head, &after] {
        let report = core.verify_audit(Some(cp)).unwrap();
        assert!(report.ok, "{cp:?}: {report:?}");
    }
    let rotations =
        core.audit_events(&AuditQuery { action: Some("key.rotate".into()), ..Default::default() }).unwrap();
    assert_eq!(rotations.iter().map(|e| e.detail["epoch"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    // Each open restarts the manual clock: move past the steps already used.
    core.set_time(T0 + 3_600).unwrap();
    core.verify(&org.member.id, &code(&core, &secret, 0)).unwrap();
    assert!(core.verify_audit(None).unwrap().ok);
}

#[test]
fn a_tampered_trail_or_row_is_still_caught_after_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let org = org(&core, Policy::default());
    enroll(&core, &org.member.id);
    let rotate_seq = core.rotate_key(&NEW_KEY).unwrap().seq;
    drop(core);
    let core = open(&path, &NEW_KEY).unwrap();
    core.create_user(&org.id, "late@acme.test", mfa_core::Role::Member).unwrap();
    drop(core);

    let sql = |edit: &str| rusqlite::Connection::open(&path).unwrap().execute_batch(edit).unwrap();
    // A row changed without the key: a member made owner.
    sql(&format!("UPDATE users SET role = 'owner' WHERE id = '{}'", org.member.id));
    let core = open(&path, &NEW_KEY).unwrap();
    let err = core.get_user(&org.member.id).unwrap_err();
    assert!(err.code() == "storage" && err.to_string().contains("tampered"), "{err}");
    drop(core);

    // An event of the old epoch, then one of the new, edited.
    for seq in [2, rotate_seq + 1] {
        let copy = dir.path().join(format!("copy{seq}.db"));
        std::fs::copy(&path, &copy).unwrap();
        rusqlite::Connection::open(&copy)
            .unwrap()
            .execute_batch(&format!("UPDATE audit SET at = at + 1 WHERE seq = {seq}"))
            .unwrap();
        let report = open(&copy, &NEW_KEY).unwrap().verify_audit(None).unwrap();
        assert_eq!(report.first_bad_seq, Some(seq), "{report:?}");
    }
    // The sealed list of retired keys is authenticated by the new key.
    sql("UPDATE meta SET value = x'00' || value WHERE key = 'retired_audit_keys'");
    let err = open(&path, &NEW_KEY).unwrap().verify_audit(None).unwrap_err();
    assert_eq!(err.code(), "storage");
}

#[test]
fn another_handle_on_the_old_key_cannot_write_after_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let org = org(&core, Policy::default());
    let stale = core_at(&path);
    core.rotate_key(&NEW_KEY).unwrap();
    let err = stale.create_user(&org.id, "stale@acme.test", mfa_core::Role::Member).unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err}");
    drop((core, stale));
    let core = open(&path, &NEW_KEY).unwrap();
    assert!(core.find_user_by_email(&org.id, "stale@acme.test").is_err());
    assert!(core.verify_audit(None).unwrap().ok);
}
