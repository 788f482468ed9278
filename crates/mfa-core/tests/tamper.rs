//! docs/audit.md: tampering with the file through plain SQL is found, at the first bad seq.

mod common;

use common::*;
use mfa_core::{Core, Policy, ResetOptions};

/// A store with a few dozen events, plus a plain SQLite connection to the same file.
fn tampered(edit: &str) -> (tempfile::TempDir, Core, mfa_core::Checkpoint) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    let o = org(&core, Policy::default());
    for user in [&o.member, &o.other] {
        enroll(&core, &user.id);
        core.reset_mfa(&o.admin.id, &user.id, &ResetOptions::default()).unwrap();
    }
    let checkpoint = core.audit_checkpoint().unwrap();
    assert_eq!(checkpoint.seq, 11);
    assert!(core.verify_audit(Some(&checkpoint)).unwrap().ok);
    rusqlite::Connection::open(&path).unwrap().execute_batch(edit).unwrap();
    (dir, core, checkpoint)
}

fn first_bad(edit: &str) -> Option<u64> {
    let (_dir, core, _) = tampered(edit);
    let report = core.verify_audit(None).unwrap();
    assert_eq!(report.ok, report.first_bad_seq.is_none());
    report.first_bad_seq
}

#[test]
fn s7_tamper_edited_field_is_found() {
    assert_eq!(first_bad("UPDATE audit SET reason = 'nothing to see' WHERE seq = 7"), Some(7));
    assert_eq!(first_bad("UPDATE audit SET at = at + 1 WHERE seq = 4"), Some(4));
    assert_eq!(first_bad("UPDATE audit SET outcome = 'denied' WHERE seq = 9"), Some(9));
    assert_eq!(first_bad("UPDATE audit SET detail = '{ }' WHERE seq = 2"), Some(2));
    assert_eq!(first_bad("UPDATE audit SET actor = NULL WHERE seq = 8"), Some(8));
}

#[test]
fn s7_tamper_deleted_row_is_found() {
    assert_eq!(first_bad("DELETE FROM audit WHERE seq = 6"), Some(6));
    assert_eq!(first_bad("DELETE FROM audit WHERE seq = 1"), Some(1));
}

#[test]
fn s7_tamper_swapped_rows_are_found() {
    // Swap the content of rows 5 and 6, MACs included, keeping the seqs in place.
    let swap = "CREATE TEMP TABLE s AS SELECT * FROM audit WHERE seq IN (5, 6);
        UPDATE audit SET (at, actor, target, org, action, outcome, code, reason, detail, mac) =
          (SELECT at, actor, target, org, action, outcome, code, reason, detail, mac FROM s
           WHERE s.seq = 11 - audit.seq) WHERE seq IN (5, 6);";
    assert_eq!(first_bad(swap), Some(5));
    // Renumber them instead: the chain breaks too.
    assert_eq!(
        first_bad(
            "UPDATE audit SET seq = -5 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -5;"
        ),
        Some(5)
    );
}

#[test]
fn s7_tamper_inserted_row_is_found() {
    let copy_of_3 = "INSERT INTO audit SELECT 12, at, actor, target, org, action, outcome, code, reason, detail, mac FROM audit WHERE seq = 3";
    assert_eq!(first_bad(copy_of_3), Some(12));
    let shift = "UPDATE audit SET seq = seq + 100 WHERE seq >= 4; UPDATE audit SET seq = seq - 99 WHERE seq >= 104;
        INSERT INTO audit SELECT 4, at, actor, target, org, action, outcome, code, reason, detail, mac FROM audit WHERE seq = 3;";
    assert_eq!(first_bad(shift), Some(4));
}

#[test]
fn s7_tamper_truncated_tail_is_found_against_a_checkpoint() {
    let (_dir, core, checkpoint) = tampered("DELETE FROM audit WHERE seq > 8");
    // The chain that is left is internally whole...
    let alone = core.verify_audit(None).unwrap();
    assert_eq!((alone.ok, alone.checked), (true, 8));
    // ...but the stored checkpoint knows there was more.
    let against = core.verify_audit(Some(&checkpoint)).unwrap();
    assert_eq!((against.ok, against.checked, against.first_bad_seq), (false, 8, Some(9)));
}

#[test]
fn s7_tamper_restored_older_copy_is_found_against_a_checkpoint() {
    // An older copy that then diverged: same length, different history.
    let (_dir, core, checkpoint) = tampered("DELETE FROM audit WHERE seq > 10");
    let o = core.list_orgs().unwrap().remove(0);
    core.create_user(&o.id, "late@acme.test", mfa_core::Role::Member).unwrap();
    assert!(core.verify_audit(None).unwrap().ok);
    assert_eq!(core.verify_audit(Some(&checkpoint)).unwrap().first_bad_seq, Some(11));
}

#[test]
fn s7_tamper_wrong_column_types_are_found_not_storage_errors() {
    for (edit, seq) in [
        ("UPDATE audit SET at = 'x' WHERE seq = 4", 4),
        ("UPDATE audit SET mac = hex(mac) WHERE seq = 6", 6),
        ("UPDATE audit SET mac = CAST(mac AS TEXT) WHERE seq = 2", 2),
        ("UPDATE audit SET actor = 42 WHERE seq = 8", 8),
        ("UPDATE audit SET reason = x'ff00' WHERE seq = 9", 9),
        ("UPDATE audit SET detail = CAST(x'ff' AS TEXT) WHERE seq = 3", 3),
        ("UPDATE audit SET at = 1.5 WHERE seq = 1", 1),
    ] {
        let (_dir, core, checkpoint) = tampered(edit);
        for with in [None, Some(&checkpoint)] {
            let report = core.verify_audit(with).unwrap_or_else(|e| panic!("{edit}: {e}"));
            assert!(!report.ok, "{edit}");
            assert_eq!(report.first_bad_seq, Some(seq), "{edit}");
            assert_eq!(report.checked, seq - 1, "{edit}");
        }
    }
}
