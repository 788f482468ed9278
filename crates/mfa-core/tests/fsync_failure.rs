//! A commit whose flush fails: the call says the outcome is unknown, the handle refuses further
//! writes until reopened, reads keep working, and after a crash the store is whole and
//! consistent whichever way the write went.
//!
//! The failure is injected by an LD_PRELOAD shim (`support/fail_wal_fsync.c`, compiled here
//! with the C compiler every Rust build already needs). The test runs itself as the child that
//! carries the shim, so no other program is needed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use mfa_core::{AuditQuery, MfaState, Policy, ResetOptions};

const CHILD: &str = "MFA_FSYNC_CHILD";
const TEST: &str = "a_failed_commit_flush_is_reported_unknown_and_fences_writes";

fn shim(dir: &Path) -> PathBuf {
    let out = dir.join("fail_wal_fsync.so");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fail_wal_fsync.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(cc)
        .args(["-shared", "-fPIC", "-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-ldl")
        .status()
        .expect("a C compiler (cc) to build the fsync shim");
    assert!(status.success(), "the shim did not compile");
    out
}

/// The child: under the shim, one reset whose commit flush fails; then it dies without closing
/// anything, as a crash would. Prints what it saw for the parent to check.
fn child(path: &str, actor: &str, target: &str) {
    let core = core_at(Path::new(path));
    let err = core.reset_mfa(actor, target, &ResetOptions::default()).unwrap_err();
    println!("reset: {} | {}", err.code(), err.message());
    let next = core.create_org("After", Policy::default()).unwrap_err();
    println!("next write: {} | {}", next.code(), next.message());
    let read = core.get_user(target).map(|u| u.id == target);
    println!("read: {read:?}");
    std::mem::forget(core);
    std::process::exit(0);
}

#[test]
fn a_failed_commit_flush_is_reported_unknown_and_fences_writes() {
    if let Ok(args) = std::env::var(CHILD) {
        let args: Vec<&str> = args.split(' ').collect();
        return child(args[0], args[1], args[2]);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (actor, target) = {
        let core = core_at(&path);
        let o = org(&core, Policy::default());
        enroll(&core, &o.member.id);
        (o.admin.id, o.member.id)
    };
    let events_before = {
        let core = core_at(&path);
        audit_count(&core)
    };

    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{} {actor} {target}", path.display()))
        .env("LD_PRELOAD", shim(dir.path()))
        .env("MFA_FAIL_WAL_FSYNC", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let line = |prefix: &str| {
        // The harness prints the test's name on the same line as the first output.
        let found = stdout.lines().find_map(|l| l.find(prefix).map(|at| l[at..].to_string()));
        found.unwrap_or_else(|| panic!("no {prefix:?} in {stdout}"))
    };
    let reset = line("reset: ");
    assert!(reset.starts_with("reset: storage | "), "{reset}");
    assert!(reset.contains("outcome is unknown"), "{reset}");
    let next = line("next write: ");
    assert!(next.starts_with("next write: storage | "), "{next}");
    assert!(next.contains("reopen the store"), "{next}");
    assert_eq!(line("read: "), "read: Ok(true)");

    // After the crash: the store opens, its chain verifies, and the user's state and the audit
    // trail agree on whether the reset happened.
    let core = core_at(&path);
    assert!(core.verify_audit(None).unwrap().ok);
    let status = core.mfa_status(&target).unwrap();
    let resets =
        core.audit_events(&AuditQuery { action: Some("mfa.reset".into()), ..AuditQuery::default() }).unwrap();
    match status.credential_epoch {
        0 => {
            assert_eq!(status.state, MfaState::Enrolled);
            assert!(resets.is_empty());
            assert_eq!(audit_count(&core), events_before);
        }
        1 => {
            assert_eq!(status.state, MfaState::EnrollmentRequired);
            assert_eq!(resets.len(), 1);
        }
        other => panic!("credential epoch {other}"),
    }
    // The reopened handle writes again.
    core.create_org("After", Policy::default()).unwrap();
}
