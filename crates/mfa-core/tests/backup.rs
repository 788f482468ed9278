//! `Core::backup`: an online copy that opens with the same key and verifies with the same head,
//! taken while another thread keeps writing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use mfa_core::{Core, OpenOptions, Policy, Role};

#[test]
fn a_backup_opens_with_the_same_key_and_verifies_with_the_same_head() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_at(&dir.path().join("store.db"));
    let o = org(&core, Policy::default());
    let (secret, codes) = enroll(&core, &o.member.id);
    let dest = dir.path().join("copy.db");
    let head = core.backup(&dest).unwrap();
    assert_eq!(head, core.audit_checkpoint().unwrap());
    assert_eq!(std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600);

    let copy = core_at(&dest);
    assert_eq!(copy.audit_checkpoint().unwrap(), head);
    let report = copy.verify_audit(Some(&head)).unwrap();
    assert!(report.ok && report.checked == head.seq, "{report:?}");
    // The secrets came along sealed under the same key: the member's codes work in the copy.
    copy.set_time(core.now()).unwrap();
    copy.verify(&o.member.id, &code(&copy, &secret, 0)).unwrap();
    copy.verify(&o.member.id, &codes.0[0]).unwrap();
    assert_eq!(copy.list_users(&o.id).unwrap(), core.list_users(&o.id).unwrap());
    // Another key cannot open it.
    let wrong = Core::open(&dest, &[8; 32], OpenOptions::default()).unwrap_err();
    assert_eq!(wrong.code(), "invalid_input");
}

#[test]
fn a_backup_never_replaces_a_file_and_needs_a_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_at(&dir.path().join("store.db"));
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, b"precious").unwrap();
    assert_eq!(core.backup(&taken).unwrap_err().code(), "conflict");
    assert_eq!(std::fs::read(&taken).unwrap(), b"precious");
    assert_eq!(core.backup(dir.path().join("store.db")).unwrap_err().code(), "conflict");
    assert_eq!(core.backup("").unwrap_err().code(), "invalid_input");
    assert_eq!(core.backup(dir.path().join("no/such/dir/x.db")).unwrap_err().code(), "storage");
    assert_eq!(common::core().backup(dir.path().join("m.db")).unwrap_err().code(), "invalid_input");
    // Nothing is left behind by the refusals.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().contains(".new-")), "{names:?}");
}

/// A writer keeps appending while backups run: each backup is one consistent snapshot (its
/// chain verifies up to the head it reports), and the writer is never refused.
#[test]
fn backups_of_a_store_being_written() {
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(core_at(&dir.path().join("store.db")));
    let org = core.create_org("Acme", Policy::default()).unwrap();
    // Enough rows for the copy to take several steps.
    let users: Vec<(String, Role)> = (0..3000).map(|i| (format!("u{i}@acme.test"), Role::Member)).collect();
    core.create_users(&org.id, &users).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (c, s, org_id) = (core.clone(), stop.clone(), org.id.clone());
    let writer = std::thread::spawn(move || {
        let mut written = 0;
        while !s.load(Ordering::SeqCst) {
            c.create_user(&org_id, &format!("w{written}@acme.test"), Role::Member).unwrap();
            written += 1;
        }
        written
    });
    let mut heads = Vec::new();
    for i in 0..3 {
        let dest = dir.path().join(format!("copy{i}.db"));
        let head = core.backup(&dest).unwrap();
        let copy = core_at(&dest);
        assert_eq!(copy.audit_checkpoint().unwrap(), head);
        assert!(copy.verify_audit(Some(&head)).unwrap().ok);
        // The copy is a prefix of the live trail: the live store holds the same event there.
        assert!(core.verify_audit(Some(&head)).unwrap().ok);
        heads.push(head.seq);
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 0);
    assert!(heads.windows(2).all(|w| w[0] <= w[1]), "{heads:?}");
}
