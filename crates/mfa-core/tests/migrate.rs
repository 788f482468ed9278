//! `Core::copy_to`: a whole store copied into an empty one (file to file here; the PostgreSQL
//! directions run in mfa-cli's tests/postgres.rs against a real server). The copy keeps the
//! retired chain keys of a rotated store, refuses a source whose rows or chain do not verify,
//! and leaves no rows behind when it fails.

mod common;

use common::*;
use mfa_core::{CopyProgress, CopyReport, Core, OpenOptions, Policy, ResetOptions};

const NEW_KEY: [u8; 32] = [8; 32];

fn open(path: &std::path::Path, key: &[u8]) -> Core {
    Core::open(path, key, OpenOptions { manual_clock: Some(T0 + 600), ..Default::default() }).unwrap()
}

/// Copies `core` to `dest`, gathering the progress reports.
fn copy(core: &Core, dest: &std::path::Path) -> (mfa_core::Result<CopyReport>, Vec<CopyProgress>) {
    let mut seen = Vec::new();
    let result = core.copy_to(dest, &mut |p| seen.push(*p));
    (result, seen)
}

#[test]
fn a_rotated_store_is_copied_whole_and_verifies_from_its_first_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let org = org(&core, Policy { reset_limit_per_hour: 1, ..Policy::default() });
    let (secret, _) = enroll(&core, &org.member.id);
    enroll(&core, &org.admin.id);
    let before_rotation = core.audit_checkpoint().unwrap();
    core.rotate_key(&NEW_KEY).unwrap();
    drop(core);

    let core = open(&path, &NEW_KEY);
    let (_, other_codes) = enroll(&core, &org.other.id);
    core.reset_mfa(&org.owner.id, &org.admin.id, &ResetOptions::default()).unwrap();
    let pending = core.begin_enrollment(&org.admin.id).unwrap();
    let head = core.audit_checkpoint().unwrap();

    let dest = dir.path().join("copy.db");
    let (report, seen) = copy(&core, &dest);
    let report = report.unwrap();
    assert_eq!((report.orgs, report.users, report.recovery_codes, report.reset_log), (1, 4, 10, 1));
    assert_eq!((report.audit_events, report.head.clone()), (head.seq, head.clone()));
    let steps: Vec<&str> = seen.iter().map(|p| p.step).collect();
    let mut order = steps.clone();
    order.dedup();
    assert_eq!(order, ["verify", "orgs", "users", "recovery_codes", "reset_log", "audit", "check"]);
    let last_of = |step: &str| seen.iter().rev().find(|p| p.step == step).unwrap();
    assert_eq!((last_of("audit").done, last_of("audit").total), (head.seq, head.seq));
    assert_eq!(last_of("users").done, 4);

    // The copy opens with the new key only, and its whole chain verifies: the events before the
    // rotation need the retired chain key, which was copied with the meta entries.
    assert_eq!(
        Core::open(&dest, &KEY, OpenOptions::default()).unwrap_err().to_string(),
        "invalid input: key does not match this store"
    );
    let copied = open(&dest, &NEW_KEY);
    let verified = copied.verify_audit(Some(&before_rotation)).unwrap();
    assert!(verified.ok && verified.checked == head.seq, "{verified:?}");
    assert_eq!(copied.audit_checkpoint().unwrap(), head);
    assert_eq!(copied.info().unwrap().engine, "sqlite");
    // Users sign in as before: the member with the app, the other member with a recovery code,
    // and the admin's pending enrollment is still pending with the same secret.
    copied.verify(&org.member.id, &code(&copied, &secret, 0)).unwrap();
    copied.verify(&org.other.id, &other_codes.0[0]).unwrap();
    copied.confirm_enrollment(&org.admin.id, &code(&copied, &pending.secret, 0)).unwrap();
    assert_eq!(
        copied.list_users(&org.id).unwrap(),
        core.list_users(&org.id).unwrap(),
        "users are the same, ids, emails, roles and epochs"
    );
    // The owner's reset before the copy still counts against the limit of one an hour.
    let limited = copied.reset_mfa(&org.owner.id, &org.other.id, &ResetOptions::default()).unwrap_err();
    assert_eq!(limited.code(), "rate_limited");

    // Copying again into the copy is refused, and changes nothing.
    let now = copied.audit_checkpoint().unwrap();
    drop(copied);
    let (again, _) = copy(&core, &dest);
    assert_eq!(again.unwrap_err().code(), "conflict");
    assert_eq!(open(&dest, &NEW_KEY).audit_checkpoint().unwrap(), now);
}

/// Edits the store file behind the core's back, as someone without the key would.
fn tamper(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn a_source_that_does_not_verify_is_refused_and_no_row_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let org = org(&core_at(&path), Policy::default());
    let cases = [
        // A user row changed without the key: found while copying users, once the destination
        // was created and the orgs written, which are rolled back.
        (format!("UPDATE users SET role = 'owner' WHERE id = '{}'", org.member.id), "tampered", true),
        // An audit event edited: found before the destination is touched.
        ("UPDATE audit SET reason = 'edited' WHERE seq = 2".to_string(), "does not verify", false),
    ];
    for (n, (sql, why, created)) in cases.iter().enumerate() {
        let copy_path = dir.path().join(format!("store-{n}.db"));
        std::fs::copy(&path, &copy_path).unwrap();
        tamper(&copy_path, sql);
        let dest = dir.path().join(format!("copy-{n}.db"));
        let err = copy(&open(&copy_path, &KEY), &dest).0.unwrap_err();
        assert_eq!(err.code(), "storage", "{err}");
        assert!(err.to_string().contains(why), "{err}");
        assert_eq!(dest.exists(), *created, "{sql}");
        if *created {
            let info = open(&dest, &KEY).info().unwrap();
            assert_eq!((info.orgs, info.users.total, info.audit_events), (0, 0, 0), "{sql}");
        }
    }
}

#[test]
fn a_copy_needs_a_destination_that_lasts() {
    let core = core();
    for bad in [":memory:", ""] {
        assert_eq!(core.copy_to(bad, &mut |_| {}).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
}
