//! The store file: created owner-only, never taken from an empty file, created only when
//! allowed, opened without a write lock, and described by `Core::info`.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use mfa_core::{Core, OpenOptions, Policy};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The umask is per process: this test sets it to 000 and puts it back; no other test in this
/// binary creates files with modes that depend on it.
#[test]
fn new_store_and_its_wal_and_shm_are_owner_only_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: umask has no memory-safety preconditions.
    let old = unsafe { libc::umask(0) };
    let path = dir.path().join("store.db");
    let core = core_at(&path);
    core.create_org("Acme", Policy::default()).unwrap();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"x").unwrap();
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    assert_eq!(mode(&probe), 0o666, "the umask really was 000");

    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&with_suffix(&path, "-wal")), 0o600);
    assert_eq!(mode(&with_suffix(&path, "-shm")), 0o600);
    let info = core.info().unwrap();
    assert_eq!(info.mode, Some(0o600));
    assert!(!info.readable_by_others);
    assert_eq!(info.path.as_deref(), Some(path.as_path()));
    assert_eq!(info.schema_version, mfa_core::SCHEMA_VERSION);
    // Nothing of the creation is left beside the store.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn a_store_readable_by_others_opens_and_info_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(core_at(&path));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let core = core_at(&path);
    let info = core.info().unwrap();
    assert_eq!(info.mode, Some(0o644));
    assert!(info.readable_by_others);

    let memory = common::core().info().unwrap();
    assert_eq!((memory.path, memory.mode, memory.readable_by_others), (None, None, false));
    assert_eq!(memory.schema_version, mfa_core::SCHEMA_VERSION);
}

#[test]
fn an_empty_file_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    std::fs::write(&path, b"").unwrap();
    for create_if_missing in [true, false] {
        let options = OpenOptions { create_if_missing, ..OpenOptions::default() };
        let err = Core::open(&path, &KEY, options).unwrap_err();
        assert_eq!(err.code(), "storage");
        assert!(err.message().contains("empty"), "{err}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing created beside it");
}

#[test]
fn create_if_missing_false_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let no_create = || OpenOptions { create_if_missing: false, ..OpenOptions::default() };
    let err = Core::open(&path, &KEY, no_create()).unwrap_err();
    assert_eq!(err.code(), "storage");
    assert!(err.message().contains("no store"), "{err}");
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    drop(Core::open(&path, &KEY, OpenOptions::default()).unwrap());
    let core = Core::open(&path, &KEY, no_create()).unwrap();
    assert!(core.create_org("Acme", Policy::default()).is_ok());
}

#[test]
fn opening_a_current_store_does_not_wait_for_another_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let org = core_at(&path).create_org("Acme", Policy::default()).unwrap();

    // Another process's long write: it holds the write lock until it commits.
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE; UPDATE orgs SET name = 'Renamed';").unwrap();

    // Were open to take the write lock, it would wait the whole busy timeout and then fail.
    let core = core_at(&path);
    assert!(!other.is_autocommit(), "the other write is still open");
    assert_eq!(core.get_org(&org.id).unwrap().name, "Acme");
    assert!(core.verify_audit(None).unwrap().ok);
    other.execute_batch("COMMIT").unwrap();
    // Once committed the other write is seen; done with plain SQL and no key, it is tampering.
    let err = core.get_org(&org.id).unwrap_err();
    assert!(err.code() == "storage" && err.message().contains("tampered"), "{err}");
}

#[test]
fn processes_creating_one_store_at_once_all_end_up_in_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let cores: Vec<Core> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| core_at(&path))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let org = cores[0].create_org("Acme", Policy::default()).unwrap();
    for core in &cores {
        assert_eq!(core.get_org(&org.id).unwrap().name, "Acme");
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(names.iter().all(|n| !n.to_string_lossy().contains(".new-")), "{names:?}");
}
